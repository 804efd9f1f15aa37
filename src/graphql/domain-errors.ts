import type { GraphQLError } from 'graphql';
import { AccessDenied, InvalidArgument } from '../domain/errors.js';

/** How the GraphQL edge answers a core error that is not a business rule (those become `userErrors`). */
export function extensionsOf(error: AccessDenied | InvalidArgument): Record<string, unknown> {
  if (error instanceof InvalidArgument) return { code: 'BAD_USER_INPUT', ...(error.argument ? { field: error.argument } : {}), ...(error.reason ? { reason: error.reason } : {}) };
  switch (error.kind) {
    case 'UNAUTHENTICATED':
      return { code: 'UNAUTHENTICATED', http: { status: 401 } };
    case 'FORBIDDEN':
      return {
        code: 'FORBIDDEN',
        ...(error.reason ? { reason: error.reason } : {}),
        ...(error.requiredAssuranceLevel ? { requiredAssuranceLevel: error.requiredAssuranceLevel } : {}),
      };
    default: {
      const unmapped: never = error.kind;
      throw new Error(`unmapped access error ${String(unmapped)}`);
    }
  }
}

/**
 * Gives each core error its GraphQL code where it surfaces (resolvers throw them as they are, graphql
 * wraps them), before Apollo formats the answer and reads its HTTP status from the extensions: the
 * `didEncounterErrors` step of the GraphQL edge's plugin.
 */
export function mapDomainErrors(errors: readonly GraphQLError[]): void {
  for (const error of errors) {
    const original = error.originalError;
    if (original instanceof AccessDenied || original instanceof InvalidArgument) Object.assign(error.extensions, extensionsOf(original));
  }
}
