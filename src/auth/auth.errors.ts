import { GraphQLError } from 'graphql';

/** Why a token was refused; logged, never shown to the client (which only sees UNAUTHENTICATED). */
export class TokenRejected extends Error {
  constructor(readonly reason: string) {
    super(reason);
  }
}

export function unauthenticated(message = 'A valid bearer token is required.'): GraphQLError {
  return new GraphQLError(message, { extensions: { code: 'UNAUTHENTICATED', http: { status: 401 } } });
}

export function forbidden(message = 'You are not allowed to do this.', reason?: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: 'FORBIDDEN', ...(reason ? { reason } : {}) } });
}
