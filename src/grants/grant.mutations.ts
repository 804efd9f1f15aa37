import { Arg, Ctx, Field, ID, InputType, Mutation, ObjectType, Resolver } from 'type-graphql';
import type { Context } from '../graphql/context.js';
import { withUserErrors } from '../graphql/payload.js';
import { DateTime } from '../graphql/scalars.js';
import { UserError } from '../graphql/user-errors.js';
import { GrantService } from './grant.service.js';
import { GrantType } from './grant.type.js';

@InputType('GrantChangeInput')
export class GrantChangeInput {
  @Field(() => String)
  reason!: string;
}

@InputType('GrantRenewInput')
export class GrantRenewInput {
  @Field(() => DateTime, { description: 'The new end of validity: in the future and later than the current one.' })
  validTo!: Date;
}

@ObjectType('GrantPayload')
export class GrantPayload {
  @Field(() => GrantType, { nullable: true })
  grant!: object | null;

  @Field(() => [UserError])
  userErrors!: UserError[];
}

@Resolver(() => GrantType)
export class GrantMutationResolver {
  @Mutation(() => GrantPayload, { description: "Revokes a grant with a reason. The holder's responsible issuer only." })
  grantRevoke(@Ctx() ctx: Context, @Arg('id', () => ID) id: string, @Arg('input', () => GrantChangeInput) input: GrantChangeInput) {
    return withUserErrors(GrantPayload, async () => ({ grant: await new GrantService(ctx).revoke(id, input.reason) }));
  }

  @Mutation(() => GrantPayload, { description: 'Suspends an active grant with a reason.' })
  grantSuspend(@Ctx() ctx: Context, @Arg('id', () => ID) id: string, @Arg('input', () => GrantChangeInput) input: GrantChangeInput) {
    return withUserErrors(GrantPayload, async () => ({ grant: await new GrantService(ctx).suspend(id, input.reason) }));
  }

  @Mutation(() => GrantPayload, { description: 'Resumes a suspended grant with a reason.' })
  grantResume(@Ctx() ctx: Context, @Arg('id', () => ID) id: string, @Arg('input', () => GrantChangeInput) input: GrantChangeInput) {
    return withUserErrors(GrantPayload, async () => ({ grant: await new GrantService(ctx).resume(id, input.reason) }));
  }

  @Mutation(() => GrantPayload, { description: 'Extends a grant to a later validTo.' })
  grantRenew(@Ctx() ctx: Context, @Arg('id', () => ID) id: string, @Arg('input', () => GrantRenewInput) input: GrantRenewInput) {
    return withUserErrors(GrantPayload, async () => ({ grant: await new GrantService(ctx).renew(id, input.validTo) }));
  }
}
