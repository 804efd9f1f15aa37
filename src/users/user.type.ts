import { Directive, Field, InputType, ObjectType, registerEnumType } from 'type-graphql';
import { DateTime, EmailAddress, PhoneNumber } from '../graphql/scalars.js';
import { Node, connectionOf } from '../graphql/relay.js';
import { UserError } from '../graphql/user-errors.js';
import { ProfileState } from './user.entity.js';

registerEnumType(ProfileState, { name: 'ProfileState', description: 'Whether the basic-information form is filled in.' });

@Directive('@key(fields: "id")')
@Directive('@key(fields: "email")')
@ObjectType('User', { simpleResolvers: true, implements: Node, description: 'A person, employed by one organisation and possibly placed at others.' })
export class UserType extends Node {
  @Field(() => String)
  givenName!: string;

  @Field(() => String)
  familyName!: string;

  @Field(() => EmailAddress, { nullable: true })
  email!: string | null;

  @Field(() => PhoneNumber, { nullable: true })
  phone!: string | null;

  @Field(() => ProfileState)
  profileState!: ProfileState;
}

@ObjectType('Placement', { simpleResolvers: true, description: 'Where a person works outside their employer, e.g. inside a coordination association.' })
export class PlacementType {
  @Field(() => DateTime)
  validFrom!: Date;

  @Field(() => DateTime, { nullable: true })
  validTo!: Date | null;
}

@InputType('UserContactUpdateInput', { description: 'Contact data to change; a field left out is kept, null clears it.' })
export class UserContactUpdateInput {
  @Field(() => EmailAddress, { nullable: true })
  email?: string | null;

  @Field(() => PhoneNumber, { nullable: true })
  phone?: string | null;
}

@ObjectType('UserContactUpdatePayload', { simpleResolvers: true })
export class UserContactUpdatePayload {
  @Field(() => UserType, { nullable: true, description: 'The user as changed; null when nothing was changed.' })
  user!: object | null;

  @Field(() => [UserError])
  userErrors!: UserError[];
}

export const UserConnection = connectionOf('User', UserType);

@ObjectType('ProfileCompletePayload', { simpleResolvers: true })
export class ProfileCompletePayload {
  @Field(() => UserType, { nullable: true })
  user!: object | null;

  @Field(() => [UserError])
  userErrors!: UserError[];
}
