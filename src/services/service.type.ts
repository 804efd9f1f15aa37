import { Directive, Field, ObjectType } from 'type-graphql';
import { Node, connectionOf } from '../graphql/relay.js';

@Directive('@key(fields: "id")')
@ObjectType('Service', { simpleResolvers: true, implements: Node, description: 'A downstream system that access is provisioned to (SUS, VIAS).' })
export class ServiceType extends Node {
  @Field(() => String, { description: 'Short unique code, e.g. "SUS".' })
  code!: string;

  @Field(() => String)
  name!: string;

  @Field(() => String, { nullable: true })
  description!: string | null;
}

@Directive('@key(fields: "id")')
@ObjectType('ServiceRole', { simpleResolvers: true, implements: Node, description: 'What a grant allows in a service.' })
export class ServiceRoleType extends Node {
  @Field(() => String)
  code!: string;

  @Field(() => String)
  name!: string;

  @Field(() => String, { nullable: true })
  description!: string | null;
}

@ObjectType('SubArea', { simpleResolvers: true, implements: Node, description: 'A part of a service a grant can be scoped to ("delaftale").' })
export class SubAreaType extends Node {
  @Field(() => String)
  code!: string;

  @Field(() => String)
  name!: string;
}

export const ServiceConnection = connectionOf('Service', ServiceType);
