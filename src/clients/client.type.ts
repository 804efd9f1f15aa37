import { Field, ID, InputType, ObjectType } from 'type-graphql';
import { REASON_MAX_LENGTH } from '../domain/problems.js';
import { TextLimit } from '../graphql/input-guard.js';
import { connectionOf, Node } from '../graphql/relay.js';
import { DateTime } from '../graphql/scalars.js';
import { UserError } from '../graphql/user-errors.js';

@ObjectType('ClientCredential', { simpleResolvers: true, description: "How a trusted issuer names the client in its client-credentials tokens (`client_id`, or `azp`)." })
export class ClientCredentialType {
  @Field(() => String)
  issuer!: string;

  @Field(() => String)
  clientId!: string;
}

@ObjectType('Client', { simpleResolvers: true, implements: Node, description: 'A system acting for a service or an organisation, signing in with client-credentials tokens.' })
export class ClientType extends Node {
  @Field(() => String)
  name!: string;

  @Field(() => DateTime, { nullable: true, description: 'Set while suspended: its tokens are refused (403 CLIENT_SUSPENDED).' })
  suspendedAt!: Date | null;

  @Field(() => String, { nullable: true })
  suspendReason!: string | null;

  @Field(() => DateTime)
  createdAt!: Date;
}

@InputType('ClientCredentialInput')
export class ClientCredentialInput {
  @Field(() => String, { description: "A trusted issuer's `iss`." })
  @TextLimit({ maxLength: 500 })
  issuer!: string;

  @Field(() => String, { description: 'The `client_id` (or `azp`) its tokens carry.' })
  @TextLimit({ maxLength: 255 })
  clientId!: string;
}

@InputType('ClientRegisterInput')
export class ClientRegisterInput {
  @Field(() => String)
  @TextLimit({ maxLength: 100 })
  name!: string;

  @Field(() => ID, { nullable: true, description: 'The service it acts for (you administer its authority). Exactly one of service and organisation.' })
  service?: string | null;

  @Field(() => ID, { nullable: true, description: 'The issuer organisation it acts for (you administer it).' })
  organisation?: string | null;

  @Field(() => [ClientCredentialInput])
  credentials!: ClientCredentialInput[];
}

@InputType('ClientSuspendInput')
export class ClientSuspendInput {
  @Field(() => String)
  @TextLimit({ maxLength: REASON_MAX_LENGTH, multiline: true })
  reason!: string;
}

@ObjectType('ClientPayload', { simpleResolvers: true })
export class ClientPayload {
  @Field(() => ClientType, { nullable: true })
  client!: object | null;

  @Field(() => [UserError])
  userErrors!: UserError[];
}

export const ClientConnection = connectionOf('Client', ClientType);
