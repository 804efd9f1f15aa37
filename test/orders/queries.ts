export const ORDER_FIELDS = `id kind state decisionReason person { email } orderedBy { email } decider { name } role { code } subAreas { code }
  routine { name } grant { id state usable } attachments { kind contentType sha256 }
  history { fromState toState reason actor { email } }`;

export const ORDER_CREATE = `mutation($input: OrderCreateInput!) { orderCreate(input: $input) { order { ${ORDER_FIELDS} } userErrors { code field message } } }`;
export const ORDER_BULK = `mutation($input: OrderBulkCreateInput!) {
  orderBulkCreate(input: $input) { results { person order { id state } userErrors { code field message } } userErrors { code field message } }
}`;
export const ORDER_APPROVE = `mutation($id: ID!, $input: OrderDecisionInput) { orderApprove(id: $id, input: $input) { order { ${ORDER_FIELDS} } userErrors { code field message } } }`;
export const ORDER_REJECT = `mutation($id: ID!, $input: OrderDecisionInput!) { orderReject(id: $id, input: $input) { order { ${ORDER_FIELDS} } userErrors { code field message } } }`;
export const ORDER_SEND_BACK = `mutation($id: ID!, $input: OrderDecisionInput!) { orderSendBack(id: $id, input: $input) { order { ${ORDER_FIELDS} } userErrors { code field message } } }`;
export const ORDER_WITHDRAW = `mutation($id: ID!) { orderWithdraw(id: $id) { order { ${ORDER_FIELDS} } userErrors { code field message } } }`;
export const ORDER_RESUBMIT = `mutation($id: ID!, $input: OrderResubmitInput!) { orderResubmit(id: $id, input: $input) { order { ${ORDER_FIELDS} } userErrors { code field message } } }`;
export const SELF_REGISTER = `mutation($input: SelfRegistrationSubmitInput!) { selfRegistrationSubmit(input: $input) { order { ${ORDER_FIELDS} } userErrors { code field message } } }`;
export const CATALOGUE = '{ services { nodes { id code roles { id code } subAreas { id code } } } }';

/** An order as ORDER_FIELDS selects it, as the tests read it. */
export interface OrderFields {
  id: string;
  kind: string;
  state: string;
  decisionReason: string | null;
  person: { email: string };
  orderedBy: { email: string };
  decider: { name: string };
  role: { code: string };
  subAreas: { code: string }[];
  routine: { name: string };
  grant: { id: string; state: string; usable: boolean } | null;
  attachments: { kind: string; contentType: string; sha256: string }[];
  history: { fromState: string | null; toState: string; reason: string | null; actor: { email: string } }[];
}

export interface OrderUserErrors {
  userErrors: { code: string; field: string[] | null; message: string }[];
}

/** The order payloads above, as the tests read them after a success. */
export interface OrderPayload extends OrderUserErrors {
  order: OrderFields;
}

/** ORDER_BULK's payload: a result per person, with an order or its own userErrors. */
export interface OrderBulkPayload extends OrderUserErrors {
  results: ({ person: string; order: { id: string; state: string } | null } & OrderUserErrors)[];
}

export interface Catalogue {
  services: { nodes: { id: string; code: string; roles: { id: string; code: string }[]; subAreas: { id: string; code: string }[] }[] };
}

export function ids(catalogue: Catalogue) {
  const sus = catalogue.services.nodes.find((s) => s.code === 'SUS')!;
  const vias = catalogue.services.nodes.find((s) => s.code === 'VIAS')!;
  const role = (s: typeof sus, code: string) => s.roles.find((r) => r.code === code)!.id;
  const area = (s: typeof sus, code: string) => s.subAreas.find((a) => a.code === code)!.id;
  return {
    sus: sus.id,
    vias: vias.id,
    registrar: role(sus, 'registrar'),
    analyst: role(sus, 'analyst'),
    specialist: role(vias, 'specialist'),
    administrative: role(vias, 'administrative'),
    adults: area(vias, 'adults'),
    children: area(vias, 'children-youth'),
  };
}
