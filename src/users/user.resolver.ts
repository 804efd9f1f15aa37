import { Arg, Args, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { Context } from '../graphql/context.js';
import { idOfType } from '../domain/global-id.js';
import { PageArgs, pageRequest, registerNode } from '../graphql/relay.js';
import { withUserErrors } from '../graphql/payload.js';
import { registerEntityKey } from '../graphql/federation.js';
import { OrganisationType } from '../organisations/organisation.type.js';
import { Placement, User, ProfileState } from './user.entity.js';
import { UserRepository } from './user.repository.js';
import { SEARCH_MAX_WORDS, searchWords } from '../db/search.js';
import { UserService } from './user.service.js';
import { PlacementType, UserConnection, UserContactUpdateInput, UserContactUpdatePayload, UserType } from './user.type.js';
import { NO_ORGANISATION_PATH, Organisation } from '../organisations/organisation.entity.js';
import type { AuditEvent } from '../audit/audit-event.entity.js';
import { AuditEventType } from '../audit/audit.type.js';

registerNode(User, {
  typeName: 'User',
  loadVisible: async (ctx, ids) => {
    const rows = await new UserRepository(ctx.em, ctx.policy).findVisible(ids);
    return new Map(rows.map((r) => [r.id, r]));
  },
});

registerEntityKey({
  typeName: 'User',
  field: 'email',
  loadVisible: (ctx, emails) => new UserRepository(ctx.em, ctx.policy).findVisibleByUniqueEmail(emails),
});

@Resolver(() => UserType)
export class UserResolver {
  @Query(() => UserType, { nullable: true, description: 'The signed-in user; null when not signed in or not registered yet.' })
  me(@Ctx() ctx: Context) {
    const user = ctx.viewer.user;
    return user ? ctx.loaders.user.load(user.id) : null;
  }

  @Query(() => UserConnection, { description: 'People you may see, by name: yourself and the people of your scopes.' })
  async users(
    @Ctx() ctx: Context,
    @Args(() => PageArgs) page: PageArgs,
    @Arg('organisation', () => ID, { nullable: true, description: 'Only people employed in this organisation or below it.' }) organisation: string | null,
    @Arg('search', () => String, {
      nullable: true,
      description: `Only people whose name (given, then family), family name or e-mail starts with this text, whatever the case; at most ${SEARCH_MAX_WORDS} words.`,
    })
    search: string | null,
  ) {
    ctx.policy.requireUser();
    let organisationPath: string | null = null;
    if (organisation) {
      const org = await ctx.loaders.node.load(organisation);
      // An organisation you cannot see filters to nothing, like one that does not exist.
      organisationPath = org instanceof Organisation ? org.path : NO_ORGANISATION_PATH;
    }
    const list = new UserRepository(ctx.em, ctx.policy).staff({ organisationPath, search: searchWords(search) });
    // A list of people nearly always shows where they work: their employers come with the page.
    const found = await list.page(pageRequest(page, ctx.config.maxPageSize, list.keyWidth), { employers: true });
    for (const employer of found.included ?? []) ctx.loaders.organisation.prime((employer as Organisation).id, employer as Organisation);
    return new UserConnection(found, () => list.count());
  }

  @Mutation(() => UserContactUpdatePayload, { description: "Changes a person's e-mail address or phone number." })
  userContactUpdate(
    @Ctx() ctx: Context,
    @Arg('id', () => ID) id: string,
    @Arg('input', () => UserContactUpdateInput) input: UserContactUpdateInput,
  ): Promise<UserContactUpdatePayload> {
    return withUserErrors(UserContactUpdatePayload, async () => ({
      user: await new UserService(ctx).updateContact(idOfType(id, 'User'), input),
    }));
  }

  @FieldResolver(() => String, { description: 'Given and family name, as shown in lists.' })
  displayName(@Root() user: User) {
    return `${user.givenName} ${user.familyName}`;
  }

  @FieldResolver(() => Boolean, {
    description: 'Whether the basic-information form is filled in; grants are usable only once it is.',
  })
  profileComplete(@Root() user: User) {
    return user.profileState === ProfileState.COMPLETE;
  }

  @FieldResolver(() => OrganisationType, { description: 'The organisation that employs the person.' })
  employer(@Root() user: User, @Ctx() ctx: Context) {
    return ctx.loaders.organisation.get(user.employer.id);
  }

  @FieldResolver(() => [PlacementType], { description: 'Where the person works outside their employer.' })
  placements(@Root() user: User, @Ctx() ctx: Context) {
    return ctx.loaders.placementsByUser.load(user.id);
  }
}

@Resolver(() => PlacementType)
export class PlacementResolver {
  @FieldResolver(() => OrganisationType)
  organisation(@Root() placement: Placement, @Ctx() ctx: Context) {
    return ctx.loaders.organisation.get(placement.organisation.id);
  }
}

/** Who made an audited change: people link the audit trail to themselves, so audit knows no person type. */
@Resolver(() => AuditEventType)
export class AuditEventActorResolver {
  @FieldResolver(() => UserType, { nullable: true, description: 'Who made the change; null for the system.' })
  actor(@Root() event: AuditEvent, @Ctx() ctx: Context) {
    return event.actor ? ctx.loaders.user.load(event.actor.id) : null;
  }
}
