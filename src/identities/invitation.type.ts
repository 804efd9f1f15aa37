import { Field, InputType, ObjectType } from 'type-graphql';
import { TextLimit } from '../graphql/input-guard.js';
import { DateTime } from '../graphql/scalars.js';
import { UserError } from '../graphql/user-errors.js';
import { UserType } from '../users/user.type.js';

@ObjectType('UserInvitationSendPayload', { simpleResolvers: true })
export class UserInvitationSendPayload {
  @Field(() => UserType, { nullable: true })
  user!: object | null;

  @Field(() => DateTime, { nullable: true, description: 'Until when the mailed code can be presented (once).' })
  expiresAt!: Date | null;

  @Field(() => [UserError])
  userErrors!: UserError[];
}

@InputType('IdentityBindInput', { description: 'The one-time code from an invitation mail.' })
export class IdentityBindInput {
  @Field(() => String, { description: 'As mailed; spaces, dashes and case do not matter.' })
  @TextLimit({ maxLength: 64 })
  code!: string;
}

@ObjectType('IdentityBindPayload', { simpleResolvers: true })
export class IdentityBindPayload {
  @Field(() => UserType, { nullable: true, description: 'The person this sign-in is now bound to.' })
  user!: object | null;

  @Field(() => [UserError])
  userErrors!: UserError[];
}
