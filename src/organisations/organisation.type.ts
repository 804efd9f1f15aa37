import { Directive, Field, Int, ObjectType, registerEnumType } from 'type-graphql';
import { Node, connectionOf } from '../graphql/relay.js';
import { OrganisationKind } from './organisation.entity.js';

registerEnumType(OrganisationKind, {
  name: 'OrganisationKind',
  description: 'What kind of body an organisation is; units are departments of their parent.',
  valuesConfig: {
    AUTHORITY: { description: 'Owns a service and is its issuer of last resort (Försäkringskassan, VISO).' },
    UNIT: { description: 'A department of its parent organisation.' },
  },
});

@Directive('@key(fields: "id")')
@Directive('@key(fields: "registrationNumber")')
@ObjectType('Organisation', { implements: Node, description: 'A node of the organisation tree.' })
export class OrganisationType extends Node {
  @Field(() => OrganisationKind)
  kind!: OrganisationKind;

  @Field(() => String)
  name!: string;

  @Field(() => String, {
    nullable: true,
    description: 'National registration number (SE organisationsnummer, DK CVR); units carry none of their own.',
  })
  registrationNumber!: string | null;

  @Field(() => Int, { description: 'Distance from the root of the tree (roots are 0).' })
  depth!: number;
}

export const OrganisationConnection = connectionOf('Organisation', OrganisationType);
