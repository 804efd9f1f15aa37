import { Field, ObjectType, registerEnumType } from 'type-graphql';
import { ProblemCode, ProblemsFound, type Problem } from '../domain/errors.js';

/** The core's problem codes, as the schema has always named them. */
export { ProblemCode as UserErrorCode };

registerEnumType(ProblemCode, {
  name: 'UserErrorCode',
  description: 'What kind of business rule an input broke.',
  valuesConfig: {
    REGISTRATION_NUMBER_MISMATCH: {
      deprecationReason: 'No longer answered: an organisation your e-ID does not name is NOT_FOUND, like one that does not exist.',
    },
  },
});

@ObjectType({ simpleResolvers: true, description: 'A business error in the input of a mutation; nothing was changed.' })
export class UserError {
  @Field(() => ProblemCode)
  code!: ProblemCode;

  @Field(() => [String], { nullable: true, description: 'Path to the input field at fault, e.g. ["input", "email"].' })
  field!: string[] | null;

  @Field(() => String)
  message!: string;

  static of(code: ProblemCode, field: string[] | null, message: string): UserError {
    return Object.assign(new UserError(), { code, field, message });
  }

  static from(problem: Problem): UserError {
    return UserError.of(problem.code, problem.field, problem.message);
  }
}

/** The problems of an aborted change, as the payload's `userErrors`. */
export function userErrorsOf(error: ProblemsFound): UserError[] {
  return error.problems.map((problem) => UserError.from(problem));
}
