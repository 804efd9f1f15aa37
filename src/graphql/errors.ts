import type { GraphQLFormattedError } from 'graphql';
import { unwrapResolverError } from '@apollo/server/errors';
import type { Logger } from 'pino';

/** Codes whose messages are written for clients; every other error is masked. */
const PUBLIC_CODES = new Set([
  'UNAUTHENTICATED',
  'IDENTITY_PROVIDER_UNAVAILABLE',
  'FORBIDDEN',
  'BAD_USER_INPUT',
  'BAD_REQUEST',
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
  'OPERATION_RESOLUTION_FAILURE',
  'PAYLOAD_TOO_LARGE',
]);

/**
 * Apollo's formatError: known client errors pass with their code; anything else is logged with the
 * request id and answered with a generic message and that id, never a stack or internal text.
 */
export function formatErrorFor(log: Logger, requestIdOf: () => string | undefined) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const code = formatted.extensions?.code;
    const original = unwrapResolverError(error);
    // Input coercion failures (a bad EmailAddress, a wrong enum) are the client's, with a clear message.
    if (typeof code === 'string' && PUBLIC_CODES.has(code)) {
      const { stacktrace: _stack, ...extensions } = formatted.extensions ?? {};
      return { ...formatted, extensions };
    }
    const requestId = requestIdOf();
    log.error({ err: original, requestId, path: formatted.path }, 'unexpected error');
    return {
      message: 'Internal server error. Quote the request id when you contact support.',
      path: formatted.path,
      locations: formatted.locations,
      extensions: { code: 'INTERNAL_SERVER_ERROR', requestId },
    };
  };
}
