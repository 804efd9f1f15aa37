import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../../src/db/orm.js';
import { demoRegistrationNumber, demoUsers } from '../../src/demo/demo-data.js';
import { demo, startTestHub, type TestHub } from '../support/hub.js';

interface SessionData {
  session: { authenticated: boolean; registered: boolean; registrationNumber: string | null; assuranceLevel: string | null };
  me: { email: string } | null;
}

const employerNumber = (email: string) => demoRegistrationNumber(demoUsers.find((u) => u.email === email)!.employer) ?? null;

const QUERY = '{ session { authenticated registered registrationNumber assuranceLevel } me { email } }';

describe('sign-in: a verified token maps to the user and the facts it asserts', () => {
  let hub: TestHub;
  beforeAll(async () => {
    hub = await startTestHub();
  });
  afterAll(() => hub.close());

  const signIn = async (email: string, claims: Parameters<TestHub['token']>[1] = {}) => {
    const res = await hub.gql<SessionData>(QUERY, {}, await hub.token(email, claims));
    expect(res.errors, email).toBeUndefined();
    expect(res.status).toBe(200);
    return res.data!;
  };

  it('maps a development-issuer token of each demo user to that user, with their employer registration number', async () => {
    for (const user of demoUsers) {
      const data = await signIn(user.email);
      expect(data.me, user.email).toEqual({ email: user.email });
      expect(data.session, user.email).toEqual({
        authenticated: true,
        registered: true,
        registrationNumber: employerNumber(user.email),
        assuranceLevel: user.assuranceLevel.toUpperCase(),
      });
    }
  });

  it('exposes the registration number the token asserts, not the one on record', async () => {
    const asserted = employerNumber(demo.anna)!;
    expect(asserted).not.toBe(employerNumber(demo.erik));
    const data = await signIn(demo.erik, { registration_number: asserted });
    expect(data.me).toEqual({ email: demo.erik });
    expect(data.session.registrationNumber).toBe(asserted);
  });

  it.each([
    ['http://id.elegnamnden.se/loa/1.0/loa4', 'HIGH'],
    ['http://id.elegnamnden.se/loa/1.0/loa3', 'SUBSTANTIAL'],
    ['https://data.gov.dk/concept/core/nsis/loa/Substantial', 'SUBSTANTIAL'],
    ['https://data.gov.dk/concept/core/nsis/loa/High', 'HIGH'],
    ['urn:example:loa:unknown', 'LOW'],
    ['constructor', 'LOW'],
    ['__proto__', 'LOW'],
  ])('reads the assurance level from acr %s as %s', async (acr, level) => {
    const data = await signIn(demo.anna, { acr });
    expect(data.session.assuranceLevel).toBe(level);
    expect(data.me).toEqual({ email: demo.anna });
  });

  it('signs in a subject of the development issuer that has no user, without registering it', async () => {
    const data = await signIn(demo.anna, { sub: 'not-a-demo-user@example.se' });
    expect(data).toEqual({
      session: { authenticated: true, registered: false, registrationNumber: employerNumber(demo.anna), assuranceLevel: 'SUBSTANTIAL' },
      me: null,
    });
  });

  describe('npm run token', () => {
    const tokenCli = (args: string[]) =>
      spawnSync(join(projectRoot, 'node_modules/.bin/tsx'), ['src/auth/token-cli.ts', ...args], {
        cwd: projectRoot,
        // Only what the CLI needs, so the developer's own DEV_ISSUER_URL or TOKEN_AUDIENCE cannot leak in.
        env: { PATH: process.env.PATH, HOME: process.env.HOME, NODE_ENV: 'development', DATA_DIR: hub.config.dataDir },
        encoding: 'utf8',
        timeout: 60_000,
      });

    it('prints a token for a demo user that the hub on the same data directory accepts', async () => {
      const run = tokenCli([demo.mette, '--acr', 'http://eidas.europa.eu/LoA/high']);
      expect(run.stderr).toBe('');
      expect(run.status).toBe(0);
      const token = run.stdout.trim();
      expect(token).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
      const res = await hub.gql<SessionData>(QUERY, {}, token);
      expect(res.errors).toBeUndefined();
      expect(res.data).toEqual({
        session: { authenticated: true, registered: true, registrationNumber: employerNumber(demo.mette), assuranceLevel: 'HIGH' },
        me: { email: demo.mette },
      });
    });

    it('exits non-zero for an unknown e-mail, listing the demo users', () => {
      const run = tokenCli(['nobody@example.com']);
      expect(run.status).not.toBe(0);
      expect(run.stdout).toBe('');
      for (const user of demoUsers) expect(run.stderr).toContain(user.email);
    });

    it('exits non-zero for a lifetime that is not a number of seconds', () => {
      const run = tokenCli([demo.anna, '--ttl', 'soon']);
      expect(run.status).not.toBe(0);
      expect(run.stdout).toBe('');
      expect(run.stderr).toMatch(/--ttl/);
    });
  });
});
