import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demo, startTestHub, type TestHub } from '../support/hub.js';
import { hire } from '../orders/fixtures.js';
import { startAgencySubgraph, type CaseWorker } from './agency-subgraph.js';
import { startGateway, type RunningGateway } from './gateway.js';

const AF = '202100-2114';

interface Worker {
  employeeNumber: string;
  caseload: number | null;
  person: { id: string; displayName: string; caseload: number | null; team: string | null; employer: { name: string } } | null;
  agency: { id: string; name: string } | null;
}

const SPANNING = `query($n: Int) { caseWorkers(first: $n) { employeeNumber
  person { id displayName caseload team employer { name } grants(first: 5) { totalCount nodes { role { name } service { code } } } }
  agency { id name } } }`;

describe('the hub behind @apollo/gateway, with a sample agency subgraph, over HTTP', () => {
  let hub: TestHub;
  let agency: Awaited<ReturnType<typeof startAgencySubgraph>>;
  let gateway: RunningGateway;
  let hired: string[];

  async function viaGateway<T>(query: string, variables: Record<string, unknown>, bearer?: string) {
    const res = await fetch(gateway.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(bearer ? { authorization: `Bearer ${bearer}` } : {}) },
      body: JSON.stringify({ query, variables }),
    });
    return (await res.json()) as { data?: T; errors?: { message: string; extensions?: Record<string, unknown> }[] };
  }

  /** Waits until the person's roles and scopes stay cached, so a request's statements are its own. */
  async function steady(email: string) {
    for (let i = 0; i < 40; i++) {
      await hub.as(email, '{ me { id } }');
      await new Promise((r) => setTimeout(r, 25));
      if (Number((await hub.as(email, '{ me { id } }')).headers.get('x-sql-statements')) === 1) return;
    }
  }

  beforeAll(async () => {
    hub = await startTestHub();
    hired = await hire(hub, 'Arbetsförmedlingen Stockholm', 100, 'caseworker');
    const worker = (email: string, i: number): CaseWorker => ({
      employeeNumber: `E${String(i).padStart(4, '0')}`,
      title: 'Handläggare',
      email,
      registrationNumber: AF,
      caseload: 10 + i,
      team: i % 2 ? 'Rehab' : 'Etablering',
    });
    // Erik and 98 of the hired staff work at Arbetsförmedlingen; Mette, a Danish supplier's specialist,
    // is on the list too, and no Swedish administrator may see her.
    const emails = [demo.erik, demo.mette, ...hired.slice(0, 98)];
    agency = await startAgencySubgraph(emails.map(worker));
    gateway = await startGateway([
      { name: 'hub', url: hub.url },
      { name: 'agency', url: agency.url },
    ]);
  });
  afterAll(async () => {
    await gateway?.stop();
    await agency?.stop();
    await hub?.close();
  });

  it("should join the agency's case workers with the hub's people and organisation for an administrator", async () => {
    const res = await viaGateway<{ caseWorkers: Worker[] }>(SPANNING, { n: 3 }, await hub.token(demo.karin));
    expect(res.errors).toBeUndefined();
    const [erik, mette, staff] = res.data!.caseWorkers;
    expect(erik.person).toMatchObject({ displayName: 'Erik Johansson', caseload: 10, team: 'Etablering', employer: { name: 'Arbetsförmedlingen Stockholm' } });
    expect(staff.person).toMatchObject({ displayName: 'caseworker Person 0000', caseload: 12, employer: { name: 'Arbetsförmedlingen Stockholm' } });
    expect(erik.agency).toMatchObject({ name: 'Arbetsförmedlingen' });
    // Outside Försäkringskassan's scope: absent, as node(id:) would say.
    expect(mette.person).toBeNull();
    // What the hub answers through the gateway is what node(id:) answers directly.
    const direct = await hub.as<{ node: { id: string } | null }>(demo.karin, 'query($id: ID!) { node(id: $id) { id } }', { id: erik.person!.id });
    expect(direct.data!.node).toEqual({ id: erik.person!.id });
  });

  it("should answer null for the people and organisations outside a plain user's scope", async () => {
    const res = await viaGateway<{ caseWorkers: Worker[] }>(SPANNING, { n: 3 }, await hub.token(demo.erik));
    expect(res.errors).toBeUndefined();
    const [erik, mette, staff] = res.data!.caseWorkers;
    expect(erik.person).toMatchObject({ displayName: 'Erik Johansson', caseload: 10 });
    expect(mette.person).toBeNull();
    expect(staff.person).toBeNull();
    const org = await hub.as<{ node: { id: string } | null }>(demo.erik, 'query($id: ID!) { node(id: $id) { id } }', {
      id: (await viaGateway<{ caseWorkers: Worker[] }>(SPANNING, { n: 1 }, await hub.token(demo.karin))).data!.caseWorkers[0].agency!.id,
    });
    // The agency's organisation resolves for Erik exactly when node(id:) shows it to him.
    expect(erik.agency === null).toBe(org.data!.node === null);
  });

  it('should forward the bearer token: without one the hub shows nobody, with a bad one it refuses', async () => {
    const anonymous = await viaGateway<{ caseWorkers: Worker[] }>(SPANNING, { n: 2 });
    expect(anonymous.data!.caseWorkers.map((w) => w.person)).toEqual([null, null]);
    const forged = await viaGateway<{ caseWorkers: Worker[] }>(SPANNING, { n: 2 }, 'not.a.token');
    expect(forged.errors?.length).toBeGreaterThan(0);
    expect(forged.data?.caseWorkers?.every((w) => w.person === null) ?? true).toBe(true);
  });

  it('should cost the hub the same statements for 100 representations as for 1', async () => {
    const token = await hub.token(demo.karin);
    const hubStatements = async (n: number) => {
      await steady(demo.karin);
      gateway.calls.length = 0;
      const res = await viaGateway<{ caseWorkers: Worker[] }>(SPANNING, { n }, token);
      expect(res.errors).toBeUndefined();
      const people = res.data!.caseWorkers.filter((w) => w.person !== null);
      const hubCalls = gateway.calls.filter((c) => c.subgraph === 'hub');
      expect(hubCalls.every((c) => c.query.includes('_entities'))).toBe(true);
      return { people: people.length, statements: hubCalls.reduce((sum, c) => sum + (c.sqlStatements ?? Number.NaN), 0) };
    };
    const one = await hubStatements(1);
    const hundred = await hubStatements(100);
    expect(one.people).toBe(1);
    expect(hundred.people).toBe(99);
    expect(one.statements).toBeGreaterThan(0);
    expect(hundred.statements).toBe(one.statements);
  });
});
