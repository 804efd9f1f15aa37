import { HeaderMap } from '@apollo/server';
import { GraphQLError } from 'graphql';
import type { IdentityProviderUnavailable } from '../auth/auth.errors.js';
import type { SignInRefusal } from '../auth/viewer.js';

/** How the HTTP edge refuses a request whose token cannot be used, as errors Apollo answers from a failed context. */

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

/**
 * HTTP 403 for a valid token of a person the hub no longer lets in (a leaver): FORBIDDEN rather than
 * UNAUTHENTICATED, since signing in again cannot help. Their identities stay bound for the history.
 */
export function signInRefused(reason: SignInRefusal): GraphQLError {
  const message = reason === 'CLIENT_SUSPENDED' ? 'This client is suspended: its tokens are not accepted.' : 'Your employment has ended: this sign-in is no longer accepted.';
  return new GraphQLError(message, {
    extensions: { code: 'FORBIDDEN', reason, http: { status: 403 } },
  });
}
