import { GraphQLJSONObject } from 'graphql-scalars';
import { Field, ObjectType } from 'type-graphql';
import { DateTime } from '../graphql/scalars.js';
import { Node, connectionOf } from '../graphql/relay.js';

@ObjectType('AuditEvent', { simpleResolvers: true, implements: Node, description: 'One change in the domain: who, what, when, why.' })
export class AuditEventType extends Node {
  @Field(() => DateTime)
  occurredAt!: Date;

  @Field(() => String, { description: 'What was done, e.g. "user.contactUpdate".' })
  action!: string;

  @Field(() => GraphQLJSONObject, { nullable: true, description: 'The changed fields before the change.' })
  before!: Record<string, unknown> | null;

  @Field(() => GraphQLJSONObject, { nullable: true, description: 'The changed fields after the change.' })
  after!: Record<string, unknown> | null;

  @Field(() => String, { nullable: true })
  reason!: string | null;

  @Field(() => String, { nullable: true, description: 'The request that made the change, for support.' })
  requestId!: string | null;
}

export const AuditEventConnection = connectionOf('AuditEvent', AuditEventType);
