import { Arg, Ctx, ID, Mutation, Resolver } from 'type-graphql';
import type { Context } from '../graphql/context.js';
import { withUserErrors } from '../graphql/payload.js';
import { InvitationService } from './invitation.service.js';
import { IdentityBindInput, IdentityBindPayload, UserInvitationSendPayload } from './invitation.type.js';

@Resolver()
export class InvitationResolver {
  @Mutation(() => UserInvitationSendPayload, {
    description: 'Mails a joiner a one-time code (valid 14 days, once) that binds their business e-ID at their first sign-in; an earlier unused code stops working.',
  })
  userInvitationSend(@Ctx() ctx: Context, @Arg('id', () => ID) id: string): Promise<UserInvitationSendPayload> {
    return withUserErrors(UserInvitationSendPayload, () => new InvitationService(ctx).send(id));
  }

  @Mutation(() => IdentityBindPayload, { description: 'Binds the current, not yet registered sign-in to the person an invitation code was sent to.' })
  identityBind(@Ctx() ctx: Context, @Arg('input', () => IdentityBindInput) input: IdentityBindInput): Promise<IdentityBindPayload> {
    return withUserErrors(IdentityBindPayload, async () => ({ user: await new InvitationService(ctx).redeem(input.code) }));
  }
}
