import type { ServerResponse } from 'node:http';
import { DevAuthorization, DevTokenRefused, type DevSignIn } from '../../auth/dev-authorization.js';
import type { DevIssuer } from '../../auth/dev-issuer.js';
import { AssuranceLevel, assuranceLevelOf, meetsAssurance } from '../../auth/assurance.js';
import { demoRegistrationNumber, demoUsers } from '../../demo/demo-data.js';
import { HttpError, readBody, sendJson } from '../../http/request.js';
import type { Route } from './route.js';

const FORM_LIMIT = 16 * 1024;
const TOKEN_TTL_SECONDS = 8 * 3600;
const PAGE_CSP = "default-src 'none'; style-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";
const AUTHORIZE_PARAMS = ['response_type', 'client_id', 'redirect_uri', 'code_challenge', 'code_challenge_method', 'state', 'acr_values', 'login_hint', 'ui_locales'];

/**
 * The development issuer's sign-in for the console (only when DEV_ISSUER is on): an authorization page
 * listing the demo users `npm run token` lists, plus a new person with an e-ID of any organisation (the
 * self-registration case), and a token endpoint redeeming the code with its PKCE verifier.
 */
export function devIssuerRoutes(issuer: DevIssuer): Route[] {
  const codes = new DevAuthorization();
  return [
    {
      name: 'dev-issuer-authorize-page',
      matches: (method, path) => method === 'GET' && path === '/dev-issuer/authorize',
      async handle({ req, res, url }) {
        const problem = DevAuthorization.requestProblem(url.searchParams, req.headers.host);
        if (problem) return page(res, 400, 'Sign-in request refused', `<p role="alert">${escape(problem)}</p>`);
        page(res, 200, 'Local development sign-in', signInForm(url.searchParams));
      },
    },
    {
      name: 'dev-issuer-authorize',
      matches: (method, path) => method === 'POST' && path === '/dev-issuer/authorize',
      async handle({ req, res }) {
        const form = new URLSearchParams(await readBody(req, FORM_LIMIT));
        const problem = DevAuthorization.requestProblem(form, req.headers.host);
        if (problem) return page(res, 400, 'Sign-in request refused', `<p role="alert">${escape(problem)}</p>`);
        const signIn = chosenSignIn(form);
        if (typeof signIn === 'string') return page(res, 400, 'Local development sign-in', `<p role="alert" class="error">${escape(signIn)}</p>${signInForm(form)}`);
        const target = new URL(form.get('redirect_uri')!);
        target.searchParams.set('code', codes.issue(form, signIn));
        if (form.get('state')) target.searchParams.set('state', form.get('state')!);
        res.writeHead(303, { location: target.toString(), 'cache-control': 'no-store' });
        res.end();
      },
    },
    {
      name: 'dev-issuer-token',
      matches: (method, path) => method === 'POST' && path === '/dev-issuer/token',
      async handle({ req, res }) {
        if (!/^application\/x-www-form-urlencoded/i.test(req.headers['content-type'] ?? '')) {
          throw new HttpError(415, 'UNSUPPORTED_MEDIA_TYPE', 'The token request is application/x-www-form-urlencoded.');
        }
        const form = new URLSearchParams(await readBody(req, FORM_LIMIT));
        let signIn: DevSignIn;
        try {
          signIn = codes.redeem(form);
        } catch (error) {
          if (error instanceof DevTokenRefused) return sendJson(res, 400, { error: error.error, error_description: error.message }, { 'cache-control': 'no-store' });
          throw error;
        }
        const token = await issuer.sign(
          { sub: signIn.subject, email: signIn.email, name: signIn.name, acr: signIn.acr, registration_number: signIn.registrationNumber },
          TOKEN_TTL_SECONDS,
        );
        sendJson(res, 200, { access_token: token, token_type: 'Bearer', expires_in: TOKEN_TTL_SECONDS }, { 'cache-control': 'no-store', pragma: 'no-cache' });
      },
    },
  ];
}

