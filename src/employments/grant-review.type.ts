import { Field, InputType, ObjectType, registerEnumType } from 'type-graphql';
import { REASON_MAX_LENGTH } from '../domain/problems.js';
import { TextLimit } from '../graphql/input-guard.js';
import { Node, connectionOf } from '../graphql/relay.js';
import { DateTime } from '../graphql/scalars.js';
import { UserError } from '../graphql/user-errors.js';
import { GrantReviewState } from './employment.entity.js';

registerEnumType(GrantReviewState, { name: 'GrantReviewState', description: 'Where a review of a grant kept through a move stands.' });

@ObjectType('GrantReview', {
  simpleResolvers: true,
  implements: Node,
  description: "A grant kept through its holder's change of employer, pending the new responsible issuer's confirmation; unconfirmed by the deadline, it ends.",
})
export class GrantReviewType extends Node {
  @Field(() => GrantReviewState)
  state!: GrantReviewState;

  @Field(() => DateTime, { description: 'When the grant ends unless confirmed.' })
  deadline!: Date;

  @Field(() => DateTime, { nullable: true })
  decidedAt!: Date | null;

  @Field(() => String, { nullable: true, description: 'Why it was ended, as the issuer gave it (MOVE_NOT_CONFIRMED at the deadline).' })
  reason!: string | null;

  @Field(() => DateTime)
  createdAt!: Date;
}

export const GrantReviewConnection = connectionOf('GrantReview', GrantReviewType);

@ObjectType('GrantReviewPayload', { simpleResolvers: true })
export class GrantReviewPayload {
  @Field(() => GrantReviewType, { nullable: true })
  grantReview!: object | null;

  @Field(() => [UserError])
  userErrors!: UserError[];
}

@InputType('GrantReviewEndInput')
export class GrantReviewEndInput {
  @Field(() => String, { description: 'Required; kept in the audit trail and told to the person.' })
  @TextLimit({ maxLength: REASON_MAX_LENGTH, multiline: true })
  reason!: string;
}

