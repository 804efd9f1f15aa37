import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { DevAuthorization, DevTokenRefused } from '../../src/auth/dev-authorization.js';

const HOST = 'hub.local:4000';
const verifier = 'a'.repeat(43);
const challenge = createHash('sha256').update(verifier).digest('base64url');
const request = (over: Record<string, string> = {}) =>
  new URLSearchParams({ response_type: 'code', client_id: 'console', redirect_uri: `http://${HOST}/console/`, code_challenge: challenge, code_challenge_method: 'S256', state: 's', ...over });
const redeemForm = (code: string, over: Record<string, string> = {}) =>
  new URLSearchParams({ grant_type: 'authorization_code', code, code_verifier: verifier, redirect_uri: `http://${HOST}/console/`, client_id: 'console', ...over });
const refusal = (fn: () => unknown) => {
  try {
    fn();
  } catch (error) {
    if (error instanceof DevTokenRefused) return error.error;
    throw error;
  }
  return null;
};

describe('the development issuer’s authorization codes', () => {
  it('should accept only a PKCE S256 request redirecting to this hub’s console', () => {
    expect(DevAuthorization.requestProblem(request(), HOST)).toBeNull();
    expect(DevAuthorization.requestProblem(request({ code_challenge_method: 'plain' }), HOST)).toMatch(/S256/);
    expect(DevAuthorization.requestProblem(request({ redirect_uri: 'http://evil.example/console/' }), HOST)).toMatch(/redirect_uri/);
    expect(DevAuthorization.requestProblem(request({ redirect_uri: `http://${HOST}/graphql` }), HOST)).toMatch(/redirect_uri/);
    expect(DevAuthorization.requestProblem(request({ response_type: 'token' }), HOST)).toMatch(/response_type/);
  });

  it('should redeem a code once, with its verifier, redirect URI and client, within a minute', () => {
    let now = 0;
    const codes = new DevAuthorization(() => now);
    const signIn = { subject: 'a@b.se', acr: 'substantial' };
    const code = codes.issue(request(), signIn);
    expect(codes.redeem(redeemForm(code))).toEqual(signIn);
    expect(refusal(() => codes.redeem(redeemForm(code)))).toBe('invalid_grant');
    expect(refusal(() => codes.redeem(redeemForm(codes.issue(request(), signIn), { code_verifier: 'b'.repeat(43) })))).toBe('invalid_grant');
    expect(refusal(() => codes.redeem(redeemForm(codes.issue(request(), signIn), { client_id: 'other' })))).toBe('invalid_grant');
    expect(refusal(() => codes.redeem(redeemForm(code, { grant_type: 'password' })))).toBe('unsupported_grant_type');
    expect(refusal(() => codes.redeem(redeemForm(code, { code_verifier: 'short' })))).toBe('invalid_request');
    const late = codes.issue(request(), signIn);
    now += 61_000;
    expect(refusal(() => codes.redeem(redeemForm(late)))).toBe('invalid_grant');
  });
});