/** The person picked, signed at the level the request asks for if that is above their usual one; or what is wrong. */
function chosenSignIn(form: URLSearchParams): DevSignIn | string {
  const requested = form.get('acr_values')?.split(' ').map(assuranceLevelOf).find(Boolean) ?? AssuranceLevel.LOW;
  const chosen = form.get('acr');
  // "usual": the person's own level, raised to what the request asks for; else exactly the level picked (to try step-up).
  const level = (usual: AssuranceLevel) => (chosen && chosen !== 'usual' ? assuranceLevelOf(chosen) : meetsAssurance(usual, requested) ? usual : requested);
  const email = form.get('user');
  if (email && email !== 'new') {
    const user = demoUsers.find((u) => u.email === email);
    if (!user) return 'Pick one of the demo users.';
    return { subject: user.email, email: user.email, name: `${user.givenName} ${user.familyName}`, acr: level(user.assuranceLevel), registrationNumber: demoRegistrationNumber(user.employer) };
  }
  const subject = (form.get('subject') ?? '').trim();
  const registrationNumber = (form.get('registration_number') ?? '').trim();
  if (!/^[^\s@]{1,64}@[^\s@]{1,190}$/.test(subject)) return 'A new person needs an e-mail address as their e-ID subject.';
  if (!/^[0-9-]{4,20}$/.test(registrationNumber)) return "A new person needs their employer's registration number (digits).";
  return { subject, email: subject, acr: level(AssuranceLevel.SUBSTANTIAL), registrationNumber };
}

function signInForm(params: URLSearchParams): string {
  const hidden = AUTHORIZE_PARAMS.filter((p) => params.get(p) !== null)
    .map((p) => `<input type="hidden" name="${p}" value="${escape(params.get(p)!)}">`)
    .join('');
  const hint = params.get('login_hint');
  const users = demoUsers
    .map((u, i) => {
      const id = `user-${i}`;
      const checked = hint ? u.email === hint : i === 0;
      return `<li><input type="radio" name="user" id="${id}" value="${escape(u.email)}"${checked ? ' checked' : ''}> <label for="${id}"><strong>${escape(`${u.givenName} ${u.familyName}`)}</strong> ${escape(u.email)} <span class="muted">— ${escape(u.note)}</span></label></li>`;
    })
    .join('');
  const acr = params.get('acr_values');
  return `<form method="post" action="/dev-issuer/authorize">${hidden}
<p>Signs a token of the local development issuer, as <code>npm run token</code> does.${acr ? ` Assurance level asked for: <strong>${escape(acr)}</strong>.` : ''}</p>
<fieldset><legend>Demo users</legend><ul class="plain">${users}
<li><input type="radio" name="user" id="user-new" value="new"> <label for="user-new"><strong>A new person</strong> with an e-ID of an organisation (self-registration)</label>
<div class="field"><label for="subject">E-mail (the e-ID's subject)</label><input id="subject" name="subject" type="email" autocomplete="off" value="${escape(params.get('subject') ?? '')}"></div>
<div class="field"><label for="registration_number">Employer's registration number (CVR, organisationsnummer)</label><input id="registration_number" name="registration_number" inputmode="numeric" value="${escape(params.get('registration_number') ?? '')}"></div></li>
</ul></fieldset>
<div class="field"><label for="acr">Assurance level</label><select id="acr" name="acr">
<option value="usual">${acr ? `as asked for (${escape(acr)}) or the person's usual level` : "the person's usual level"}</option>
<option value="low">low</option><option value="substantial">substantial</option><option value="high">high</option></select></div>
<button type="submit">Sign in</button></form>`;
}

function page(res: ServerResponse, status: number, title: string, body: string): void {
  const html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escape(title)}</title><link rel="stylesheet" href="/console/console.css"></head>
<body><main class="narrow" id="main"><h1>${escape(title)}</h1>${body}</main></body></html>`;
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'content-security-policy': PAGE_CSP, 'cache-control': 'no-store', 'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer' });
  res.end(html);
}

function escape(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
