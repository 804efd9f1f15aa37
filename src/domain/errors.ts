/**
 * The errors the application core answers with, whatever edge called it. Each edge maps them once:
 * GraphQL to `userErrors` and `extensions.code` (src/graphql/domain-errors.ts), HTTP routes to status
 * codes. Nothing here knows GraphQL.
 */

/** Business failures a client can act on. Adding a code is cheap; removing one breaks clients. */
export enum ProblemCode {
  NOT_FOUND = 'NOT_FOUND',
  INVALID = 'INVALID',
  REQUIRED = 'REQUIRED',
  CONFLICT = 'CONFLICT',
  DATE_ORDER = 'DATE_ORDER',
  /** The object is not in a state that allows this (already decided, already ended…). */
  INVALID_STATE = 'INVALID_STATE',
  /** The organisation or person may not take part in the service under its routine. */
  NOT_ELIGIBLE = 'NOT_ELIGIBLE',
  /** Below the routine's issuer threshold, and no override reason was given. */
  THRESHOLD_NOT_MET = 'THRESHOLD_NOT_MET',
  QUOTA_EXCEEDED = 'QUOTA_EXCEEDED',
  /** Deprecated (it told outsiders an organisation exists); kept because removing a value breaks clients. */
  REGISTRATION_NUMBER_MISMATCH = 'REGISTRATION_NUMBER_MISMATCH',
  FILE_TOO_LARGE = 'FILE_TOO_LARGE',
  FILE_EMPTY = 'FILE_EMPTY',
  FILE_TYPE_NOT_ALLOWED = 'FILE_TYPE_NOT_ALLOWED',
  /** Four eyes: the viewer placed the order, or it is for the viewer; someone else decides. */
  SELF_DECISION = 'SELF_DECISION',
  /** Ordering for oneself, where the routine does not allow it (self-registration is its own path). */
  SELF_ORDER = 'SELF_ORDER',
  /** Two-stage approval: the first approver may not also give the second approval. */
  SAME_APPROVER = 'SAME_APPROVER',
  /** Another legal entity already carries this national registration number (or another row of the same import). */
  DUPLICATE_REGISTRATION_NUMBER = 'DUPLICATE_REGISTRATION_NUMBER',
  /** A move would put an organisation under itself or one of its descendants. */
  MOVE_INTO_OWN_SUBTREE = 'MOVE_INTO_OWN_SUBTREE',
  /** The organisation is closed: it keeps its history but takes no new units, people, orders or changes. */
  ORGANISATION_CLOSED = 'ORGANISATION_CLOSED',
  /** People are still employed at the organisation: move them or end their employment first. */
  ORGANISATION_HAS_PEOPLE = 'ORGANISATION_HAS_PEOPLE',
  /** Open units, mandates, orderer appointments, orders or grants still depend on the organisation. */
  ORGANISATION_IN_USE = 'ORGANISATION_IN_USE',
}

/** One broken business rule of an input: what, where (the input path), and a sentence for people. */
export interface Problem {
  code: ProblemCode;
  field: string[] | null;
  message: string;
}

export function problem(code: ProblemCode, field: string[] | null, message: string): Problem {
  return { code, field, message };
}

/** Thrown inside a service's transaction to abort it: nothing was changed, and these are why. */
export class ProblemsFound extends Error {
  constructor(readonly problems: Problem[]) {
    super(problems.map((p) => p.message).join('; '));
  }
}

/** Why the actor may not do something at all (as opposed to a broken rule of the input). */
export type AccessDeniedKind = 'UNAUTHENTICATED' | 'FORBIDDEN';

/** Why, when a forbidden action can be made possible: sign in again stronger, or register first. */
export type AccessDeniedReason = 'STEP_UP_REQUIRED' | 'NOT_REGISTERED' | 'CLIENT_ONLY';

export class AccessDenied extends Error {
  private constructor(
    readonly kind: AccessDeniedKind,
    message: string,
    readonly reason?: AccessDeniedReason,
    /** With STEP_UP_REQUIRED: the assurance level the action needs (upper case, as clients show it). */
    readonly requiredAssuranceLevel?: string,
  ) {
    super(message);
  }

  static unauthenticated(message = 'A valid bearer token is required.'): AccessDenied {
    return new AccessDenied('UNAUTHENTICATED', message);
  }

  static forbidden(message = 'You are not allowed to do this.', reason?: AccessDeniedReason): AccessDenied {
    return new AccessDenied('FORBIDDEN', message, reason);
  }

  static stepUp(requiredLevel: string): AccessDenied {
    const level = requiredLevel.toUpperCase();
    return new AccessDenied(
      'FORBIDDEN',
      `This action needs a sign-in at assurance level ${level}: sign in again with stronger authentication.`,
      'STEP_UP_REQUIRED',
      level,
    );
  }
}

/** An argument outside what the operation takes (a page size, a cursor, a date range): not a business rule. */
/** Why an argument was refused, when a client can act on it: a feed cursor older than the retention starts over. */
export type InvalidArgumentReason = 'CURSOR_EXPIRED';

export class InvalidArgument extends Error {
  constructor(
    message: string,
    readonly argument?: string,
    readonly reason?: InvalidArgumentReason,
  ) {
    super(message);
  }
}

/** Every error the core throws on purpose; anything else is a bug, logged and masked by the edge. */
export type DomainError = ProblemsFound | AccessDenied | InvalidArgument;
