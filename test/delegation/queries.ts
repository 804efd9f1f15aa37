import { demo, type TestHub } from '../support/hub.js';

/** GraphQL documents shared by the delegation tests. */
export const ME = '{ me { id employer { id } } }';

export const SERVICES = '{ services { nodes { id code } } }';

export const ORGS = '{ organisations(first: 100) { nodes { id name } } }';

export const USERS = '{ users(first: 100) { totalCount nodes { id email } } }';

export const RESPONSIBLE = `query($id: ID!, $service: ID!) {
  node(id: $id) { ... on User { responsibleIssuer(service: $service) { name } } }
}`;

export const APPOINTMENT_REQUEST = `mutation($input: OrdererAppointmentRequestInput!) {
  ordererAppointmentRequest(input: $input) {
    ordererAppointment { id state scope { name } routine { name } requestForm { contentType sha256 size } }
    userErrors { code field message }
  }
}`;

export const APPOINTMENT_APPROVE = `mutation($id: ID!, $input: OrdererAppointmentDecisionInput) {
  ordererAppointmentApprove(id: $id, input: $input) { ordererAppointment { id state decidedBy { email } } userErrors { code field message } }
}`;

export const APPOINTMENT_REJECT = `mutation($id: ID!, $input: OrdererAppointmentDecisionInput!) {
  ordererAppointmentReject(id: $id, input: $input) { ordererAppointment { id state decisionReason } userErrors { code field message } }
}`;

export const APPOINTMENT_REVOKE = `mutation($id: ID!, $input: OrdererAppointmentDecisionInput!) {
  ordererAppointmentRevoke(id: $id, input: $input) { ordererAppointment { id state revokeReason } userErrors { code field message } }
}`;

export const MANDATE_GRANT = `mutation($input: IssuerMandateGrantInput!) {
  issuerMandateGrant(input: $input) {
    issuerMandate { id state thresholdOverrideReason organisation { name } administrators { email } supportContact { email }
      agreementDocument { filename contentType sha256 downloadPath } routine { name } }
    userErrors { code field message }
  }
}`;

export const MANDATE_END = `mutation($id: ID!, $input: IssuerMandateEndInput!) {
  issuerMandateEnd(id: $id, input: $input) { issuerMandate { id state endReason validTo } userErrors { code field message } }
}`;

export interface UserErrors {
  userErrors: { code: string; field: string[] | null; message: string }[];
}

/** The appointment payloads above, as the tests read them after a success. */
export interface AppointmentPayload extends UserErrors {
  ordererAppointment: { id: string; state: string; routine: { name: string }; requestForm: { sha256: string } };
}

/** The mandate payloads above, as the tests read them after a success. */
export interface MandatePayload extends UserErrors {
  issuerMandate: { id: string };
}

/** RESPONSIBLE's answer: no node when the viewer may not see the person. */
export interface ResponsibleData {
  node: { responsibleIssuer: { name: string } | null } | null;
}

/**
 * Fills `ids` (demo user name → user id) and `orgs` (organisation name → id) from the API and answers
 * the service ids by code: what every delegation test refers to.
 */
export async function loadDemoDirectory(hub: TestHub, ids: Record<string, string>, orgs: Record<string, string>): Promise<Record<string, string>> {
  for (const [name, email] of Object.entries(demo)) ids[name] = ((await hub.as<{ me: { id: string } }>(email, ME)).data!.me.id);
  const organisations = (await hub.as<{ organisations: { nodes: { id: string; name: string }[] } }>(demo.karin, ORGS)).data!.organisations.nodes;
  for (const o of organisations) orgs[o.name] = o.id;
  const services = (await hub.gql<{ services: { nodes: { id: string; code: string }[] } }>(SERVICES)).data!.services.nodes;
  return Object.fromEntries(services.map((s) => [s.code, s.id]));
}
