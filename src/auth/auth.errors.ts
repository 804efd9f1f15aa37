import { HeaderMap } from '@apollo/server';
import { GraphQLError } from 'graphql';

/** Why a token was refused; logged, never shown to the client (which only sees UNAUTHENTICATED). */
export class TokenRejected extends Error {
  constructor(readonly reason: string) {
    super(reason);
  }
}

/**
 * A token that cannot be checked now: its issuer's keys could not be fetched (never, or not the key it
 * names). Neither good nor bad, so not a 401: the client may try again after `retryAfterSeconds`.
 */
export class IdentityProviderUnavailable extends Error {
  constructor(
    readonly issuer: string,
    readonly retryAfterSeconds: number,
  ) {
    super(`the signing keys of ${issuer} are unavailable`);
  }
}

/** HTTP 503 with Retry-After, as a GraphQL error Apollo answers from a failed context. */
export function identityProviderUnavailable(cause: IdentityProviderUnavailable): GraphQLError {
  return new GraphQLError('The identity provider that issued the token cannot be reached; try again later.', {
    originalError: cause,
    extensions: {
      code: 'IDENTITY_PROVIDER_UNAVAILABLE',
      http: { status: 503, headers: new HeaderMap([['retry-after', String(cause.retryAfterSeconds)]]) },
    },
  });
}

export function unauthenticated(message = 'A valid bearer token is required.'): GraphQLError {
  return new GraphQLError(message, { extensions: { code: 'UNAUTHENTICATED', http: { status: 401 } } });
}

export function forbidden(message = 'You are not allowed to do this.', reason?: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: 'FORBIDDEN', ...(reason ? { reason } : {}) } });
}
