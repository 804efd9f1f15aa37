import type { IncomingMessage } from 'node:http';
import { HeaderMap } from '@apollo/server';
import type { Logger } from 'pino';
import { IdentityProviderUnavailable, TokenRejected } from '../../auth/auth.errors.js';
import { Policy } from '../../auth/policy.js';
import type { TokenVerifier, VerifiedIdentity } from '../../auth/token-verifier.js';
import type { ViewerCache } from '../../auth/viewer-cache.js';
import { Viewer } from '../../auth/viewer.js';
import type { Config, TrustedIssuerConfig } from '../../config.js';
import type { Orm } from '../../db/orm.js';
import type { Context } from '../../graphql/context.js';
import { ResponseBudget } from '../../graphql/response-budget.js';
import { identityProviderUnavailable, signInRefused, unauthenticated } from '../../http/auth-errors.js';
import { bearerToken } from '../../http/request.js';
import { clientViewerFor } from '../../clients/client.service.js';
import { createLoaders } from '../loaders.js';

/** Who a request's bearer token says it is: nobody without one, or why the token was refused. */
export interface Authentication {
  identity: VerifiedIdentity | null;
  rejected: TokenRejected | IdentityProviderUnavailable | null;
}

/**
 * What every route builds a request on: the token checked (in memory, before any database work or
 * rate limit), then the request's actor — its own EntityManager, the viewer, the one Policy, loaders.
 */
export class RequestScopes {
  constructor(
    private readonly deps: { config: Config; orm: Orm; log: Logger; verifier: TokenVerifier; viewers: ViewerCache; trustedIssuers: TrustedIssuerConfig[] },
  ) {}

  async authenticate(req: IncomingMessage): Promise<Authentication> {
    try {
      const token = bearerToken(req);
      return { identity: token ? await this.deps.verifier.verify(token) : null, rejected: null };
    } catch (error) {
      if (error instanceof TokenRejected || error instanceof IdentityProviderUnavailable) return { identity: null, rejected: error };
      throw error;
    }
  }

  /** The request's context; a refused token throws the GraphQL error each edge maps to its own answer. */
  async context(auth: Authentication, requestId: string): Promise<Context> {
    const { config, orm, log } = this.deps;
    if (auth.rejected instanceof IdentityProviderUnavailable) throw identityProviderUnavailable(auth.rejected);
    if (auth.rejected) {
      log.info({ requestId, reason: auth.rejected.reason }, 'token rejected');
      const err = unauthenticated('The bearer token is invalid or expired.');
      err.extensions.http = { status: 401, headers: new HeaderMap([['www-authenticate', 'Bearer error="invalid_token"']]) };
      throw err;
    }
    const em = orm.em.fork();
    // A registered client's token signs in as that client, never as a person (machine tokens carry no person).
    const client = auth.identity ? await clientViewerFor(em, auth.identity) : null;
    const viewer = client ?? (auth.identity ? await this.deps.viewers.viewerFor(em, auth.identity) : Viewer.anonymous());
    if (viewer.refusal) {
      log.info({ requestId, reason: viewer.refusal }, 'sign-in refused');
      throw signInRefused(viewer.refusal);
    }
    const policy = new Policy(viewer);
    const ctx: Context = {
      requestId,
      config,
      log: log.child({ requestId }),
      em,
      viewer,
      policy,
      trustedIssuers: this.deps.trustedIssuers,
      budget: new ResponseBudget(config.responseMaxItems),
      now: () => new Date(),
      loaders: undefined as never,
    };
    ctx.loaders = createLoaders(em, policy, () => ctx);
    return ctx;
  }
}
