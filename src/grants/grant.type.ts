import { Directive, Field, ObjectType, registerEnumType } from 'type-graphql';
import { DateTime } from '../graphql/scalars.js';
import { Node, connectionOf } from '../graphql/relay.js';
import { GrantState } from './grant.entity.js';

registerEnumType(GrantState, { name: 'GrantState', description: 'Where a grant is in its life; nothing is ever deleted.' });

@Directive('@key(fields: "id")')
@ObjectType('Grant', { simpleResolvers: true, implements: Node, description: 'A right: person × service role × scope × sub-areas, valid from/to.' })
export class GrantType extends Node {
  @Field(() => GrantState)
  state!: GrantState;

  @Field(() => DateTime)
  validFrom!: Date;

  @Field(() => DateTime, { nullable: true, description: 'Null: valid until ended.' })
  validTo!: Date | null;

  @Field(() => DateTime, { nullable: true, description: 'When it was suspended, while it is.' })
  suspendedAt!: Date | null;

  @Field(() => String, { nullable: true })
  suspendReason!: string | null;

  @Field(() => DateTime, { nullable: true, description: 'When it was revoked or expired.' })
  endedAt!: Date | null;

  @Field(() => String, { nullable: true, description: 'Why it was ended.' })
  endReason!: string | null;

  @Field(() => DateTime)
  createdAt!: Date;
}

export const GrantConnection = connectionOf('Grant', GrantType);
