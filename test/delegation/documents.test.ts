import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoUsers } from '../../src/demo/demo-data.js';
import { pdf } from '../support/files.js';
import { demo, startTestHub, type TestHub } from '../support/hub.js';
import { APPOINTMENT_REQUEST, ORGS, SERVICES } from './queries.js';

/** The fields these tests read from the API's answers (each answer holds only what its query asked). */
interface Data {
  services: { nodes: { id: string; code: string }[] };
  organisations: { nodes: { id: string; name: string }[] };
  ordererAppointmentRequest: { ordererAppointment: { requestForm: { sha256: string } } };
  ordererAppointments: { nodes: { requestForm: { downloadPath: string } }[] };
  node: { id: string } | null;
}

describe('attachment download', () => {
  let hub: TestHub;
  let path: string;
  const bytes = pdf('Blankett 9450, signerad');
  const get = async (p: string, email?: string) => fetch(new URL(p, hub.url), { headers: email ? { authorization: `Bearer ${await hub.token(email)}` } : {} });

  beforeAll(async () => {
    hub = await startTestHub();
    const sus = ((await hub.gql<Data>(SERVICES)).data!.services.nodes as { id: string; code: string }[]).find((s) => s.code === 'SUS')!.id;
    const orgs = (await hub.as<Data>(demo.maria, ORGS)).data!.organisations.nodes as { id: string; name: string }[];
    const res = await hub.upload<Data>(await hub.token(demo.maria), APPOINTMENT_REQUEST, { input: { service: sus, scope: orgs.find((o) => o.name === 'Stockholms stad')!.id, requestForm: null } }, {
      'input.requestForm': { bytes, filename: 'blankett 9450 – å.pdf' },
    });
    const appointment = res.data!.ordererAppointmentRequest.ordererAppointment;
    expect(appointment.requestForm.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
    path = (await hub.as<Data>(demo.maria, '{ ordererAppointments { nodes { requestForm { downloadPath } } } }')).data!.ordererAppointments.nodes[0].requestForm.downloadPath;
  });
  afterAll(() => hub.close());

  it('the requester and the deciding issuer download the exact bytes', async () => {
    for (const email of [demo.maria, demo.karin]) {
      const res = await get(path, email);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('application/pdf');
      expect(res.headers.get('content-disposition')).toBe("attachment; filename*=UTF-8''blankett%209450%20%E2%80%93%20%C3%A5.pdf");
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(Buffer.from(await res.arrayBuffer()).equals(bytes)).toBe(true);
    }
  });

  it('anyone else gets the same 404 as for an id that does not exist', async () => {
    const outsider = await get(path, demo.sofie);
    const missing = await get('/documents/RG9jdW1lbnQ6MDE5MDAwMDAtMDAwMC03MDAwLTgwMDAtMDAwMDAwMDAwMDAw', demo.sofie);
    expect(outsider.status).toBe(404);
    const notFound = await missing.text();
    expect(await outsider.text()).toBe(notFound);
    expect((await get(path)).status).toBe(401);
    expect((await get('/documents/garbage', demo.maria)).status).toBe(404);
    // Malformed percent-encoding names nothing either.
    const malformed = await get('/documents/%E0%A4%A', demo.maria);
    expect(malformed.status).toBe(404);
    expect(await malformed.text()).toBe(notFound);
  });

  it('downloads exactly what node(id:) shows, for every demo user', async () => {
    const id = decodeURIComponent(path.slice('/documents/'.length));
    const readers: string[] = [];
    for (const { email } of demoUsers) {
      const node = await hub.as<Data>(email, 'query($id: ID!) { node(id: $id) { id } }', { id });
      const download = await get(path, email);
      expect(download.status, email).toBe(node.data!.node ? 200 : 404);
      if (download.status === 200) readers.push(email);
    }
    // Not vacuous: some may, some may not.
    expect(readers).toEqual(expect.arrayContaining([demo.maria, demo.karin]));
    expect(readers).not.toContain(demo.sofie);
  });
});
