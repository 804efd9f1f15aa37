import { Field, ObjectType, registerEnumType } from 'type-graphql';

/** Business failures a client can act on. Adding a code is cheap; removing one breaks clients. */
export enum UserErrorCode {
  NOT_FOUND = 'NOT_FOUND',
  INVALID = 'INVALID',
  REQUIRED = 'REQUIRED',
  CONFLICT = 'CONFLICT',
  DATE_ORDER = 'DATE_ORDER',
}
registerEnumType(UserErrorCode, { name: 'UserErrorCode', description: 'What kind of business rule an input broke.' });

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
