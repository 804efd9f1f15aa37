import { GraphQLUpload, type FileUpload } from 'graphql-upload-minimal';
import { Directive, Field, ID, InputType, ObjectType, registerEnumType } from 'type-graphql';
import { TextLimit } from '../graphql/input-guard.js';
import { REASON_MAX_LENGTH } from '../domain/problems.js';
import { DateTime, EmailAddress, PhoneNumber } from '../graphql/scalars.js';
import { Node, connectionOf } from '../graphql/relay.js';
import { UserError } from '../graphql/user-errors.js';
import { MandateState } from './issuer-mandate.entity.js';

registerEnumType(MandateState, { name: 'MandateState', description: 'Whether issuer rights stand or have been ended.' });

@ObjectType('SupportContact', { simpleResolvers: true, description: "Where a person gets help: their issuer's support." })
export class SupportContactType {
  @Field(() => EmailAddress, { nullable: true })
  email!: string | null;

  @Field(() => PhoneNumber, { nullable: true })
  phone!: string | null;

  @Field(() => String, { nullable: true })
  instructions!: string | null;
}

@Directive('@key(fields: "id")')
@ObjectType('IssuerMandate', { simpleResolvers: true, implements: Node, description: 'Issuer rights for a service, granted to an organisation by agreement.' })
export class IssuerMandateType extends Node {
  @Field(() => MandateState)
  state!: MandateState;

  @Field(() => String)
  @TextLimit({ maxLength: 100 })
  agreementReference!: string;

  @Field(() => String, { description: 'Who signed the agreement for the organisation.' })
  agreementSignatory!: string;

  @Field(() => DateTime)
  validFrom!: Date;

  @Field(() => DateTime, { nullable: true })
  validTo!: Date | null;

  @Field(() => String, { nullable: true, description: "Why it was granted below the routine's threshold." })
  thresholdOverrideReason!: string | null;

  @Field(() => DateTime, { nullable: true })
  endedAt!: Date | null;

  @Field(() => String, { nullable: true })
  endReason!: string | null;

  @Field(() => DateTime)
  createdAt!: Date;
}

@InputType('IssuerMandateGrantInput')
export class IssuerMandateGrantInput {
  @Field(() => ID)
  service!: string;

  @Field(() => ID, { description: 'The organisation that becomes issuer.' })
  organisation!: string;

  @Field(() => String)
  @TextLimit({ maxLength: 100 })
  agreementReference!: string;

  @Field(() => String)
  agreementSignatory!: string;

  @Field(() => GraphQLUpload, { description: 'The signed agreement (PDF, DOCX, PNG or JPEG).' })
  agreementDocument!: Promise<FileUpload>;

  @Field(() => DateTime, { nullable: true, description: 'Default: now.' })
  validFrom?: Date | null;

  @Field(() => DateTime, { nullable: true })
  validTo?: Date | null;

  @Field(() => EmailAddress, { nullable: true })
  supportEmail?: string | null;

  @Field(() => PhoneNumber, { nullable: true })
  supportPhone?: string | null;

  @Field(() => String, { nullable: true })
  @TextLimit({ multiline: true })
  supportInstructions?: string | null;

  @Field(() => [ID], { description: "People employed by the organisation who will administer its people's access." })
  administrators!: string[];

  @Field(() => String, { nullable: true, description: "Required below the routine's issuer threshold; kept with the mandate." })
  @TextLimit({ maxLength: REASON_MAX_LENGTH, multiline: true })
  thresholdOverrideReason?: string | null;
}

@InputType('IssuerMandateEndInput')
export class IssuerMandateEndInput {
  @Field(() => String)
  @TextLimit({ maxLength: REASON_MAX_LENGTH, multiline: true })
  reason!: string;
}

@InputType('IssuerMandateUpdateInput', { description: 'Only the fields given change; null clears the end date or a support field.' })
export class IssuerMandateUpdateInput {
  @Field(() => DateTime, { nullable: true, description: 'A new end date, in the future; null: open-ended.' })
  validTo?: Date | null;

  @Field(() => EmailAddress, { nullable: true })
  supportEmail?: string | null;

  @Field(() => PhoneNumber, { nullable: true })
  supportPhone?: string | null;

  @Field(() => String, { nullable: true })
  @TextLimit({ multiline: true })
  supportInstructions?: string | null;

  @Field(() => String, { description: 'Why, kept in the audit trail.' })
  @TextLimit({ maxLength: REASON_MAX_LENGTH, multiline: true })
  reason!: string;
}

@InputType('IssuerMandateAdministratorInput')
export class IssuerMandateAdministratorInput {
  @Field(() => ID, { description: "A person employed by the mandate holder's organisation." })
  person!: string;

  @Field(() => String, { description: 'Why, kept in the audit trail.' })
  @TextLimit({ maxLength: REASON_MAX_LENGTH, multiline: true })
  reason!: string;
}

@ObjectType('IssuerMandatePayload', { simpleResolvers: true })
export class IssuerMandatePayload {
  @Field(() => IssuerMandateType, { nullable: true })
  issuerMandate!: object | null;

  @Field(() => [UserError])
  userErrors!: UserError[];
}

export const IssuerMandateConnection = connectionOf('IssuerMandate', IssuerMandateType);
