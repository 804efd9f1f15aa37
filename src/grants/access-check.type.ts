import { Field, ID, InputType, ObjectType } from 'type-graphql';
import { DateTime, EmailAddress } from '../graphql/scalars.js';
import { TextLimit } from '../graphql/input-guard.js';

@InputType('PersonLookup', { description: 'Exactly one of: the hub id, an e-mail address, or a federated subject (issuer and subject).' })
export class PersonLookupInput {
  @Field(() => ID, { nullable: true })
  id?: string | null;

  @Field(() => EmailAddress, { nullable: true })
  email?: string | null;

  @Field(() => String, { nullable: true })
  @TextLimit({ maxLength: 500 })
  issuer?: string | null;

  @Field(() => String, { nullable: true })
  @TextLimit({ maxLength: 255 })
  subject?: string | null;
}

@ObjectType('UsableGrant', { simpleResolvers: true, description: 'A grant the person may use now.' })
export class UsableGrantType {
  @Field(() => ID)
  grant!: string;

  @Field(() => String, { description: 'The role code.' })
  role!: string;

  @Field(() => String)
  roleName!: string;

  @Field(() => [String], { description: 'Sub-area codes.' })
  subAreas!: string[];

  @Field(() => ID, { description: 'The scope organisation.' })
  scope!: string;

  @Field(() => String)
  scopeName!: string;

  @Field(() => DateTime)
  validFrom!: Date;

  @Field(() => DateTime, { nullable: true })
  validTo!: Date | null;
}

@ObjectType('AccessCheck', { simpleResolvers: true, description: "A person's usable grants of the asking client's service." })
export class AccessCheckType {
  @Field(() => ID)
  person!: string;

  @Field(() => String)
  givenName!: string;

  @Field(() => String)
  familyName!: string;

  @Field(() => String, { nullable: true })
  email!: string | null;

  @Field(() => Boolean, { description: 'At least one usable grant.' })
  allowed!: boolean;

  @Field(() => [UsableGrantType])
  grants!: UsableGrantType[];
}
