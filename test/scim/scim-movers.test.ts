import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demo, startTestHub, type TestHub } from '../support/hub.js';
import { loadDemoDirectory } from '../delegation/queries.js';
import { CORE_USER, ENTERPRISE, ERROR, HUB, orgId, PATCH_OP, query, scimClient, type Json } from './scim-client.js';

const ROUTINE_CREATE = `mutation($service: ID!, $input: RoutineCreateInput!) { routineCreate(service: $service, input: $input) { userErrors { code field message } } }`;
const ERIK = 'erik.analyst@arbetsformedlingen.se';
const ANNA = 'anna.registrar@stockholm.se';
const rawId = (globalId: string) => Buffer.from(globalId, 'base64url').toString().split(':')[1];

/** Movers through SCIM (RFC 7644 3.5.1 / 3.5.2 on the enterprise extension), run by the hub's own move service. */
describe('SCIM movers: a changed employer through PUT and PATCH', () => {
  let hub: TestHub;
  let scim: ReturnType<typeof scimClient>;
  const user = async (client: string, email: string) => (await scim.filter(client, `userName eq "${email}"`)).body.Resources[0];
  const grants = (email: string) =>
    query<{ state: string; end_reason: string | null }>(hub, 'select g.state, g.end_reason from grants g join users u on u.id = g.user_id where u.email = ? order by g.id', [email]);
  const employments = (email: string) =>
    query<{ n: number }>(hub, 'select count(*)::int as n from employments x join users u on u.id = x.user_id where u.email = ?', [email]);

  beforeAll(async () => {
    hub = await startTestHub();
    scim = scimClient(hub);
  });
  afterAll(() => hub.close());

  it("should move with Entra ID's Replace of the enterprise department, ending grants under the routine's END", async () => {
    const erik = await user('af-hr', ERIK);
    expect(erik[ENTERPRISE]).toEqual({ organization: 'Arbetsförmedlingen', department: 'Arbetsförmedlingen Stockholm' });
    expect(await grants(ERIK)).toEqual([{ state: 'active', end_reason: null }]);
    const res = await scim.call('af-hr', 'PATCH', `/Users/${erik.id as string}`, {
      schemas: [PATCH_OP],
      Operations: [{ op: 'Replace', path: `${ENTERPRISE}:department`, value: 'Arbetsförmedlingen Göteborg' }],
    });
    expect(res.status).toBe(200);
    expect(res.body[ENTERPRISE]).toEqual({ organization: 'Arbetsförmedlingen', department: 'Arbetsförmedlingen Göteborg' });
    expect(res.body[HUB]).toMatchObject({ employer: { value: await orgId(hub, 'Arbetsförmedlingen Göteborg'), display: 'Arbetsförmedlingen Göteborg' } });
    expect(res.body.active).toBe(true);
    expect(res.headers.get('etag')).not.toBe(erik.meta && (erik.meta as Json).version);
    // The same move as userEmploymentMove: a new employment, its audit event, and the routine's rule (SUS: END).
    expect(await employments(ERIK)).toEqual([{ n: 2 }]);
    expect(await grants(ERIK)).toEqual([{ state: 'revoked', end_reason: 'EMPLOYMENT_MOVED' }]);
    const audit = await query<{ action: string; reason: string }>(hub, "select action, reason from audit_events where target_id = ? and action = 'employment.move'", [rawId(erik.id as string)]);
    expect(audit).toEqual([{ action: 'employment.move', reason: 'Moved through SCIM by client af-hr.' }]);
    // The same value again is no move.
    const again = await scim.call('af-hr', 'PATCH', `/Users/${erik.id as string}`, {
      schemas: [PATCH_OP],
      Operations: [{ op: 'Replace', path: `${ENTERPRISE}:department`, value: 'arbetsförmedlingen göteborg' }],
    });
    expect(again.status).toBe(200);
    expect(await employments(ERIK)).toEqual([{ n: 2 }]);
  });

  it('should move with PUT naming only the organization (the legal entity itself), and refuse a department that is not a string', async () => {
    const erik = await user('af-hr', ERIK);
    const body = { schemas: [CORE_USER, ENTERPRISE], userName: ERIK, name: erik.name, emails: erik.emails, active: true, [ENTERPRISE]: { organization: 'Arbetsförmedlingen' } };
    const bad = await scim.call('af-hr', 'PUT', `/Users/${erik.id as string}`, { ...body, [ENTERPRISE]: { organization: 'Arbetsförmedlingen', department: 5 } });
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ schemas: [ERROR], scimType: 'invalidValue' });
    const res = await scim.call('af-hr', 'PUT', `/Users/${erik.id as string}`, body);
    expect(res.status).toBe(200);
    expect(res.body[ENTERPRISE]).toEqual({ organization: 'Arbetsförmedlingen' });
    expect(await employments(ERIK)).toEqual([{ n: 3 }]);
  });

  it("should keep grants pending the new issuer's review under a routine's CONFIRM, moving with a Remove of the department", async () => {
    const services = await loadDemoDirectory(hub, {}, {});
    const routine = await hub.as<{ routineCreate: { userErrors: unknown[] } }>(demo.karin, ROUTINE_CREATE, {
      service: services.SUS,
      input: {
        name: 'SUS för kommuner: behörigheter följer med vid byte av arbetsplats', organisationKind: 'MUNICIPALITY', effectiveFrom: new Date(Date.now() - 1000).toISOString(),
        decider: 'AUTHORITY', issuerThreshold: 50, eligibleOrganisationKinds: ['AGENCY', 'MUNICIPALITY', 'REGION', 'COORDINATION_ASSOCIATION'],
        orderingRequiresOrderer: false, selfRegistration: false, ordererRequestAttachments: ['ORDERER_REQUEST_FORM'],
        roles: [{ role: 'registrar', attachments: ['ORDER_FORM'] }, { role: 'analyst', attachments: ['ORDER_FORM'] }], assurance: [],
        grantsOnMove: 'CONFIRM', moveReviewDays: 10,
      },
    });
    expect(routine.data!.routineCreate.userErrors).toEqual([]);
    const anna = await user('stockholm-hr', ANNA);
    expect(anna[ENTERPRISE]).toEqual({ organization: 'Stockholms stad', department: 'Socialförvaltningen' });
    const res = await scim.call('stockholm-hr', 'PATCH', `/Users/${anna.id as string}`, { schemas: [PATCH_OP], Operations: [{ op: 'Remove', path: `${ENTERPRISE}:department` }] });
    expect(res.status).toBe(200);
    expect(res.body[ENTERPRISE]).toEqual({ organization: 'Stockholms stad' });
    expect(await grants(ANNA)).toEqual([{ state: 'active', end_reason: null }]);
    expect(await query(hub, "select r.state from grant_reviews r join users u on u.id = r.user_id where u.email = ?", [ANNA])).toEqual([{ state: 'pending' }]);
  });

  it("should let no client move a person out of its subtree, nor move another's people, changing nothing", async () => {
    const anna = await user('stockholm-hr', ANNA);
    const before = { employments: await employments(ANNA), audit: await query(hub, 'select count(*)::int as n from audit_events') };
    const patch = (client: string, operations: Json[]) => scim.call(client, 'PATCH', `/Users/${anna.id as string}`, { schemas: [PATCH_OP], Operations: operations });
    // Into another agency's unit by name, by an organisation that does not exist, and by id: one answer, invalidValue.
    const intoAf = await patch('stockholm-hr', [{ op: 'Replace', value: { [`${ENTERPRISE}:organization`]: 'Arbetsförmedlingen', [`${ENTERPRISE}:department`]: 'Arbetsförmedlingen Stockholm' } }]);
    const nowhere = await patch('stockholm-hr', [{ op: 'Replace', value: { [`${ENTERPRISE}:organization`]: 'Ingenstans AB', [`${ENTERPRISE}:department`]: 'Arbetsförmedlingen Stockholm' } }]);
    expect(intoAf.status).toBe(400);
    expect(intoAf.body).toMatchObject({ schemas: [ERROR], scimType: 'invalidValue' });
    expect(nowhere.body).toMatchObject({ scimType: 'invalidValue' });
    expect((intoAf.body.detail as string).replace('Arbetsförmedlingen"', 'X"')).toBe((nowhere.body.detail as string).replace('Ingenstans AB"', 'X"'));
    const byId = await patch('stockholm-hr', [{ op: 'Replace', path: `${HUB}:employer.value`, value: await orgId(hub, 'Arbetsförmedlingen Stockholm') }]);
    expect(byId.status).toBe(400);
    expect(byId.body).toMatchObject({ scimType: 'invalidValue' });
    // Another agency's client does not even find her.
    const foreign = await patch('af-hr', [{ op: 'Replace', path: `${ENTERPRISE}:department`, value: 'Arbetsförmedlingen Stockholm' }]);
    expect(foreign.status).toBe(404);
    expect(await user('stockholm-hr', ANNA)).toEqual(anna);
    expect({ employments: await employments(ANNA), audit: await query(hub, 'select count(*)::int as n from audit_events') }).toEqual(before);
  });
});
