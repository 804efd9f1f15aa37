import { createHash, randomBytes } from 'node:crypto';

/** What a person picked on the development sign-in page, waiting to be exchanged for a token. */
export interface DevSignIn {
  subject: string;
  email?: string;
  name?: string;
  acr: string;
  registrationNumber?: string;
}

interface PendingCode {
  signIn: DevSignIn;
  redirectUri: string;
  clientId: string;
  codeChallenge: string;
  expiresAt: number;
}

/** Why a token request is refused, in OAuth 2.0's own words (RFC 6749 5.2). */
export class DevTokenRefused extends Error {
  constructor(
    readonly error: 'invalid_request' | 'invalid_grant' | 'unsupported_grant_type',
    message: string,
  ) {
    super(message);
  }
}

const CODE_TTL_MS = 60_000;
const MAX_PENDING = 1_000;
const CHALLENGE = /^[A-Za-z0-9_-]{43}$/;
const VERIFIER = /^[A-Za-z0-9._~-]{43,128}$/;

/**
 * The development issuer's authorization-code store (OIDC code flow with PKCE, S256 only): a code is
 * good once, for one minute, for the redirect URI and client it was issued to. In memory: the development
 * issuer is one process's tool, and a restart only costs a new sign-in.
 */
export class DevAuthorization {
  private readonly pending = new Map<string, PendingCode>();

  constructor(private readonly now: () => number = Date.now) {}

  /** Checks the parameters of an authorization request; answers what is wrong, or null. */
  static requestProblem(params: URLSearchParams, host: string | undefined): string | null {
    if (params.get('response_type') !== 'code') return 'response_type must be "code".';
    if (!params.get('client_id')) return 'client_id is required.';
    if (params.get('code_challenge_method') !== 'S256') return 'code_challenge_method must be "S256" (PKCE).';
    if (!CHALLENGE.test(params.get('code_challenge') ?? '')) return 'code_challenge must be a base64url SHA-256 (43 characters).';
    const redirect = params.get('redirect_uri') ?? '';
    let url: URL;
    try {
      url = new URL(redirect);
    } catch {
      return 'redirect_uri must be an absolute URL.';
    }
    // Only the hub's own console: the development issuer signs for no other application.
    if (!/^https?:$/.test(url.protocol) || url.host !== host || !url.pathname.startsWith('/console/') || url.hash) {
      return "redirect_uri must be this hub's console (…/console/).";
    }
    if ((params.get('state') ?? '').length > 200) return 'state is at most 200 characters.';
    return null;
  }

  issue(params: URLSearchParams, signIn: DevSignIn): string {
    this.prune();
    const code = randomBytes(24).toString('base64url');
    this.pending.set(code, {
      signIn,
      redirectUri: params.get('redirect_uri')!,
      clientId: params.get('client_id')!,
      codeChallenge: params.get('code_challenge')!,
      expiresAt: this.now() + CODE_TTL_MS,
    });
    return code;
  }

  /** Redeems a code (once) with its PKCE verifier; throws DevTokenRefused. */
  redeem(form: URLSearchParams): DevSignIn {
    if (form.get('grant_type') !== 'authorization_code') throw new DevTokenRefused('unsupported_grant_type', 'grant_type must be "authorization_code".');
    const code = form.get('code') ?? '';
    const verifier = form.get('code_verifier') ?? '';
    if (!code) throw new DevTokenRefused('invalid_request', 'code is required.');
    if (!VERIFIER.test(verifier)) throw new DevTokenRefused('invalid_request', 'code_verifier must be 43–128 unreserved characters.');
    const pending = this.pending.get(code);
    this.pending.delete(code);
    if (!pending || pending.expiresAt < this.now()) throw new DevTokenRefused('invalid_grant', 'The code is unknown, used or expired.');
    if (form.get('redirect_uri') !== pending.redirectUri || form.get('client_id') !== pending.clientId) {
      throw new DevTokenRefused('invalid_grant', 'redirect_uri and client_id must be those of the authorization request.');
    }
    if (createHash('sha256').update(verifier).digest('base64url') !== pending.codeChallenge) throw new DevTokenRefused('invalid_grant', 'The code_verifier does not match the code_challenge.');
    return pending.signIn;
  }

  private prune(): void {
    const now = this.now();
    for (const [code, p] of this.pending) if (p.expiresAt < now) this.pending.delete(code);
    // Bounded: a page reloaded in a loop cannot grow the map without end.
    while (this.pending.size >= MAX_PENDING) this.pending.delete(this.pending.keys().next().value!);
  }
}
