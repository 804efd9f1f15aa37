// OIDC authorization code + PKCE (S256). The token lives in sessionStorage: gone with the tab, never in a cookie.
const TOKEN = 'console.token';
const PENDING = 'console.pending';
const OPTION = 'console.signInOption';

let configPromise = null;

export function signInConfig() {
  configPromise ??= fetch('/console/config.json').then((r) => r.json());
  return configPromise;
}

/** Every way the console can sign in: the development issuer's page, then issuers configured with a console client id. */
export async function signInOptions() {
  const config = await signInConfig();
  return [...(config.devIssuer ? [{ ...config.devIssuer, dev: true }] : []), ...config.issuers];
}

export function token() {
  return sessionStorage.getItem(TOKEN);
}

export function signOut() {
  sessionStorage.removeItem(TOKEN);
}

function base64url(bytes) {
  return btoa(String.fromCharCode(...new Uint8Array(bytes))).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

async function endpointsOf(option) {
  if (option.authorizationEndpoint) return { authorization: option.authorizationEndpoint, token: option.tokenEndpoint };
  const discovery = await fetch(`${option.issuer.replace(/\/$/, '')}/.well-known/openid-configuration`).then((r) => {
    if (!r.ok) throw new Error(`discovery answered ${r.status}`);
    return r.json();
  });
  return { authorization: discovery.authorization_endpoint, token: discovery.token_endpoint };
}

/** Leaves for the issuer's sign-in; `acr` asks for a higher assurance level (step-up). */
export async function signIn(option, { acr, loginHint, lang } = {}) {
  const verifier = base64url(crypto.getRandomValues(new Uint8Array(32)));
  const challenge = base64url(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier)));
  const state = base64url(crypto.getRandomValues(new Uint8Array(16)));
  const endpoints = await endpointsOf(option);
  const redirectUri = `${location.origin}/console/`;
  sessionStorage.setItem(PENDING, JSON.stringify({ verifier, state, tokenEndpoint: endpoints.token, clientId: option.clientId, redirectUri, returnTo: location.hash }));
  sessionStorage.setItem(OPTION, option.issuer);
  const url = new URL(endpoints.authorization, location.origin);
  const params = { response_type: 'code', client_id: option.clientId, redirect_uri: redirectUri, scope: 'openid email profile', code_challenge: challenge, code_challenge_method: 'S256', state };
  if (acr) params.acr_values = acr.toLowerCase();
  if (loginHint) params.login_hint = loginHint;
  if (lang) params.ui_locales = lang;
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
  location.assign(url.toString());
}

/** The option last signed in with (step-up signs in again at the same issuer). */
export async function lastOption() {
  const issuer = sessionStorage.getItem(OPTION);
  const options = await signInOptions();
  return options.find((o) => o.issuer === issuer) ?? options[0];
}

/** On the way back from the issuer: exchanges the code for a token. Answers false when this is no return. */
export async function completeSignIn() {
  const params = new URLSearchParams(location.search);
  if (!params.has('code') && !params.has('error')) return false;
  const pending = JSON.parse(sessionStorage.getItem(PENDING) ?? 'null');
  sessionStorage.removeItem(PENDING);
  history.replaceState(null, '', `${location.pathname}${pending?.returnTo ?? ''}`);
  if (params.has('error')) throw new Error(params.get('error_description') ?? params.get('error'));
  if (!pending || pending.state !== params.get('state')) throw new Error('the sign-in answer does not belong to this browser tab');
  const res = await fetch(pending.tokenEndpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'authorization_code', code: params.get('code'), code_verifier: pending.verifier, redirect_uri: pending.redirectUri, client_id: pending.clientId }),
  });
  const body = await res.json().catch(() => ({}));
  if (!res.ok || !body.access_token) throw new Error(body.error_description ?? `the token endpoint answered ${res.status}`);
  sessionStorage.setItem(TOKEN, body.access_token);
  return true;
}
