import type { GraphQLResponse } from '@apollo/server';
import type { GraphQLError } from 'graphql';
import type { ResponseBudget } from '../graphql/response-budget.js';
import { isTokenLimitError } from '../graphql/errors.js';

/** Failures of the request itself, found before execution: the GraphQL-over-HTTP spec's request errors. */
const REQUEST_ERROR_CODES = new Set(['GRAPHQL_PARSE_FAILED', 'GRAPHQL_VALIDATION_FAILED', 'BAD_USER_INPUT']);

export interface RequestErrorState {
  /**
   * The answer is a request error (parse, validation, variable coercion) with no data. For
   * `application/graphql-response+json` it keeps its 400; for `application/json` the spec asks for 200.
   */
  requestError?: boolean;
}

/**
 * Shapes the answer's status after execution (the `willSendResponse` step of the GraphQL edge's
 * plugin): an answer over its budget becomes one RESPONSE_TOO_LARGE error (400) instead of a partial,
 * oversized one, and request errors are marked so the HTTP layer can pick the status the negotiated
 * media type calls for.
 */
export function shapeRequestErrors(
  response: GraphQLResponse,
  errors: readonly GraphQLError[] | undefined,
  budget: ResponseBudget | undefined,
  store: RequestErrorState | undefined,
): void {
  if (budget?.exceeded) {
    const error = budget.error();
    response.body = { kind: 'single', singleResult: { errors: [{ message: error.message, extensions: { code: error.extensions.code, max: error.extensions.max } }] } };
    response.http.status = 400;
    return;
  }
  if (response.body.kind !== 'single' || response.body.singleResult.data !== undefined || !errors?.length) return;
  const requestError = errors.every((e) => REQUEST_ERROR_CODES.has(String(e.extensions?.code)) && !isTokenLimitError(e.message));
  if (store && requestError) store.requestError = true;
}
