import { GraphQLUpload, type FileUpload } from 'graphql-upload-minimal';
import { Directive, Field, ID, InputType, ObjectType, registerEnumType } from 'type-graphql';
import { TextLimit } from '../graphql/input-guard.js';
import { REASON_MAX_LENGTH } from '../domain/problems.js';
import { DateTime } from '../graphql/scalars.js';
import { Node, connectionOf } from '../graphql/relay.js';
import { UserError } from '../graphql/user-errors.js';
import { AppointmentState } from './orderer-appointment.entity.js';

registerEnumType(AppointmentState, { name: 'AppointmentState', description: 'Where an orderer appointment is; nothing is deleted.' });

@Directive('@key(fields: "id")')
@ObjectType('OrdererAppointment', { simpleResolvers: true, implements: Node, description: 'A manager appointed to order grants for the people of a subtree.' })
export class OrdererAppointmentType extends Node {
  @Field(() => AppointmentState)
  state!: AppointmentState;

  @Field(() => DateTime)
  validFrom!: Date;

  @Field(() => DateTime, { nullable: true })
  validTo!: Date | null;

  @Field(() => DateTime, { nullable: true })
  decidedAt!: Date | null;

  @Field(() => String, { nullable: true, description: 'The reason given with the approval or rejection.' })
  decisionReason!: string | null;

  @Field(() => DateTime, { nullable: true })
  revokedAt!: Date | null;

  @Field(() => String, { nullable: true })
  revokeReason!: string | null;

  @Field(() => DateTime)
  createdAt!: Date;
}

@InputType('OrdererAppointmentRequestInput')
export class OrdererAppointmentRequestInput {
  @Field(() => ID)
  service!: string;

  @Field(() => ID, { description: 'The organisation (with everything below it) to order for; within your own organisation.' })
  scope!: string;

  @Field(() => DateTime, { nullable: true, description: 'Default: now.' })
  validFrom?: Date | null;

  @Field(() => DateTime, { nullable: true })
  validTo?: Date | null;

  @Field(() => GraphQLUpload, { description: 'The signed request form (SUS: 9450).' })
  requestForm!: Promise<FileUpload>;
}

@InputType('OrdererAppointmentDecisionInput')
export class OrdererAppointmentDecisionInput {
  @Field(() => String, { nullable: true, description: 'Required when rejecting or revoking.' })
  @TextLimit({ maxLength: REASON_MAX_LENGTH, multiline: true })
  reason?: string | null;
}

@ObjectType('OrdererAppointmentPayload', { simpleResolvers: true })
export class OrdererAppointmentPayload {
  @Field(() => OrdererAppointmentType, { nullable: true })
  ordererAppointment!: object | null;

  @Field(() => [UserError])
  userErrors!: UserError[];
}

export const OrdererAppointmentConnection = connectionOf('OrdererAppointment', OrdererAppointmentType);
