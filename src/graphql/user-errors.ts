import { Field, ObjectType, registerEnumType } from 'type-graphql';

/** Business failures a client can act on. Adding a code is cheap; removing one breaks clients. */
export enum UserErrorCode {
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
}
registerEnumType(UserErrorCode, {
  name: 'UserErrorCode',
  description: 'What kind of business rule an input broke.',
  valuesConfig: {
    REGISTRATION_NUMBER_MISMATCH: {
      deprecationReason: 'No longer answered: an organisation your e-ID does not name is NOT_FOUND, like one that does not exist.',
    },
  },
});

@ObjectType({ description: 'A business error in the input of a mutation; nothing was changed.' })
export class UserError {
  @Field(() => UserErrorCode)
  code!: UserErrorCode;

  @Field(() => [String], { nullable: true, description: 'Path to the input field at fault, e.g. ["input", "email"].' })
  field!: string[] | null;

  @Field(() => String)
  message!: string;

  static of(code: UserErrorCode, field: string[] | null, message: string): UserError {
    return Object.assign(new UserError(), { code, field, message });
  }
}

/** Thrown inside a service's transaction to abort it and answer with userErrors. */
export class UserErrorsException extends Error {
  constructor(readonly errors: UserError[]) {
    super(errors.map((e) => e.message).join('; '));
  }
}
