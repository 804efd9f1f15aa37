import { Arg, Args, Ctx, FieldResolver, ID, Mutation, Resolver, Root } from 'type-graphql';
import { GrantType } from '../grants/grant.type.js';
import { PageArgs, pageRequest } from '../graphql/relay.js';
import { HISTORY_KEY_WIDTH, PersonHistory, type HistoryEntry } from './person-history.js';
import type { Context } from '../graphql/context.js';
import { withUserErrors } from '../graphql/payload.js';
import { toGlobalId } from '../domain/global-id.js';
import { OrganisationType } from '../organisations/organisation.type.js';
import type { User } from '../users/user.entity.js';
import { UserType } from '../users/user.type.js';
import type { Employment } from './employment.entity.js';
import { EmploymentService } from './employment.service.js';
import {
  EmploymentType,
  HistoryEntryConnection,
  HistoryEntryType,
  UserCreateInput,
  UserCreatePayload,
  UserEmploymentEndInput,
  UserEmploymentEndPayload,
  UserEmploymentMoveInput,
  UserEmploymentMovePayload,
  UserPlacementAddInput,
  UserPlacementEndInput,
  UserPlacementPayload,
  UserImportInput,
  UserImportPayload,
  UserRehireInput,
} from './employment.type.js';
import { PeopleImportService } from './people-import.service.js';

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

  @Mutation(() => UserEmploymentMovePayload, {
    description: "Moves a person to another employer from a date; each service's routine says whether their grants end, stay, or wait for the new issuer's confirmation.",
  })
  userEmploymentMove(
    @Ctx() ctx: Context,
    @Arg('id', () => ID) id: string,
    @Arg('input', () => UserEmploymentMoveInput) input: UserEmploymentMoveInput,
  ): Promise<UserEmploymentMovePayload> {
    return withUserErrors(UserEmploymentMovePayload, async () => {
      const employment = await new EmploymentService(ctx).moveEmployment(id, input);
      return { employment, user: await ctx.loaders.node.load(toGlobalId('User', employment.user.id)) };
    });
  }

  @Mutation(() => UserEmploymentEndPayload, { description: 'Rehires a leaver: a new employment; their history stays.' })
  userRehire(@Ctx() ctx: Context, @Arg('id', () => ID) id: string, @Arg('input', () => UserRehireInput) input: UserRehireInput): Promise<UserEmploymentEndPayload> {
    return withUserErrors(UserEmploymentEndPayload, async () => {
      const employment = await new EmploymentService(ctx).rehire(id, input);
      return { employment, user: await ctx.loaders.node.load(toGlobalId('User', employment.user.id)) };
    });
  }

  @Mutation(() => UserImportPayload, { description: 'Adds joiners from a CSV or JSON file, whole or not at all; people already employed there are left as they are.' })
  userImport(@Ctx() ctx: Context, @Arg('input', () => UserImportInput) input: UserImportInput): Promise<UserImportPayload> {
    return withUserErrors(UserImportPayload, async () =>
      new PeopleImportService(ctx).importFile(await input.file, { dryRun: input.dryRun, field: ['input', 'file'], maxBytes: ctx.config.uploadMaxFileSize }),
    );
  }

  @Mutation(() => UserPlacementPayload, { description: 'Places a person at another organisation, from a date and optionally to one.' })
  userPlacementAdd(@Ctx() ctx: Context, @Arg('id', () => ID) id: string, @Arg('input', () => UserPlacementAddInput) input: UserPlacementAddInput): Promise<UserPlacementPayload> {
    return withUserErrors(UserPlacementPayload, async () => ({ user: await new EmploymentService(ctx).addPlacement(id, input) }));
  }

  @Mutation(() => UserPlacementPayload, { description: "Ends a person's placement at an organisation on a date." })
  userPlacementEnd(@Ctx() ctx: Context, @Arg('id', () => ID) id: string, @Arg('input', () => UserPlacementEndInput) input: UserPlacementEndInput): Promise<UserPlacementPayload> {
    return withUserErrors(UserPlacementPayload, async () => ({ user: await new EmploymentService(ctx).endPlacement(id, input) }));
  }

  @FieldResolver(() => HistoryEntryConnection, {
    description: "The person's timeline, oldest first: employers, placements, and the grants you may see gained, confirmed and ended, with who and why.",
  })
  async history(@Root() user: User, @Ctx() ctx: Context, @Args(() => PageArgs) page: PageArgs) {
    const history = new PersonHistory(ctx.em, ctx.policy);
    const request = pageRequest(page, ctx.config.maxPageSize, HISTORY_KEY_WIDTH, 20, { nested: true });
    return new HistoryEntryConnection(await history.page(user.id, request), () => history.count(user.id));
  }

  @FieldResolver(() => [EmploymentType], { description: "The person's employments, newest first." })
  employments(@Root() user: User, @Ctx() ctx: Context) {
    return ctx.loaders.employmentsByUser.load(user.id);
  }
}

@Resolver(() => HistoryEntryType)
export class HistoryEntryResolver {
  @FieldResolver(() => OrganisationType, { nullable: true, description: "The employer, the placement's organisation or the grant's scope; null when you may not see it." })
  organisation(@Root() entry: HistoryEntry, @Ctx() ctx: Context) {
    return entry.organisationId ? ctx.loaders.node.load(toGlobalId('Organisation', entry.organisationId)) : null;
  }

  @FieldResolver(() => UserType, { nullable: true, description: 'Who made the change; null for the system (a dated change the job applied) or the seed.' })
  actor(@Root() entry: HistoryEntry, @Ctx() ctx: Context) {
    return entry.actorId ? ctx.loaders.user.load(entry.actorId) : null;
  }

  @FieldResolver(() => GrantType, { nullable: true, description: 'The grant, for grant entries.' })
  grant(@Root() entry: HistoryEntry, @Ctx() ctx: Context) {
    return entry.grantId ? ctx.loaders.grant.load(entry.grantId) : null;
  }
}

@Resolver(() => EmploymentType)
export class EmploymentResolver {
  @FieldResolver(() => OrganisationType, { nullable: true, description: 'The employer; null when you may not see it.' })
  employer(@Root() employment: Employment, @Ctx() ctx: Context) {
    return ctx.loaders.organisation.get(employment.employer.id);
  }
}
