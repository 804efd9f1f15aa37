import { GraphQLUpload, type FileUpload } from 'graphql-upload-minimal';
import { Directive, Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { TextLimit } from '../graphql/input-guard.js';
import { REASON_MAX_LENGTH } from '../domain/problems.js';
import { DocumentKind } from '../documents/document.entity.js';
import { DateTime, EmailAddress, PhoneNumber } from '../graphql/scalars.js';
import { Node, connectionOf } from '../graphql/relay.js';
import { UserError } from '../graphql/user-errors.js';
import { ApprovalStage, OrderKind, OrderState } from './order.entity.js';

registerEnumType(OrderKind, { name: 'OrderKind', description: 'Who placed an order: an orderer, or the person for themself.' });
registerEnumType(OrderState, { name: 'OrderState', description: 'Where an order is; nothing is deleted.' });
registerEnumType(ApprovalStage, { name: 'ApprovalStage', description: 'Which approval of a two-stage approval a step was.' });

@Directive('@key(fields: "id")')
@ObjectType('Order', { simpleResolvers: true, implements: Node, description: 'A request for a grant, decided by the responsible issuer.' })
export class OrderType extends Node {
  @Field(() => OrderKind)
  kind!: OrderKind;

  @Field(() => OrderState)
  state!: OrderState;

  @Field(() => DateTime)
  validFrom!: Date;

  @Field(() => DateTime, { nullable: true })
  validTo!: Date | null;

  @Field(() => String, { nullable: true })
  justification!: string | null;

  @Field(() => EmailAddress, { nullable: true, description: 'Contact e-mail given at self-registration.' })
  contactEmail!: string | null;

  @Field(() => PhoneNumber, { nullable: true })
  contactPhone!: string | null;

  @Field(() => DateTime)
  submittedAt!: Date;

  @Field(() => DateTime, { nullable: true })
  decidedAt!: Date | null;

  @Field(() => String, { nullable: true, description: 'The reason given with the last decision (approval, rejection, sending back).' })
  decisionReason!: string | null;

  @Field(() => DateTime, { nullable: true, description: 'Two-stage approval: when the first approval was given (null until then, and after a resubmission).' })
  firstApprovedAt!: Date | null;
}

@ObjectType('RoleQuota', { simpleResolvers: true, description: "Where a role's quota stands for your organisation: at most `limit` people hold it at once." })
export class RoleQuotaType {
  @Field(() => Int)
  limit!: number;

  @Field(() => Int, { description: 'Grants in force of the role held by people of your organisation.' })
  used!: number;

  @Field(() => Boolean, { description: 'No place is left: an order would be refused with QUOTA_EXCEEDED when decided.' })
  full!: boolean;
}

@ObjectType('OrderAttachment', { simpleResolvers: true, description: 'A document attached to an order, and the sub-area it supports.' })
export class OrderAttachmentType {
  @Field(() => DateTime, { nullable: true, description: 'When a resubmission replaced it; null: part of the order as it stands.' })
  replacedAt!: Date | null;
}

@ObjectType('OrderEvent', { simpleResolvers: true, description: 'One step in an order’s life: who, when, why.' })
export class OrderEventType {
  @Field(() => OrderState, { nullable: true, description: 'Null for the submission.' })
  fromState!: OrderState | null;

  @Field(() => OrderState)
  toState!: OrderState;

  @Field(() => String, { nullable: true })
  reason!: string | null;

  @Field(() => ApprovalStage, { nullable: true, description: 'Two-stage approval: which approval this step was; null otherwise.' })
  stage!: ApprovalStage | null;

  @Field(() => DateTime)
  occurredAt!: Date;
}

@InputType('OrderAttachmentInput')
export class OrderAttachmentInput {
  @Field(() => DocumentKind)
  kind!: DocumentKind;

  @Field(() => ID, { nullable: true, description: 'The sub-area it is for, where the routine wants one per area (CVs).' })
  subArea?: string | null;

  @Field(() => GraphQLUpload)
  file!: Promise<FileUpload>;
}

@InputType('OrderCreateInput')
export class OrderCreateInput {
  @Field(() => ID, { description: 'The employee the grant is for.' })
  person!: string;

  @Field(() => ID)
  service!: string;

  @Field(() => ID)
  role!: string;

  @Field(() => [ID], { nullable: true })
  subAreas?: string[] | null;

  @Field(() => ID, { nullable: true, description: "The organisation the grant applies to: the employer (default) or a placement." })
  scope?: string | null;

  @Field(() => DateTime, { nullable: true, description: 'Default: now.' })
  validFrom?: Date | null;

  @Field(() => DateTime, { nullable: true })
  validTo?: Date | null;

  @Field(() => String, { nullable: true })
  @TextLimit({ multiline: true })
  justification?: string | null;

  @Field(() => [OrderAttachmentInput], { nullable: true })
  attachments?: OrderAttachmentInput[] | null;
}

@InputType('OrderBulkCreateInput')
export class OrderBulkCreateInput {
  @Field(() => [ID], { description: 'Up to 1,000 employees; each gets their own order or their own errors.' })
  people!: string[];

  @Field(() => ID)
  service!: string;

  @Field(() => ID)
  role!: string;

  @Field(() => [ID], { nullable: true })
  subAreas?: string[] | null;

  @Field(() => DateTime, { nullable: true })
  validFrom?: Date | null;

  @Field(() => DateTime, { nullable: true })
  validTo?: Date | null;

  @Field(() => String, { nullable: true })
  @TextLimit({ multiline: true })
  justification?: string | null;

  @Field(() => [OrderAttachmentInput], { nullable: true, description: 'Attached to every order (e.g. one signed list).' })
  attachments?: OrderAttachmentInput[] | null;
}

@InputType('OrderDecisionInput')
export class OrderDecisionInput {
  @Field(() => String, { nullable: true, description: 'Required when rejecting, sending back, or approving only some sub-areas.' })
  @TextLimit({ maxLength: REASON_MAX_LENGTH, multiline: true })
  reason?: string | null;

  @Field(() => [ID], {
    nullable: true,
    description: 'orderApprove only: sub-areas of the order not approved (with a reason); the grant covers the others. Given with the approval that issues the grant.',
  })
  rejectedSubAreas?: string[] | null;
}

@InputType('OrderResubmitInput')
export class OrderResubmitInput {
  @Field(() => DateTime, { nullable: true })
  validFrom?: Date | null;

  @Field(() => DateTime, { nullable: true })
  validTo?: Date | null;

  @Field(() => String, { nullable: true })
  @TextLimit({ multiline: true })
  justification?: string | null;

  @Field(() => [ID], { nullable: true, description: 'The sub-areas asked for from now on; left out: unchanged. Attachments for a dropped sub-area are replaced.' })
  subAreas?: string[] | null;

  @Field(() => [OrderAttachmentInput], { nullable: true, description: 'Attachments uploaded with the resubmission (multipart, as when ordering).' })
  attachments?: OrderAttachmentInput[] | null;

  @Field(() => Boolean, { nullable: true, defaultValue: false, description: 'The attachments given replace every earlier one (kept, marked replaced); default: they are added.' })
  replaceAttachments?: boolean | null;
}

@InputType('SelfRegistrationSubmitInput')
export class SelfRegistrationSubmitInput {
  @Field(() => ID, { description: 'The organisation registered under; its registration number must be the one in your e-ID.' })
  organisation!: string;

  @Field(() => ID)
  service!: string;

  @Field(() => ID)
  role!: string;

  @Field(() => [ID], { nullable: true })
  subAreas?: string[] | null;

  @Field(() => String)
  @TextLimit({ maxLength: 100 })
  givenName!: string;

  @Field(() => String)
  @TextLimit({ maxLength: 100 })
  familyName!: string;

  @Field(() => EmailAddress)
  email!: string;

  @Field(() => PhoneNumber)
  phone!: string;

  @Field(() => [OrderAttachmentInput], { nullable: true, description: 'A CV per sub-area (specialist) or the manager’s approval (administrative).' })
  attachments?: OrderAttachmentInput[] | null;
}

@InputType('ProfileCompleteInput')
export class ProfileCompleteInput {
  @Field(() => String)
  @TextLimit({ maxLength: 100 })
  givenName!: string;

  @Field(() => String)
  @TextLimit({ maxLength: 100 })
  familyName!: string;

  @Field(() => EmailAddress)
  email!: string;

  @Field(() => PhoneNumber)
  phone!: string;
}

@ObjectType('OrderPayload', { simpleResolvers: true })
export class OrderPayload {
  @Field(() => OrderType, { nullable: true })
  order!: object | null;

  @Field(() => [UserError])
  userErrors!: UserError[];
}

@ObjectType('OrderBulkResult', { simpleResolvers: true, description: 'The outcome for one person of a bulk order.' })
export class OrderBulkResultType {
  @Field(() => ID, { description: 'The person id as given.' })
  person!: string;

  @Field(() => OrderType, { nullable: true })
  order!: object | null;

  @Field(() => [UserError])
  userErrors!: UserError[];
}

@ObjectType('OrderBulkCreatePayload', { simpleResolvers: true })
export class OrderBulkCreatePayload {
  @Field(() => [OrderBulkResultType], { nullable: true, description: 'One result per person, in the order given.' })
  results!: OrderBulkResultType[] | null;

  @Field(() => [UserError], { description: 'Errors of the shared terms; when present, nothing was ordered.' })
  userErrors!: UserError[];
}

export const OrderConnection = connectionOf('Order', OrderType);
