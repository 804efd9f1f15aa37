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
