import { AccessDenied, InvalidArgument, ProblemCode, ProblemsFound, type Problem } from '../domain/errors.js';

export const ERROR_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:Error';

/** The `scimType`s of RFC 7644 section 3.12 (status 400, 409 and 412 only), and RFC 9865's for cursors. */
export type ScimType =
  | 'invalidFilter'
  | 'tooMany'
  | 'uniqueness'
  | 'mutability'
  | 'invalidSyntax'
  | 'invalidPath'
  | 'noTarget'
  | 'invalidValue'
  | 'invalidVers'
  | 'sensitive'
  | 'invalidCursor'
  | 'expiredCursor';

/** A refusal the SCIM edge answers as an `Error` resource with this status and `scimType`. */
export class ScimError extends Error {
  constructor(
    readonly status: number,
    readonly scimType: ScimType | null,
    detail: string,
  ) {
    super(detail);
  }

  get body() {
    return { schemas: [ERROR_SCHEMA], status: String(this.status), ...(this.scimType ? { scimType: this.scimType } : {}), detail: this.message };
  }

  static badRequest(scimType: ScimType, detail: string): ScimError {
    return new ScimError(400, scimType, detail);
  }

  static notFound(what = 'resource'): ScimError {
    return new ScimError(404, null, `No ${what} with this id.`);
  }
}

/** A broken business rule as SCIM says it: what exists is 404, a taken value 409, every other rule of the input 400. */
function problemError(first: Problem): ScimError {
  switch (first.code) {
    case ProblemCode.NOT_FOUND:
      // The resource itself (its id) is absent; anything else named is a bad value of the input.
      return first.field?.length === 1 && first.field[0] === 'id' ? new ScimError(404, null, first.message) : ScimError.badRequest('invalidValue', first.message);
    case ProblemCode.CONFLICT:
    case ProblemCode.DUPLICATE_REGISTRATION_NUMBER:
      return new ScimError(409, 'uniqueness', first.message);
    case ProblemCode.INVALID_STATE:
    case ProblemCode.ORGANISATION_HAS_PEOPLE:
    case ProblemCode.ORGANISATION_IN_USE:
      return new ScimError(409, null, first.message);
    case ProblemCode.INVALID:
    case ProblemCode.REQUIRED:
    case ProblemCode.DATE_ORDER:
    case ProblemCode.NOT_ELIGIBLE:
    case ProblemCode.THRESHOLD_NOT_MET:
    case ProblemCode.QUOTA_EXCEEDED:
    case ProblemCode.REGISTRATION_NUMBER_MISMATCH:
    case ProblemCode.FILE_TOO_LARGE:
    case ProblemCode.FILE_EMPTY:
    case ProblemCode.FILE_TYPE_NOT_ALLOWED:
    case ProblemCode.SELF_DECISION:
    case ProblemCode.SELF_ORDER:
    case ProblemCode.ORGANISATION_CLOSED:
    case ProblemCode.MOVE_INTO_OWN_SUBTREE:
    case ProblemCode.SAME_APPROVER:
      return ScimError.badRequest('invalidValue', first.message);
    default: {
      const unmapped: never = first.code;
      throw new Error(`unmapped problem code ${String(unmapped)}`);
    }
  }
}

/**
 * Every error the core throws on purpose, as a SCIM error (the GraphQL edge's mapping in
 * src/graphql/domain-errors.ts, for this edge); null for anything else, which is a bug.
 */
export function scimErrorOf(error: unknown): ScimError | null {
  if (error instanceof ScimError) return error;
  if (error instanceof InvalidArgument) return ScimError.badRequest('invalidValue', error.message);
  if (error instanceof ProblemsFound) {
    const mapped = problemError(error.problems[0]);
    const detail = error.problems.map((p) => (p.field?.length ? `${p.field.join('.')}: ${p.message}` : p.message)).join(' ');
    return new ScimError(mapped.status, mapped.scimType, detail);
  }
  if (error instanceof AccessDenied) {
    switch (error.kind) {
      case 'UNAUTHENTICATED':
        return new ScimError(401, null, error.message);
      case 'FORBIDDEN':
        return new ScimError(403, null, error.message);
      default: {
        const unmapped: never = error.kind;
        throw new Error(`unmapped access error ${String(unmapped)}`);
      }
    }
  }
  return null;
}
