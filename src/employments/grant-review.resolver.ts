import { Arg, Args, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { Context } from '../graphql/context.js';
import { withUserErrors } from '../graphql/payload.js';
import { PageArgs, pageRequest, registerNode } from '../graphql/relay.js';
import { GrantType } from '../grants/grant.type.js';
import { OrganisationType } from '../organisations/organisation.type.js';
import { UserType } from '../users/user.type.js';
import { GrantReview, GrantReviewState } from './employment.entity.js';
import { GrantReviewService } from './grant-review.service.js';
import { GrantReviewConnection, GrantReviewEndInput, GrantReviewPayload, GrantReviewType } from './grant-review.type.js';

registerNode(GrantReview, {
  typeName: 'GrantReview',
  loadVisible: async (ctx, ids) => new Map((await new GrantReviewService(ctx).findVisible(ids)).map((r) => [r.id, r])),
});

@Resolver(() => GrantReviewType)
export class GrantReviewResolver {
  @Query(() => GrantReviewConnection, { description: 'Grants kept through a move that wait for your confirmation as the new responsible issuer, oldest first.' })
  async grantReviews(
    @Ctx() ctx: Context,
    @Args(() => PageArgs) page: PageArgs,
    @Arg('state', () => GrantReviewState, { nullable: true }) state: GrantReviewState | null,
  ) {
    ctx.policy.requireUser();
    const service = new GrantReviewService(ctx);
    return new GrantReviewConnection(await service.page(state, pageRequest(page, ctx.config.maxPageSize, 2)), () => service.count(state));
  }

  @Mutation(() => GrantReviewPayload, { description: 'Keeps a grant through its holder\'s move: the review closes and the grant stays.' })
  grantReviewConfirm(@Ctx() ctx: Context, @Arg('id', () => ID) id: string): Promise<GrantReviewPayload> {
    return withUserErrors(GrantReviewPayload, async () => ({ grantReview: await new GrantReviewService(ctx).confirm(id) }));
  }

  @Mutation(() => GrantReviewPayload, { description: 'Ends a grant kept through its holder\'s move (MOVE_NOT_CONFIRMED); the person and its issuer are told.' })
  grantReviewEnd(@Ctx() ctx: Context, @Arg('id', () => ID) id: string, @Arg('input', () => GrantReviewEndInput) input: GrantReviewEndInput): Promise<GrantReviewPayload> {
    return withUserErrors(GrantReviewPayload, async () => ({ grantReview: await new GrantReviewService(ctx).end(id, input.reason) }));
  }

  @FieldResolver(() => GrantType, { description: 'The grant under review.' })
  grant(@Root() review: GrantReview, @Ctx() ctx: Context) {
    return ctx.loaders.grant.load(review.grant.id);
  }

  @FieldResolver(() => UserType, { description: 'The person who moved.' })
  user(@Root() review: GrantReview, @Ctx() ctx: Context) {
    return ctx.loaders.user.load(review.user.id);
  }

  @FieldResolver(() => OrganisationType, { description: 'The new responsible issuer, who decides.' })
  issuer(@Root() review: GrantReview, @Ctx() ctx: Context) {
    return ctx.loaders.organisation.get(review.issuer.id);
  }
}
