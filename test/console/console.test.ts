import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { pdf } from '../support/files.js';
import { demo, startTestHub, type TestHub } from '../support/hub.js';
import { APPOINTMENT_APPROVE, APPOINTMENT_REQUEST, MANDATE_GRANT, type AppointmentPayload } from '../delegation/queries.js';
import { hire } from '../orders/fixtures.js';
import { axeViolations, CHROMIUM, launchBrowser, screenshot } from './browser.js';
import { existsSync } from 'node:fs';

const NORD = '31122333';
const FREJA = 'freja.console@nord.dk';

/**
 * On a newcomer's machine without Chromium these tests are skipped with a warning, so `npm test`
 * passes there; in CI (CI set, and .ci/run installs Chromium) a missing browser fails them.
 */
const noBrowser = !existsSync(CHROMIUM) && !process.env.CI;
if (noBrowser) console.warn(`console browser tests skipped: no Chromium at ${CHROMIUM} (apt-get install -y chromium)`);

describe.skipIf(noBrowser)('the web console in a real browser', () => {
  let hub: TestHub;
  let browser: Browser;
  let origin: string;
  const cspViolations: string[] = [];

  beforeAll(async () => {
    [hub, browser] = await Promise.all([startTestHub(), launchBrowser()]);
    origin = new URL(hub.url).origin;
  });
  afterAll(async () => {
    await browser?.close();
    await hub?.close();
  });

  /** A fresh tab (its own sessionStorage) in English, recording any CSP refusal. */
  async function tab(locale = 'en-GB'): Promise<{ context: BrowserContext; page: Page }> {
    const context = await browser.newContext({ locale });
    context.setDefaultTimeout(8_000);
    const page = await context.newPage();
    page.on('console', (m) => {
      if (/Content Security Policy/i.test(m.text())) cspViolations.push(m.text());
      if (process.env.CONSOLE_DEBUG) console.log('[browser]', m.text());
    });
    page.on('pageerror', (e) => {
      cspViolations.push(`page error: ${e.message}`);
      if (process.env.CONSOLE_DEBUG) console.log('[page error]', e.message);
    });
    return { context, page };
  }

  /** Signs in on the development issuer's page: a demo user by e-mail, or a new person with an e-ID of an organisation. */
  async function signIn(page: Page, who: { email: string } | { subject: string; registrationNumber: string }, acr?: string): Promise<void> {
    await page.goto(`${origin}/console/`);
    await page.getByRole('button', { name: /Local development sign-in/ }).click();
    await page.waitForURL(/\/dev-issuer\/authorize/);
    if ('email' in who) await page.check(`input[name=user][value="${who.email}"]`);
    else {
      await page.check('#user-new');
      await page.fill('#subject', who.subject);
      await page.fill('#registration_number', who.registrationNumber);
    }
    if (acr) await page.selectOption('#acr', acr);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('header .who').waitFor();
  }

  async function expectAccessible(page: Page, name: string): Promise<void> {
    await screenshot(page, name);
    expect(await axeViolations(page), name).toEqual([]);
  }

  it('serves the console with a strict CSP, compressed and cacheable, under 200 KB of script', async () => {
    const res = await fetch(`${origin}/console/`, { headers: { 'accept-encoding': 'br' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const csp = res.headers.get('content-security-policy')!;
    expect(csp).toContain("default-src 'none'");
    expect(csp).toMatch(/script-src 'self' 'sha256-[A-Za-z0-9+/=]+'(;|$)/);
    expect(csp).not.toContain('unsafe');
    const etag = res.headers.get('etag')!;
    expect((await fetch(`${origin}/console/`, { headers: { 'if-none-match': etag } })).status).toBe(304);
    expect((await fetch(`${origin}/console/nope.js`)).status).toBe(404);
    expect((await fetch(`${origin}/console`, { redirect: 'manual' })).headers.get('location')).toBe('/console/');

    const { context, page } = await tab();
    let scriptBytes = 0;
    page.on('response', (r) => {
      if (r.request().resourceType() === 'script') scriptBytes += Number(r.headers()['content-length'] ?? 1e9);
    });
    await page.goto(`${origin}/console/`);
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    expect(scriptBytes).toBeGreaterThan(1000);
    expect(scriptBytes).toBeLessThan(200 * 1024);
    await expectAccessible(page, 'sign-in');
    await context.close();
  });

  it('fails with what to install when Chromium is missing, never skips', async () => {
    await expect(launchBrowser('/nonexistent/chromium')).rejects.toThrow(/apt-get install -y chromium/);
  });

  it('refuses a token request without the PKCE verifier of the code, and a code twice', async () => {
    const verifier = 'v'.repeat(43);
    const challenge = Buffer.from(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier))).toString('base64url');
    const params = { response_type: 'code', client_id: 'console', redirect_uri: `${origin}/console/`, code_challenge: challenge, code_challenge_method: 'S256', state: 's' };
    const picked = await fetch(`${origin}/dev-issuer/authorize`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ ...params, user: demo.anna, acr: 'usual' }),
    });
    expect(picked.status).toBe(303);
    const code = new URL(picked.headers.get('location')!).searchParams.get('code')!;
    const redeem = (v: string) =>
      fetch(`${origin}/dev-issuer/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'authorization_code', code, code_verifier: v, redirect_uri: `${origin}/console/`, client_id: 'console' }),
      });
    const wrong = await redeem('w'.repeat(43));
    expect(wrong.status).toBe(400);
    expect(await wrong.json()).toMatchObject({ error: 'invalid_grant' });
    // A refused attempt spends the code: it is good once.
    expect((await redeem(verifier)).status).toBe(400);
    const bad = await fetch(`${origin}/dev-issuer/authorize?${new URLSearchParams({ ...params, redirect_uri: "https://evil.example/console/" }).toString()}`);
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain('redirect_uri');
  });

  it('self-registration → decision (with step-up) → basic information → my access', async () => {
    const applicant = await tab('da-DK');
    const p = applicant.page;
    await signIn(p, { subject: FREJA, registrationNumber: NORD });
    // Danish from the browser's languages; switched to English in the header.
    await p.getByRole('heading', { name: 'Registrér dig for adgang' }).waitFor();
    await expectAccessible(p, 'register-da');
    await p.selectOption('#language', 'en');
    await p.getByRole('heading', { name: 'Register for access' }).waitFor();
    await expect.poll(() => p.textContent('form')).toContain('Specialcenter Nord ApS');
    await p.selectOption('#role', { label: 'Specialist' });
    await p.fill('#givenName', 'Freja');
    await p.fill('#familyName', 'Holm');
    await p.fill('#email', FREJA);
    await p.fill('#phone', '+45 20 30 40 50');
    await p.getByLabel('Voksenområdet').check();
    await p.getByLabel('Børne- og ungeområdet').check();
    const cvs = p.locator('input[type=file]');
    await expect.poll(() => cvs.count()).toBe(2);
    for (let i = 0; i < 2; i++) await cvs.nth(i).setInputFiles({ name: `cv-${i}.pdf`, mimeType: 'application/pdf', buffer: pdf(`CV ${i}`) });
    await expectAccessible(p, 'register-form');
    await p.getByRole('button', { name: 'Send registration' }).click();
    await p.getByText('Your registration was sent').waitFor();
    await p.getByTestId('my-registrations').getByText('Waiting for decision').waitFor();

    // VISO decides, first at a lower level than deciding needs: the console asks for a stronger sign-in.
    const issuer = await tab();
    const q = issuer.page;
    await signIn(q, { email: demo.sofie }, 'low');
    await q.getByRole('link', { name: 'Decide' }).click();
    const card = q.getByTestId('order').filter({ hasText: FREJA });
    await card.waitFor();
    await expect.poll(() => card.getByTestId('age').textContent()).toBe('0 h');
    await card.getByRole('button', { name: 'Open cv-0.pdf' }).click();
    const [viewer] = await Promise.all([q.waitForEvent('popup'), card.getByRole('link', { name: 'View cv-0.pdf (new tab)' }).click()]);
    expect(viewer.url()).toMatch(/^blob:/);
    await viewer.close();
    await expectAccessible(q, 'decide');
    await card.getByRole('button', { name: 'Approve', exact: true }).click();
    const dialog = q.locator('dialog[open]');
    await dialog.waitFor();
    await expect.poll(() => dialog.textContent()).toContain('Stronger sign-in needed');
    expect(await dialog.textContent()).toContain('SUBSTANTIAL');
    await screenshot(q, 'step-up');
    await dialog.getByRole('button', { name: 'Sign in again' }).click();
    await q.waitForURL(/acr_values=substantial/);
    expect(await q.isChecked(`input[name=user][value="${demo.sofie}"]`)).toBe(true);
    await q.getByRole('button', { name: 'Sign in' }).click();
    await q.getByRole('heading', { name: 'Orders to decide' }).waitFor();
    const again = q.getByTestId('order').filter({ hasText: FREJA });
    await again.getByRole('button', { name: 'Approve' }).click();
    await q.getByText(/Order for Freja Holm: Approved/).waitFor();

    // Back as the applicant: the basic-information form, then the grant and its issuer's support.
    await p.reload();
    await p.getByRole('heading', { name: 'Basic information' }).waitFor();
    await expectAccessible(p, 'profile');
    await p.fill('#phone', '+45 20 30 40 51');
    await p.getByRole('button', { name: 'Save' }).click();
    await p.getByRole('heading', { name: 'My access' }).waitFor();
    const grants = p.getByTestId('my-grants');
    await grants.getByText('Specialist').waitFor();
    expect(await grants.textContent()).toContain('Active');
    const api = await hub.gql<{ me: { responsibleIssuer: { name: string }; grants: { totalCount: number } } }>(
      'query($s: ID!) { me { responsibleIssuer(service: $s) { name } grants { totalCount } } }',
      { s: (await hub.gql<{ services: { nodes: { id: string; code: string }[] } }>('{ services { nodes { id code } } }')).data!.services.nodes.find((s) => s.code === 'VIAS')!.id },
      await hub.token(FREJA, { sub: FREJA, registration_number: NORD }),
    );
    expect(await p.getByTestId('issuers').textContent()).toContain(api.data!.me.responsibleIssuer.name);
    expect(await grants.locator('tbody tr').count()).toBe(api.data!.me.grants.totalCount);
    await expectAccessible(p, 'my-access');
    await applicant.context.close();
    await issuer.context.close();
  });

  it('an outsider sees only what the API lets them see', async () => {
    const { context, page } = await tab('sv-SE');
    await signIn(page, { email: demo.anna });
    await page.getByRole('heading', { name: 'Min behörighet' }).waitFor();
    const api = await hub.as<{ me: { grants: { totalCount: number } }; orders: { totalCount: number } }>(demo.anna, '{ me { grants { totalCount } } orders(toDecide: true) { totalCount } }');
    await page.getByTestId('my-grants').waitFor();
    expect(await page.getByTestId('my-grants').locator('tbody tr').count()).toBe(api.data!.me.grants.totalCount);
    await expectAccessible(page, 'my-access-sv');
    await page.getByRole('link', { name: 'Besluta' }).click();
    await page.getByTestId('waiting').waitFor();
    expect(await page.getByTestId('waiting').textContent()).toBe(`${api.data!.orders.totalCount} väntar`);
    expect(await page.content()).not.toContain(FREJA);
    await expectAccessible(page, 'decide-outsider');
    await context.close();
  });

  it('orderer orders for two of her staff with the signed form → the authority approves → the grants are visible', async () => {
    const services = (await hub.gql<{ services: { nodes: { id: string; code: string }[] } }>('{ services { nodes { id code } } }')).data!.services.nodes;
    const sus = services.find((x) => x.code === 'SUS')!.id;
    const orgs = (await hub.as<{ organisations: { nodes: { id: string; name: string }[] } }>(demo.karin, '{ organisations(first: 100) { nodes { id name } } }')).data!.organisations.nodes;
    const requested = await hub.upload<{ ordererAppointmentRequest: AppointmentPayload }>(
      await hub.token(demo.maria),
      APPOINTMENT_REQUEST,
      { input: { service: sus, scope: orgs.find((o) => o.name === 'Stockholms stad')!.id, requestForm: null } },
      { 'input.requestForm': { bytes: pdf('9450'), filename: '9450.pdf' } },
    );
    await hub.gql(APPOINTMENT_APPROVE, { id: requested.data!.ordererAppointmentRequest.ordererAppointment.id }, await hub.token(demo.karin, { acr: 'high' }));
    const staff = await hire(hub, 'Socialförvaltningen', 2, 'konsol');

    const orderer = await tab();
    const p = orderer.page;
    await signIn(p, { email: demo.maria }, 'high');
    await p.getByRole('link', { name: 'Order' }).click();
    const table = p.getByTestId('staff');
    await table.waitFor();
    const api = await hub.as<{ users: { totalCount: number } }>(demo.maria, '{ users { totalCount } }');
    expect(await p.getByRole('heading', { name: /My staff/ }).textContent()).toBe(`My staff (${api.data!.users.totalCount})`);
    // Searched on the hub by a prefix of the name: only the two new people remain, counted.
    await p.fill('#staff-search', 'Konsol person');
    await expect.poll(() => p.getByRole('heading', { name: /My staff/ }).textContent()).toBe('My staff (2)');
    expect(await table.locator('tbody tr').count()).toBe(2);
    await screenshot(p, 'order-search');
    for (const email of staff) await table.locator('tr', { hasText: email }).getByRole('checkbox').check();
    await p.selectOption('#order-service', { label: 'SUS – uppföljningssystem för samordningsförbund' });
    await p.selectOption('#order-role', { label: 'Uppföljare' });
    await p.setInputFiles('#orderForm', { name: '9445.pdf', mimeType: 'application/pdf', buffer: pdf('Blankett 9445') });
    await expectAccessible(p, 'order');
    await p.getByRole('button', { name: 'Send orders' }).click();
    await p.getByText('2 orders sent.').waitFor();

    const authority = await tab();
    const q = authority.page;
    await signIn(q, { email: demo.karin });
    await q.getByRole('link', { name: 'Decide' }).click();
    for (const email of staff) {
      const card = q.getByTestId('order').filter({ hasText: email });
      await card.getByRole('button', { name: 'Approve', exact: true }).click();
      await card.waitFor({ state: 'detached' });
    }
    await p.reload();
    for (const email of staff) await table.locator('tr', { hasText: email }).getByText('SUS: Uppföljare').waitFor();
    await screenshot(p, 'order-after-approval');
    await orderer.context.close();
    await authority.context.close();
  });

  it("the dashboard shows the API's report figures, each with its CSV", async () => {
    const { context, page } = await tab();
    await signIn(page, { email: demo.karin });
    await page.getByRole('link', { name: 'Dashboard' }).click();
    // Each section loads on its own request.
    for (const id of ['by-service', 'orders-waiting', 'workload', 'trend', 'expiring']) await page.getByTestId(id).waitFor({ state: 'attached' });
    const api = await hub.as<{ reports: { grantStatistics: { total: number; byService: { label: string; count: number }[]; byRole: { label: string; count: number }[] }; ordersWaiting: { waiting: number }[] } }>(
      demo.karin,
      '{ reports { grantStatistics { total byService { label count } byRole { label count } } ordersWaiting { waiting } } }',
    );
    const rows = async (id: string) =>
      (await page.getByTestId(id).locator('tbody tr').evaluateAll((trs: { children: ArrayLike<{ textContent: string | null }> }[]) => trs.map((tr) => [tr.children[0].textContent, tr.children[1].textContent]))) as [string, string][];
    const stats = api.data!.reports.grantStatistics;
    expect(await rows('by-service')).toEqual(stats.byService.map((r) => [r.label, String(r.count)]));
    expect(await rows('by-role')).toEqual(stats.byRole.map((r) => [r.label, String(r.count)]));
    expect(await page.getByRole('heading', { name: /^Grants \(/ }).textContent()).toBe(`Grants (${stats.total})`);
    expect((await rows('orders-waiting')).map((r) => Number(r[1]))).toEqual(api.data!.reports.ordersWaiting.map((w) => w.waiting));
    await page.locator('.chart canvas').first().waitFor();
    await expectAccessible(page, 'dashboard');
    const section = page.locator('section', { has: page.getByRole('heading', { name: /^Grants \(/ }) });
    const [file] = await Promise.all([page.waitForEvent('download'), section.getByRole('button', { name: 'Download CSV' }).click()]);
    const { readFile } = await import('node:fs/promises');
    const csv = await readFile(await file.path(), 'utf8');
    expect(csv.split('\n').length).toBeGreaterThan(1);
    await context.close();
  });

  /** Picks an organisation in a picker (a search on the hub, then the list of matches) by its name. */
  async function pick(page: Page, id: string, search: string, name: string): Promise<void> {
    await page.fill(`[id="${id}-search"]`, search);
    const select = page.locator(`[id="${id}"]`);
    await expect.poll(() => select.locator('option').allTextContents()).toContainEqual(expect.stringContaining(name));
    const label = (await select.locator('option').allTextContents()).find((o) => o === name || o.startsWith(`${name} (`))!;
    await select.selectOption({ label });
  }

  it('an administrator adds a person, moves them to another employer and ends the employment', async () => {
    const { context, page } = await tab();
    await signIn(page, { email: demo.sofie });
    await page.getByRole('link', { name: 'Administer' }).click();
    await page.getByTestId('people').waitFor();
    await page.fill('#new-given', 'Ida');
    await page.fill('#new-family', 'Konsol');
    await page.fill('#new-email', 'ida.konsol@nord.dk');
    await pick(page, 'new-employer', 'specialc', 'Specialcenter Nord ApS');
    await expectAccessible(page, 'administer');
    await page.getByRole('button', { name: 'Add person' }).click();
    await page.getByText('Ida Konsol was added.').waitFor();
    type People = { users: { totalCount: number; nodes: { email: string; employer: { name: string }; employments: { validTo: string | null }[] }[] } };
    const people = async () => (await hub.as<People>(demo.sofie, '{ users(first: 100) { totalCount nodes { email employer { name } employments { validTo } } } }')).data!.users;
    const ida = async () => (await people()).nodes.find((u) => u.email === 'ida.konsol@nord.dk');
    expect((await ida())?.employer.name).toBe('Specialcenter Nord ApS');
    expect(await page.getByRole('heading', { name: /^People/ }).textContent()).toBe(`People (${(await people()).totalCount})`);

    // Found again by a search on the hub, then moved.
    await page.fill('#people-search', 'IDA KON');
    const rows = page.getByTestId('people').locator('tbody tr');
    await expect.poll(() => rows.count()).toBe(1);
    const row = rows.filter({ hasText: 'ida.konsol@nord.dk' });
    await row.getByRole('button', { name: 'Move Ida Konsol to another employer' }).click();
    await pick(page, `move-${await idOf('ida.konsol@nord.dk')}-employer`, 'børne', 'Børne- og Ungeklinikken A/S');
    await row.getByLabel('Reason').fill('Skiftet leverandør');
    await expectAccessible(page, 'administer-move');
    await row.getByRole('button', { name: 'Move employment' }).click();
    await page.getByText('Ida Konsol moves to Børne- og Ungeklinikken A/S.').waitFor();
    await expect.poll(async () => (await ida())?.employer.name).toBe('Børne- og Ungeklinikken A/S');

    await row.getByRole('button', { name: 'End the employment of Ida Konsol' }).click();
    await row.getByLabel('Reason').fill('Fratrådt');
    await expectAccessible(page, 'administer-end');
    await row.getByRole('button', { name: 'End employment' }).click();
    await page.getByText('The employment of Ida Konsol ends.').waitFor();
    expect((await ida())!.employments[0].validTo).not.toBeNull();
    await context.close();

    // An outsider's Administer page holds what the API gives them, and not the new person.
    const outsider = await tab();
    await signIn(outsider.page, { email: demo.anna });
    await outsider.page.getByRole('link', { name: 'Administer' }).click();
    await outsider.page.getByTestId('people').waitFor();
    const theirs = (await hub.as<{ users: { totalCount: number } }>(demo.anna, '{ users { totalCount } }')).data!.users.totalCount;
    expect(await outsider.page.getByRole('heading', { name: /^People/ }).textContent()).toBe(`People (${theirs})`);
    await outsider.page.fill('#people-search', 'ida');
    await expect.poll(() => outsider.page.getByRole('heading', { name: /^People/ }).textContent()).toBe('People (0)');
    expect(await outsider.page.content()).not.toContain('ida.konsol@nord.dk');
    await outsider.context.close();
  });

  /** A person's global id, as the administrator sees it. */
  async function idOf(email: string): Promise<string> {
    const res = await hub.as<{ users: { nodes: { id: string; email: string }[] } }>(demo.sofie, 'query($s: String) { users(search: $s) { nodes { id email } } }', { s: email });
    return res.data!.users.nodes.find((u) => u.email === email)!.id;
  }

  it('an administrator creates a unit, renames, moves and closes it; an outsider finds none of it', async () => {
    const { context, page } = await tab();
    await signIn(page, { email: demo.sofie });
    await page.getByRole('link', { name: 'Administer' }).click();
    await page.getByRole('button', { name: 'Units' }).click();
    await pick(page, 'unit-pick', 'Specialcenter', 'Specialcenter Nord ApS');
    const unit = page.getByTestId('unit');
    await unit.getByRole('heading', { name: 'Specialcenter Nord ApS' }).waitFor();
    await expectAccessible(page, 'administer-units');
    await page.fill('#unit-new-name', 'Konsolenheten');
    await page.getByRole('button', { name: 'Add unit' }).click();
    await page.getByText('Konsolenheten was added.').waitFor();
    await unit.getByTestId('children').getByText('Konsolenheten').waitFor();

    await pick(page, 'unit-pick', 'konsolenh', 'Konsolenheten');
    await unit.getByRole('heading', { name: 'Konsolenheten' }).waitFor();
    await page.fill('#unit-rename', 'Konsolenheten Syd');
    await page.getByRole('button', { name: 'Save name' }).click();
    await page.getByText('The name is now Konsolenheten Syd.').waitFor();
    type Orgs = { organisations: { nodes: { name: string; kind: string; parent: { name: string } | null }[] } };
    const found = (await hub.as<Orgs>(demo.sofie, '{ organisations(search: "konsolenheten") { nodes { name kind parent { name } } } }')).data!.organisations.nodes;
    expect(found).toEqual([{ name: 'Konsolenheten Syd', kind: 'UNIT', parent: { name: 'Specialcenter Nord ApS' } }]);

    await pick(page, 'unit-parent', 'børne', 'Børne- og Ungeklinikken A/S');
    await page.getByRole('button', { name: 'Move here' }).click();
    await page.getByText('Konsolenheten Syd now lies under Børne- og Ungeklinikken A/S.').waitFor();
    await page.fill('#unit-close-reason', 'Nedlagt');
    await page.getByRole('button', { name: 'Close organisation' }).click();
    await page.getByText('Konsolenheten Syd is closed.').waitFor();
    type Closed = { organisations: { nodes: { parent: { name: string }; closedAt: string | null }[] } };
    const closed = (await hub.as<Closed>(demo.sofie, '{ organisations(search: "konsolenheten") { nodes { parent { name } closedAt } } }')).data!.organisations.nodes;
    expect(closed.map((o) => o.parent.name)).toEqual(['Børne- og Ungeklinikken A/S']);
    expect(closed[0].closedAt).not.toBeNull();
    await context.close();

    const outsider = await tab();
    await signIn(outsider.page, { email: demo.karin });
    await outsider.page.getByRole('link', { name: 'Administer' }).click();
    await outsider.page.getByRole('button', { name: 'Units' }).click();
    await outsider.page.fill('#unit-pick-search', 'konsolenheten');
    await expect.poll(() => outsider.page.locator('label[for=unit-pick]').textContent()).toBe('Matches (0)');
    expect(await outsider.page.locator('#unit-pick option').count()).toBe(0);
    await outsider.context.close();
  });

  it('the orderer, mandate and routine views show what the API gives: appoint, end, change support; axe', async () => {
    // A mandate for Arbetsförmedlingen, granted through the API, to maintain on the page.
    const sus = (await hub.gql<{ services: { nodes: { id: string; code: string }[] } }>('{ services { nodes { id code } } }')).data!.services.nodes.find((x) => x.code === 'SUS')!.id;
    const orgs = (await hub.as<{ organisations: { nodes: { id: string; name: string }[] } }>(demo.karin, '{ organisations(search: "arbetsförmedlingen") { nodes { id name } } }')).data!.organisations.nodes;
    const jonas = (await hub.as<{ me: { id: string } }>(demo.jonas, '{ me { id } }')).data!.me.id;
    const granted = await hub.upload<{ issuerMandateGrant: { userErrors: unknown[] } }>(
      await hub.token(demo.karin, { acr: 'high' }),
      MANDATE_GRANT,
      { input: { service: sus, organisation: orgs.find((o) => o.name === 'Arbetsförmedlingen')!.id, agreementReference: 'FK-AF-2026-17', agreementSignatory: 'Generaldirektör',
        agreementDocument: null, administrators: [jonas], thresholdOverrideReason: 'Överenskommelse', supportEmail: 'sus-support@arbetsformedlingen.se' } },
      { 'input.agreementDocument': { bytes: pdf('Överenskommelse'), filename: 'overenskommelse.pdf' } },
    );
    expect(granted.data!.issuerMandateGrant.userErrors).toEqual([]);

    // Maria asks to become orderer for Socialförvaltningen: appointed on the page, then the appointment ended.
    const unit = (await hub.as<{ organisations: { nodes: { id: string }[] } }>(demo.karin, '{ organisations(search: "socialförvaltningen") { nodes { id } } }')).data!.organisations.nodes[0].id;
    const requested = await hub.upload<{ ordererAppointmentRequest: AppointmentPayload }>(
      await hub.token(demo.maria),
      APPOINTMENT_REQUEST,
      { input: { service: sus, scope: unit, requestForm: null } },
      { 'input.requestForm': { bytes: pdf('9450'), filename: '9450.pdf' } },
    );
    const appointment = requested.data!.ordererAppointmentRequest.ordererAppointment.id;
    const stateOf = async () => (await hub.as<{ node: { state: string } }>(demo.karin, 'query($id: ID!) { node(id: $id) { ... on OrdererAppointment { state } } }', { id: appointment })).data!.node.state;

    const { context, page } = await tab();
    await signIn(page, { email: demo.karin }, 'high');
    await page.getByRole('link', { name: 'Administer' }).click();
    type Counts = { ordererAppointments: { totalCount: number }; issuerMandates: { totalCount: number; nodes: { organisation: { name: string } }[] } };
    const api = (await hub.as<Counts>(demo.karin, '{ ordererAppointments { totalCount } issuerMandates(first: 100) { totalCount nodes { organisation { name } } } }')).data!;
    await page.getByRole('button', { name: 'Orderers' }).click();
    await page.getByTestId('appointments').waitFor();
    expect(await page.getByRole('heading', { name: /^Orderer appointments/ }).textContent()).toBe(`Orderer appointments (${api.ordererAppointments.totalCount})`);
    await expectAccessible(page, 'administer-orderers');
    const request = page.getByTestId('appointments').locator('tr', { hasText: 'Socialförvaltningen' }).filter({ hasText: 'Requested' });
    await request.getByRole('button', { name: 'Appoint' }).click();
    await page.getByText('Maria Ek is appointed orderer.').waitFor();
    expect(await stateOf()).toBe('APPROVED');
    const appointed = page.getByTestId('appointments').locator('tr', { hasText: 'Socialförvaltningen' }).filter({ hasText: 'Appointed' });
    await appointed.getByLabel('Reason').fill('Byter tjänst');
    await appointed.getByRole('button', { name: 'End appointment' }).click();
    await page.getByText('The appointment of Maria Ek has ended.').waitFor();
    expect(await stateOf()).toBe('REVOKED');
    await page.getByRole('button', { name: 'Issuer mandates' }).click();
    await expect.poll(() => page.getByRole('heading', { name: /^Issuer mandates \(/ }).textContent()).toBe(`Issuer mandates (${api.issuerMandates.totalCount})`);
    expect(await page.getByTestId('mandate').count()).toBe(api.issuerMandates.nodes.length);
    expect(api.issuerMandates.totalCount).toBeGreaterThan(0);
    await expectAccessible(page, 'administer-mandates');
    const mandate = page.getByTestId('mandate').filter({ hasText: 'Arbetsförmedlingen' });
    const support = mandate.getByRole('form', { name: 'End date and support' });
    await support.getByLabel('Support e-mail').fill('sus-stod@arbetsformedlingen.se');
    await support.getByLabel('Reason').fill('Ny supportadress');
    await mandate.getByRole('button', { name: 'Save changes' }).click();
    await page.getByText('The mandate of Arbetsförmedlingen was changed.').waitFor();
    type Support = { issuerMandates: { nodes: { organisation: { name: string }; supportContact: { email: string } }[] } };
    const saved = (await hub.as<Support>(demo.karin, '{ issuerMandates { nodes { organisation { name } supportContact { email } } } }')).data!.issuerMandates.nodes;
    expect(saved.find((m) => m.organisation.name === 'Arbetsförmedlingen')!.supportContact.email).toBe('sus-stod@arbetsformedlingen.se');
    await page.getByRole('button', { name: 'Routines' }).click();
    await page.getByTestId('routines').first().waitFor();
    await expectAccessible(page, 'administer-routines');
    await context.close();

    // A registrar without a role: no appointments of others, no mandates.
    const outsider = await tab();
    await signIn(outsider.page, { email: demo.anna });
    await outsider.page.getByRole('link', { name: 'Administer' }).click();
    const theirs = (await hub.as<Counts>(demo.anna, '{ ordererAppointments { totalCount } issuerMandates { totalCount nodes { organisation { name } } } }')).data!;
    await outsider.page.getByRole('button', { name: 'Issuer mandates' }).click();
    await expect.poll(() => outsider.page.getByRole('heading', { name: /^Issuer mandates \(/ }).textContent()).toBe(`Issuer mandates (${theirs.issuerMandates.totalCount})`);
    expect(await outsider.page.getByTestId('mandate').count()).toBe(theirs.issuerMandates.nodes.length);
    await outsider.page.getByRole('button', { name: 'Orderers' }).click();
    await expect.poll(() => outsider.page.getByRole('heading', { name: /^Orderer appointments/ }).textContent()).toBe(`Orderer appointments (${theirs.ordererAppointments.totalCount})`);
    await outsider.context.close();
  });

  it('the pages ran under the CSP without a single refusal', () => {
    expect(cspViolations).toEqual([]);
  });
});
