import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHub, type TestHub } from '../support/hub.js';
import { CORE_USER, ENTERPRISE, PATCH_OP, query, scimClient, type Json } from './scim-client.js';

/**
 * The request sequences real provisioning services send, replayed through HTTP: Entra ID's (from
 * Microsoft's public "Tutorial: Develop a sample SCIM endpoint" / "Build a SCIM endpoint" request
 * and response examples, with e-mail-shaped userPrincipalNames as a real tenant has them) and the
 * Okta SCIM 2.0 spec test's. Both act as an agency's HR feed (af-hr).
 */
describe('provisioning services replayed', () => {
  let hub: TestHub;
  let scim: ReturnType<typeof scimClient>;
  const auditActions = async (globalId: string) =>
    (await query<{ action: string }>(hub, 'select action from audit_events where target_id = ? order by occurred_at, id', [Buffer.from(globalId, 'base64url').toString().split(':')[1]])).map((r) => r.action);

  beforeAll(async () => {
    hub = await startTestHub();
    scim = scimClient(hub);
  });
  afterAll(() => hub.close());

  it("should take Entra ID's create, update, disable and delete sequence", async () => {
    const upn = 'Test_User_ab6490ee@arbetsformedlingen.se';
    // 1. Entra ID asks whether the user exists, by the matching attribute (userName).
    const probe = await scim.filter('af-hr', `userName eq "${upn}"`);
    expect(probe.status).toBe(200);
    expect(probe.body).toEqual({ schemas: ['urn:ietf:params:scim:api:messages:2.0:ListResponse'], totalResults: 0, startIndex: 1, itemsPerPage: 0, Resources: [] });
    // 2. It creates them, with the enterprise schema listed, an externalId and an empty roles list.
    const created = await scim.call('af-hr', 'POST', '/Users', {
      schemas: [CORE_USER, ENTERPRISE],
      externalId: '0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef',
      userName: upn,
      active: true,
      emails: [{ primary: true, type: 'work', value: upn }],
      meta: { resourceType: 'User' },
      name: { formatted: 'givenName familyName', familyName: 'familyName', givenName: 'givenName' },
      roles: [],
    });
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    expect(created.body).toMatchObject({ userName: upn, active: true, name: { givenName: 'givenName', familyName: 'familyName' }, meta: { resourceType: 'User' } });
    // 3. and 4. It reads them back by id and by filter; a user that does not exist is an empty list.
    expect((await scim.call('af-hr', 'GET', `/Users/${id}`)).body).toMatchObject({ id, userName: upn });
    expect((await scim.filter('af-hr', `userName eq "${upn.toLowerCase()}"`)).body.totalResults).toBe(1);
    expect((await scim.filter('af-hr', 'userName eq "non-existent user"')).body.totalResults).toBe(0);
    // 5. Multi-valued and single-valued updates, with Entra ID's capitalised "Replace" and "Add".
    const multi = await scim.call('af-hr', 'PATCH', `/Users/${id}`, {
      schemas: [PATCH_OP],
      Operations: [
        { op: 'Replace', path: 'emails[type eq "work"].value', value: 'updatedEmail@arbetsformedlingen.se' },
        { op: 'Replace', path: 'name.familyName', value: 'updatedFamilyName' },
      ],
    });
    expect(multi.status).toBe(200);
    expect(multi.body).toMatchObject({ userName: 'updatedEmail@arbetsformedlingen.se', name: { familyName: 'updatedFamilyName' } });
    const single = await scim.call('af-hr', 'PATCH', `/Users/${id}`, {
      schemas: [PATCH_OP],
      Operations: [
        { op: 'Replace', path: 'userName', value: 'Test_User_renamed@arbetsformedlingen.se' },
        { op: 'Add', path: 'phoneNumbers[type eq "work"].value', value: '+46 10 486 00 00' },
      ],
    });
    expect(single.status).toBe(200);
    expect(single.body).toMatchObject({ userName: 'Test_User_renamed@arbetsformedlingen.se', emails: [{ value: 'Test_User_renamed@arbetsformedlingen.se' }] });
    // 6. Disable: the string boolean Entra ID sends without its compliance flag, in a path-less Replace.
    const disabled = await scim.call('af-hr', 'PATCH', `/Users/${id}`, { schemas: [PATCH_OP], Operations: [{ op: 'Replace', value: { active: 'False' } }] });
    expect(disabled.status).toBe(200);
    expect(disabled.body.active).toBe(false);
    // 7. Delete (after the soft-delete period): the leaver is already gone, so 404.
    expect((await scim.call('af-hr', 'DELETE', `/Users/${id}`)).status).toBe(404);
    expect(await auditActions(id)).toEqual(['user.create', 'user.update', 'user.contactUpdate', 'employment.end']);
  });

  it("should take Entra ID's disable with a path and DELETE of an active user", async () => {
    const upn = 'entra.second@arbetsformedlingen.se';
    const created = await scim.call('af-hr', 'POST', '/Users', { schemas: [CORE_USER], userName: upn, active: true, name: { givenName: 'Entra', familyName: 'Second' } });
    const id = created.body.id as string;
    const disabled = await scim.call('af-hr', 'PATCH', `/Users/${id}`, { schemas: [PATCH_OP], Operations: [{ op: 'Replace', path: 'active', value: 'False' }] });
    expect(disabled.body).toMatchObject({ id, active: false });
    const other = await scim.call('af-hr', 'POST', '/Users', { schemas: [CORE_USER], userName: 'entra.third@arbetsformedlingen.se', active: true, name: { givenName: 'Entra', familyName: 'Third' } });
    expect((await scim.call('af-hr', 'DELETE', `/Users/${other.body.id as string}`)).status).toBe(204);
    expect((await scim.call('af-hr', 'GET', `/Users/${other.body.id as string}`)).body.active).toBe(false);
  });

  it("should pass the Okta SCIM 2.0 spec test's sequence", async () => {
    // Test 1: the first page of one user has the attributes Okta reads.
    const first = await scim.list('af-hr', 'count=1&startIndex=1');
    expect(first.status).toBe(200);
    expect(first.headers.get('content-type')).toMatch(/^application\/scim\+json/);
    expect(first.body).toMatchObject({ startIndex: 1, itemsPerPage: 1 });
    expect(first.body.totalResults).toBeGreaterThanOrEqual(1);
    expect(first.body.Resources[0]).toEqual(expect.objectContaining({ id: expect.any(String) as unknown, userName: expect.any(String) as unknown, name: expect.any(Object) as unknown, active: true }));
    // Test 2: a random user does not exist.
    const random = 'okta.f4fa5e3b@arbetsformedlingen.se';
    expect((await scim.filter('af-hr', `userName eq "${random}"`, '&startIndex=1&count=100')).body.totalResults).toBe(0);
    // Test 3: create it (Okta sends a password and a displayName; the hub keeps no passwords).
    const body = {
      schemas: [CORE_USER],
      userName: random,
      name: { givenName: 'Okta', familyName: 'Tester' },
      emails: [{ primary: true, value: random, type: 'work' }],
      displayName: 'Okta Tester',
      active: true,
      password: '1mz050nq',
    };
    const created = await scim.call<Json>('af-hr', 'POST', '/Users', body);
    expect(created.status).toBe(201);
    expect(created.body.password).toBeUndefined();
    const id = created.body.id as string;
    // Test 4: read it by id; Test 5: creating it again is a conflict; Test 6: find it by userName.
    expect((await scim.call('af-hr', 'GET', `/Users/${id}`)).body).toMatchObject({ id, userName: random, active: true });
    const dup = await scim.call('af-hr', 'POST', '/Users', body);
    expect(dup.status).toBe(409);
    const found = await scim.filter('af-hr', `userName eq "${random.toUpperCase()}"`, '&startIndex=1&count=100');
    expect(found.body.Resources.map((r) => r.id)).toEqual([id]);
    // Test 7: update with PUT; Test 8: deactivate with a path-less PATCH replace.
    const put = await scim.call('af-hr', 'PUT', `/Users/${id}`, { ...body, name: { givenName: 'Okta', familyName: 'Changed' } });
    expect(put.body).toMatchObject({ name: { familyName: 'Changed' } });
    const off = await scim.call('af-hr', 'PATCH', `/Users/${id}`, { schemas: [PATCH_OP], Operations: [{ op: 'replace', value: { active: false } }] });
    expect(off.body).toMatchObject({ active: false });
    // Test 9: an id that does not exist is 404 with a SCIM error.
    const missing = await scim.call('af-hr', 'GET', '/Users/010101010101010101');
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({ schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'], status: '404' });
  });
});
