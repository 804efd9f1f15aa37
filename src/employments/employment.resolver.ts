import { Arg, Ctx, FieldResolver, ID, Mutation, Resolver, Root } from 'type-graphql';
import type { Context } from '../graphql/context.js';
import { withUserErrors } from '../graphql/payload.js';
import { OrganisationType } from '../organisations/organisation.type.js';
import type { User } from '../users/user.entity.js';
import { UserType } from '../users/user.type.js';
import type { Employment } from './employment.entity.js';
import { EmploymentService } from './employment.service.js';
import { EmploymentType, UserCreateInput, UserCreatePayload, UserEmploymentEndInput, UserEmploymentEndPayload } from './employment.type.js';

@Resolver(() => UserType)
export class UserEmploymentResolver {
  @Mutation(() => UserCreatePayload, { description: 'Adds a person (a joiner) employed by an organisation in your domain.' })
  userCreate(@Ctx() ctx: Context, @Arg('input', () => UserCreateInput) input: UserCreateInput): Promise<UserCreatePayload> {
    return withUserErrors(UserCreatePayload, async () => ({ user: await new EmploymentService(ctx).createUser(input) }));
  }

  @Mutation(() => UserEmploymentEndPayload, {
    description: "Ends a person's employment (a leaver): at the end date every grant, order, orderer appointment and administrator role ends and their sign-in is refused.",
  })
  userEmploymentEnd(
    @Ctx() ctx: Context,
    @Arg('id', () => ID) id: string,
    @Arg('input', () => UserEmploymentEndInput) input: UserEmploymentEndInput,
  ): Promise<UserEmploymentEndPayload> {
    return withUserErrors(UserEmploymentEndPayload, async () => {
      const employment = await new EmploymentService(ctx).endEmployment(id, input);
      return { employment, user: await ctx.loaders.user.load(employment.user.id) };
    });
  }

  @FieldResolver(() => [EmploymentType], { description: "The person's employments, newest first." })
  employments(@Root() user: User, @Ctx() ctx: Context) {
    return ctx.loaders.employmentsByUser.load(user.id);
  }
}

@Resolver(() => EmploymentType)
export class EmploymentResolver {
  @FieldResolver(() => OrganisationType, { nullable: true, description: 'The employer; null when you may not see it.' })
  employer(@Root() employment: Employment, @Ctx() ctx: Context) {
    return ctx.loaders.organisation.load(employment.employer.id);
  }
}
