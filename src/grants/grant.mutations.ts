import { Arg, Ctx, Field, ID, Mutation, ObjectType, Resolver } from 'type-graphql';
import type { Context } from '../graphql/context.js';
import { withUserErrors } from '../graphql/payload.js';
import { UserError } from '../graphql/user-errors.js';
import type { Grant } from './grant.entity.js';
import { GrantChangeInput, GrantRenewInput } from './grant-inputs.js';
import { GrantService } from './grant.service.js';
import { GrantType } from './grant.type.js';

@ObjectType('GrantPayload', { simpleResolvers: true })
export class GrantPayload {
  @Field(() => GrantType, { nullable: true, description: 'The grant after the change; null when nothing was changed.' })
  grant!: Grant | null;

  @Field(() => [UserError])
  userErrors!: UserError[];
}

/** Grants over time. Each mutation is changed only by the administrators of the holder's responsible issuer. */
@Resolver(() => GrantType)
export class GrantMutationResolver {
  @Mutation(() => GrantPayload, { description: "Ends an active or suspended grant for good, with a reason. The holder's responsible issuer only." })
  grantRevoke(@Ctx() ctx: Context, @Arg('id', () => ID) id: string, @Arg('input', () => GrantChangeInput) input: GrantChangeInput): Promise<GrantPayload> {
    return withUserErrors(GrantPayload, async () => ({ grant: await new GrantService(ctx).revoke(id, input.reason) }));
  }

  @Mutation(() => GrantPayload, { description: "Suspends an active grant with a reason until it is resumed. The holder's responsible issuer only." })
  grantSuspend(@Ctx() ctx: Context, @Arg('id', () => ID) id: string, @Arg('input', () => GrantChangeInput) input: GrantChangeInput): Promise<GrantPayload> {
    return withUserErrors(GrantPayload, async () => ({ grant: await new GrantService(ctx).suspend(id, input.reason) }));
  }

  @Mutation(() => GrantPayload, { description: "Makes a suspended grant active again, with a reason. The holder's responsible issuer only." })
  grantResume(@Ctx() ctx: Context, @Arg('id', () => ID) id: string, @Arg('input', () => GrantChangeInput) input: GrantChangeInput): Promise<GrantPayload> {
    return withUserErrors(GrantPayload, async () => ({ grant: await new GrantService(ctx).resume(id, input.reason) }));
  }

  @Mutation(() => GrantPayload, { description: "Extends an active or suspended grant to a later validTo. The holder's responsible issuer only." })
  grantRenew(@Ctx() ctx: Context, @Arg('id', () => ID) id: string, @Arg('input', () => GrantRenewInput) input: GrantRenewInput): Promise<GrantPayload> {
    return withUserErrors(GrantPayload, async () => ({ grant: await new GrantService(ctx).renew(id, input.validTo) }));
  }
}
