import { Directive, Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { GraphQLUpload, type FileUpload } from 'graphql-upload-minimal';
import { REASON_MAX_LENGTH } from '../domain/problems.js';
import { TextLimit } from '../graphql/input-guard.js';
import { DateTime } from '../graphql/scalars.js';
import { UserError } from '../graphql/user-errors.js';
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
@ObjectType('Organisation', { simpleResolvers: true, implements: Node, description: 'A node of the organisation tree.' })
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

  @Field(() => DateTime, {
    nullable: true,
    description: 'When it was closed. A closed organisation keeps its history and stays readable, but takes no new units, people, orders or changes.',
  })
  closedAt!: Date | null;
}

export const OrganisationConnection = connectionOf('Organisation', OrganisationType);

@InputType('OrganisationCreateInput', { description: 'A unit under an organisation you administer, or (a service authority) a legal entity of an eligible kind.' })
export class OrganisationCreateInput {
  @Field(() => OrganisationKind)
  kind!: OrganisationKind;

  @Field(() => String)
  name!: string;

  @Field(() => String, { nullable: true, description: 'Required for a legal entity, unique among them; a unit may carry its register unit number.' })
  @TextLimit({ maxLength: 32 })
  registrationNumber?: string | null;

  @Field(() => ID, { nullable: true, description: 'An open organisation you administer; none: a top-level organisation (authorities only).' })
  parentId?: string | null;
}

@InputType('OrganisationRenameInput')
export class OrganisationRenameInput {
  @Field(() => String)
  name!: string;
}

@InputType('OrganisationMoveInput', { description: 'Where the organisation and everything below it go.' })
export class OrganisationMoveInput {
  @Field(() => ID, { nullable: true, description: 'The new parent: an open organisation you administer, not the organisation itself or below it; none: the top (legal entities only).' })
  parentId?: string | null;
}

@InputType('OrganisationCloseInput')
export class OrganisationCloseInput {
  @Field(() => String, { nullable: true, description: 'Kept in the audit trail.' })
  @TextLimit({ maxLength: REASON_MAX_LENGTH, multiline: true })
  reason?: string | null;
}

@ObjectType('OrganisationPayload', { simpleResolvers: true, description: 'The organisation as changed; null with userErrors when nothing was.' })
export class OrganisationPayload {
  @Field(() => OrganisationType, { nullable: true })
  organisation!: object | null;

  @Field(() => [UserError])
  userErrors!: UserError[];
}

@InputType('OrganisationImportInput', { description: 'Organisations from a national register, matched by registration number.' })
export class OrganisationImportInput {
  @Field(() => GraphQLUpload, {
    description: 'CSV (header: registrationNumber,name,kind,parentRegistrationNumber) or a JSON array of such objects; kinds in lower case (municipality, unit, …).',
  })
  file!: Promise<FileUpload>;

  @Field(() => Boolean, { defaultValue: false, description: 'Only list what would change; write nothing.' })
  dryRun!: boolean;

  @Field(() => Boolean, {
    defaultValue: false,
    description: 'Also close the organisations you administer that carry a registration number and are absent from the file.',
  })
  closeAbsent!: boolean;
}

export enum OrganisationImportAction {
  CREATE = 'create',
  RENAME = 'rename',
  MOVE = 'move',
  CLOSE = 'close',
}
registerEnumType(OrganisationImportAction, { name: 'OrganisationImportAction' });

@ObjectType('OrganisationImportChange', { simpleResolvers: true, description: 'One change an import made, or would make in a dry run.' })
export class OrganisationImportChangeType {
  @Field(() => OrganisationImportAction)
  action!: OrganisationImportAction;

  @Field(() => String)
  registrationNumber!: string;

  @Field(() => String)
  name!: string;

  @Field(() => Int, { nullable: true, description: 'The line of the file (CSV: counting the header as 1; JSON: the line the object starts on); null for a close.' })
  line!: number | null;
}

@ObjectType('OrganisationImportPayload', { simpleResolvers: true })
export class OrganisationImportPayload {
  @Field(() => Boolean, { nullable: true, description: 'Whether this was a dry run; null when refused.' })
  dryRun!: boolean | null;

  @Field(() => Int, { nullable: true, description: 'Rows read.' })
  rows!: number | null;

  @Field(() => Int, { nullable: true, description: 'Rows that changed nothing.' })
  unchanged!: number | null;

  @Field(() => [OrganisationImportChangeType], { nullable: true })
  changes!: object[] | null;

  @Field(() => [UserError], { description: 'Per-row errors name the line (field ["input", "file", "<line>", "<column>"]); when any is found nothing is written.' })
  userErrors!: UserError[];
}
