import { Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { GraphQLUpload, type FileUpload } from 'graphql-upload-minimal';
import { REASON_MAX_LENGTH } from '../domain/problems.js';
import { TextLimit } from '../graphql/input-guard.js';
import { DateTime, EmailAddress } from '../graphql/scalars.js';
import { UserError } from '../graphql/user-errors.js';
import { UserType } from '../users/user.type.js';
import { connectionOf } from '../graphql/relay.js';
import { HistoryKind } from './person-history.js';

@ObjectType('Employment', { simpleResolvers: true, description: "A person's employment by one organisation over time." })
export class EmploymentType {
  @Field(() => DateTime)
  validFrom!: Date;

  @Field(() => DateTime, { nullable: true, description: 'When it ends or ended; null while open-ended.' })
  validTo!: Date | null;

  @Field(() => String, { nullable: true, description: 'Why it ended, as the administrator gave it.' })
  endReason!: string | null;
}

@InputType('UserCreateInput', { description: 'A joiner: a person and their first employment.' })
export class UserCreateInput {
  @Field(() => String)
  @TextLimit({ maxLength: 100 })
  givenName!: string;

  @Field(() => String)
  @TextLimit({ maxLength: 100 })
  familyName!: string;

  @Field(() => EmailAddress, { description: 'Unique among the people of the employer (case-insensitive).' })
  email!: string;

  @Field(() => ID, { description: 'An organisation in your domain as issuer administrator.' })
  employerId!: string;

  @Field(() => DateTime, { nullable: true, description: 'When the employment starts; now when left out.' })
  startDate?: Date | null;
}

@ObjectType('UserCreatePayload', { simpleResolvers: true })
export class UserCreatePayload {
  @Field(() => UserType, { nullable: true })
  user!: object | null;

  @Field(() => [UserError])
  userErrors!: UserError[];
}

@InputType('UserEmploymentEndInput', { description: 'A leaver: when and why the employment ends.' })
export class UserEmploymentEndInput {
  @Field(() => DateTime, { description: 'Today, past (applied at once, date kept) or future (applied when it comes); after the start.' })
  endDate!: Date;

  @Field(() => String, { description: 'Required; kept in the audit trail and told to the person.' })
  @TextLimit({ maxLength: REASON_MAX_LENGTH, multiline: true })
  reason!: string;
}

@ObjectType('UserEmploymentEndPayload', { simpleResolvers: true })
export class UserEmploymentEndPayload {
  @Field(() => UserType, { nullable: true })
  user!: object | null;

  @Field(() => EmploymentType, { nullable: true, description: 'The employment as ended.' })
  employment!: object | null;

  @Field(() => [UserError])
  userErrors!: UserError[];
}

@InputType('UserEmploymentMoveInput', { description: 'A mover: the new employer and from when.' })
export class UserEmploymentMoveInput {
  @Field(() => ID, { description: 'An organisation in your domain (mandate holders within it included).' })
  employerId!: string;

  @Field(() => DateTime, { description: 'Past (applied at once, date kept), today or future (applied when it comes); after the current employment began.' })
  date!: Date;

  @Field(() => String, { description: 'Required; kept in the audit trail.' })
  @TextLimit({ maxLength: REASON_MAX_LENGTH, multiline: true })
  reason!: string;
}

@ObjectType('UserEmploymentMovePayload', { simpleResolvers: true })
export class UserEmploymentMovePayload {
  @Field(() => UserType, { nullable: true, description: 'The person; null when the move took them out of your domain.' })
  user!: object | null;

  @Field(() => EmploymentType, { nullable: true, description: 'The new employment.' })
  employment!: object | null;

  @Field(() => [UserError])
  userErrors!: UserError[];
}

@InputType('UserRehireInput', { description: 'A rehire: a new employment for a leaver.' })
export class UserRehireInput {
  @Field(() => ID, { nullable: true, description: 'An organisation in your domain; the last employer when left out.' })
  employerId?: string | null;

  @Field(() => DateTime, { nullable: true, description: 'Not before the last employment ended; now when left out.' })
  startDate?: Date | null;
}

@InputType('UserPlacementAddInput', { description: 'A placement at an organisation other than the employer.' })
export class UserPlacementAddInput {
  @Field(() => ID, { description: 'An organisation you may see.' })
  organisationId!: string;

  @Field(() => DateTime, { nullable: true, description: 'Now when left out.' })
  validFrom?: Date | null;

  @Field(() => DateTime, { nullable: true, description: 'Open-ended when left out.' })
  validTo?: Date | null;
}

@InputType('UserPlacementEndInput', { description: "Ends the person's placement at an organisation." })
export class UserPlacementEndInput {
  @Field(() => ID)
  organisationId!: string;

  @Field(() => DateTime, { description: 'After the placement began.' })
  endDate!: Date;
}

@ObjectType('UserPlacementPayload', { simpleResolvers: true })
export class UserPlacementPayload {
  @Field(() => UserType, { nullable: true })
  user!: object | null;

  @Field(() => [UserError])
  userErrors!: UserError[];
}

registerEnumType(HistoryKind, { name: 'HistoryKind', description: "What happened in a person's working life." });

@ObjectType('HistoryEntry', { simpleResolvers: true, description: "One moment of a person's timeline: an employment, a placement or a grant beginning or ending." })
export class HistoryEntryType {
  @Field(() => HistoryKind)
  kind!: HistoryKind;

  @Field(() => DateTime, { description: 'When it takes or took effect (a dated change may lie ahead).' })
  at!: Date;

  @Field(() => String, { nullable: true, description: 'Why, as given (an end or move reason, or a grant endReason such as EMPLOYMENT_ENDED).' })
  reason!: string | null;
}

export const HistoryEntryConnection = connectionOf('HistoryEntry', HistoryEntryType);

@InputType('UserImportInput', { description: 'Joiners in bulk, each as userCreate adds one.' })
export class UserImportInput {
  @Field(() => GraphQLUpload, {
    description: 'CSV (header: givenName,familyName,email,employer,startDate; startDate optional) or a JSON array of such objects; employer is a registration number or an Organisation id.',
  })
  file!: Promise<FileUpload>;

  @Field(() => Boolean, { defaultValue: false, description: 'Only check and list who would be added; write nothing.' })
  dryRun!: boolean;
}

@ObjectType('UserImportRow', { simpleResolvers: true, description: 'A person an import added, or would add in a dry run.' })
export class UserImportRowType {
  @Field(() => Int, { description: 'The line of the file (CSV: counting the header as 1; JSON: the line the object starts on).' })
  line!: number;

  @Field(() => EmailAddress)
  email!: string;
}

@ObjectType('UserImportPayload', { simpleResolvers: true })
export class UserImportPayload {
  @Field(() => Boolean, { nullable: true, description: 'Whether this was a dry run; null when refused.' })
  dryRun!: boolean | null;

  @Field(() => Int, { nullable: true, description: 'Rows read.' })
  rows!: number | null;

  @Field(() => Int, { nullable: true, description: 'Rows whose person is already employed there: left as they are, so a file can be run again.' })
  unchanged!: number | null;

  @Field(() => [UserImportRowType], { nullable: true })
  created!: object[] | null;

  @Field(() => [UserError], { description: 'Per-row errors name the line (field ["input", "file", "<line>", "<column>"]); when any is found nothing is written.' })
  userErrors!: UserError[];
}
