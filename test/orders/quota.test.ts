import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Grant, GrantState } from '../../src/grants/grant.entity.js';
import { ServiceRole } from '../../src/services/service.entity.js';
import { pdf } from '../support/files.js';
import { demo, startTestHub, type TestHub } from '../support/hub.js';
import { CATALOGUE, ids, ORDER_APPROVE, SELF_REGISTER, type Catalogue, type OrderPayload } from './queries.js';

/** The fields these tests read from the API's answers (each answer holds only what its query asked). */
interface Data {
  selfRegistrationOrganisations: { id: string }[];
  selfRegistrationSubmit: OrderPayload;
  orderApprove: OrderPayload;
}
const KLINIK = '35544666';
const APPLICANTS = 8;

describe('quota: at most 2 administrative staff per supplier, under concurrent approvals', () => {
  let hub: TestHub;
  let second: TestHub | null = null;
  const orderIds: string[] = [];

  beforeAll(async () => {
    hub = await startTestHub();
    // Two server instances on one database when there is a server to share; PGlite is one process.
    if (hub.db.kind === 'postgresql') second = await startTestHub({}, hub);
    const c = ids((await hub.gql<Catalogue>(CATALOGUE)).data!);
    for (let i = 0; i < APPLICANTS; i++) {
      const sub = `clerk${i}@klinik.dk`;
      const t = await hub.token(sub, { sub, registration_number: KLINIK });
      const klinik = (await hub.gql<Data>('{ selfRegistrationOrganisations { id } }', {}, t)).data!.selfRegistrationOrganisations[0].id;
      const res = await hub.upload<Data>(
        t,
        SELF_REGISTER,
        { input: { organisation: klinik, service: c.vias, role: c.administrative, givenName: 'Clerk', familyName: `${i}`, email: sub, phone: '+45 11 22 33 44', attachments: [{ kind: 'MANAGER_APPROVAL', file: null }] } },
        { 'input.attachments.0.file': { bytes: pdf('Leder godkender'), filename: 'godkendelse.pdf' } },
      );
      orderIds.push(res.data!.selfRegistrationSubmit.order.id);
    }
  });
  afterAll(async () => {
    await second?.close();
    await hub.close();
  });

  it('approvals beyond the quota fail with QUOTA_EXCEEDED, also when they arrive at once on two instances', async () => {
    const token = await hub.token(demo.sofie, { acr: 'high' });
    const instances = [hub, second ?? hub];
    const results = await Promise.all(orderIds.map((id, i) => instances[i % 2].gql<Data>(ORDER_APPROVE, { id }, token)));
    const outcomes = results.map((r) => r.data!.orderApprove.order?.state ?? r.data!.orderApprove.userErrors[0].code);
    // Lars already holds one of the two places at Børne- og Ungeklinikken.
    expect(outcomes.filter((o) => o === 'APPROVED')).toHaveLength(1);
    expect(outcomes.filter((o) => o === 'QUOTA_EXCEEDED')).toHaveLength(APPLICANTS - 1);
    const em = hub.db.orm.em.fork();
    const role = await em.findOneOrFail(ServiceRole, { code: 'administrative' });
    expect(await em.count(Grant, { role, state: GrantState.ACTIVE })).toBe(2);
    const message = results.find((r) => r.data!.orderApprove.userErrors.length)!.data!.orderApprove.userErrors[0].message;
    expect(message).toMatch(/Børne- og Ungeklinikken A\/S already has 2 of at most 2/);
  });
});
