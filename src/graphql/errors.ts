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
  'QUERY_TOO_COMPLEX',
  'RESPONSE_TOO_LARGE',
  'RATE_LIMITED',
]);

/** graphql-js's "Did you mean …?" tails: they spell out field, argument and enum names. */
const SUGGESTION = / ?Did you mean [^?]*\?/g;
/** graphql-js's refusal past the parser's token limit (a syntax error by its class, a limit by its meaning). */
const TOKEN_LIMIT = /^Syntax Error: Document contains more (?:than|that) (\d+) tokens\. Parsing aborted\.$/;

/** Whether a parse error is the parser's token limit rather than a mistake in the document. */
export function isTokenLimitError(message: string): boolean {
  return TOKEN_LIMIT.test(message);
}

/**
 * Apollo's formatError: known client errors pass with their code; anything else is logged with the
 * request id and answered with a generic message and that id, never a stack or internal text.
 */
export function formatErrorFor(log: Logger, requestIdOf: () => string | undefined, options: { hideSuggestions: boolean } = { hideSuggestions: true }) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const code = formatted.extensions?.code;
    const original = unwrapResolverError(error);
    // Input coercion failures (a bad EmailAddress, a wrong enum) are the client's, with a clear message.
    if (typeof code === 'string' && PUBLIC_CODES.has(code)) {
      const { stacktrace: _stack, ...extensions } = formatted.extensions ?? {};
      const tokens = TOKEN_LIMIT.exec(formatted.message);
      if (tokens) {
        return {
          message: `The query is too large: it has more than ${tokens[1]} tokens. Send a smaller document.`,
          extensions: { code: 'QUERY_TOO_COMPLEX', limit: 'tokens', max: Number(tokens[1]) },
        };
      }
      const message = options.hideSuggestions ? formatted.message.replace(SUGGESTION, '') : formatted.message;
      return { ...formatted, message, extensions };
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
