import { Field, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { TextLimit } from '../graphql/input-guard.js';
import { AssuranceLevel } from '../auth/assurance.js';
import { DocumentKind } from '../documents/document.entity.js';
import { DateTime } from '../graphql/scalars.js';
import { Node, connectionOf } from '../graphql/relay.js';
import { UserError } from '../graphql/user-errors.js';
import { OrganisationKind } from '../organisations/organisation.entity.js';
import { Decider, GrantsOnMove, SensitiveAction } from './routine.rules.js';

registerEnumType(Decider, { name: 'Decider', description: 'Who decides orders under a routine.' });
registerEnumType(GrantsOnMove, { name: 'GrantsOnMove', description: "What a person's grants do when they change employer." });
registerEnumType(SensitiveAction, { name: 'SensitiveAction', description: 'Actions a routine can demand a stronger sign-in for.' });
registerEnumType(DocumentKind, { name: 'DocumentKind', description: 'What an uploaded document is.' });

@ObjectType('RoleRule', { simpleResolvers: true, description: 'What ordering a role needs under a routine.' })
export class RoleRuleType {
  @Field(() => String, { description: 'The role code.' })
  role!: string;

  @Field(() => [DocumentKind])
  attachments!: DocumentKind[];

  @Field(() => Boolean, { description: 'Attachments are needed once per chosen sub-area (one CV per area).' })
  attachmentsPerSubArea!: boolean;

  @Field(() => Int, { nullable: true, description: 'At most this many active grants of the role per legal entity.' })
  quotaPerOrganisation!: number | null;

  @Field(() => Boolean, { description: 'Two-stage approval: a second administrator, not the first approver, approves too.' })
  secondApproval!: boolean;
}

@ObjectType('AssuranceRequirement', { simpleResolvers: true })
export class AssuranceRequirementType {
  @Field(() => SensitiveAction)
  action!: SensitiveAction;

  @Field(() => AssuranceLevel)
  level!: AssuranceLevel;
}

@ObjectType('RoutineRules', { simpleResolvers: true, description: 'The rules a routine sets.' })
export class RoutineRulesType {
  @Field(() => Decider)
  decider!: Decider;

  @Field(() => Int, { description: 'Organisations below this many users of the service should not become issuers.' })
  issuerThreshold!: number;

  @Field(() => [OrganisationKind], { description: "Kinds of legal entity whose staff may hold grants (besides the authority's own)." })
  eligibleOrganisationKinds!: OrganisationKind[];

  @Field(() => Boolean)
  orderingRequiresOrderer!: boolean;

  @Field(() => Boolean)
  selfRegistration!: boolean;

  @Field(() => Boolean, { description: 'An orderer or administrator may order for themself; nobody ever decides their own order.' })
  selfOrdering!: boolean;

  @Field(() => [DocumentKind])
  ordererRequestAttachments!: DocumentKind[];

  @Field(() => GrantsOnMove, { description: 'What grants do when their holder changes employer: end, stay, or stay pending the new issuer.' })
  grantsOnMove!: GrantsOnMove;

  @Field(() => Int, { description: 'With CONFIRM: days the new issuer has to confirm before kept grants end.' })
  moveReviewDays!: number;

  @Field(() => [RoleRuleType])
  roles!: RoleRuleType[];

  @Field(() => [AssuranceRequirementType])
  assurance!: AssuranceRequirementType[];
}

@ObjectType('Routine', { simpleResolvers: true, implements: Node, description: 'The rules of a service in force from a date, optionally for one kind of organisation.' })
export class RoutineType extends Node {
  @Field(() => String)
  name!: string;

  @Field(() => OrganisationKind, { nullable: true, description: 'Null: applies to every kind without a routine of its own.' })
  organisationKind!: OrganisationKind | null;

  @Field(() => DateTime)
  effectiveFrom!: Date;
}

@InputType('RoleRuleInput')
export class RoleRuleInput {
  @Field(() => String, { description: 'The role code.' })
  @TextLimit({ maxLength: 64 })
  role!: string;

  @Field(() => [DocumentKind])
  attachments!: DocumentKind[];

  @Field(() => Boolean, { defaultValue: false })
  attachmentsPerSubArea!: boolean;

  @Field(() => Int, { nullable: true })
  quotaPerOrganisation?: number | null;

  @Field(() => Boolean, { defaultValue: false, description: 'Two-stage approval for this role (default: one approver).' })
  secondApproval?: boolean;
}

@InputType('AssuranceRequirementInput')
export class AssuranceRequirementInput {
  @Field(() => SensitiveAction)
  action!: SensitiveAction;

  @Field(() => AssuranceLevel)
  level!: AssuranceLevel;
}

@InputType('RoutineCreateInput')
export class RoutineCreateInput {
  @Field(() => String)
  name!: string;

  @Field(() => OrganisationKind, { nullable: true })
  organisationKind?: OrganisationKind | null;

  @Field(() => DateTime, { description: 'Today or later: a routine never changes the past.' })
  effectiveFrom!: Date;

  @Field(() => Decider)
  decider!: Decider;

  @Field(() => Int)
  issuerThreshold!: number;

  @Field(() => [OrganisationKind])
  eligibleOrganisationKinds!: OrganisationKind[];

  @Field(() => Boolean)
  orderingRequiresOrderer!: boolean;

  @Field(() => Boolean)
  selfRegistration!: boolean;

  @Field(() => Boolean, { defaultValue: false, description: 'Whether an orderer or administrator may order for themself (default: no).' })
  selfOrdering?: boolean;

  @Field(() => [DocumentKind])
  ordererRequestAttachments!: DocumentKind[];

  @Field(() => GrantsOnMove, { nullable: true, description: 'What grants do when their holder changes employer (default END).' })
  grantsOnMove?: GrantsOnMove | null;

  @Field(() => Int, { nullable: true, description: 'With CONFIRM: days until unconfirmed grants end, 1–365 (default 30).' })
  moveReviewDays?: number | null;

  @Field(() => [RoleRuleInput])
  roles!: RoleRuleInput[];

  @Field(() => [AssuranceRequirementInput])
  assurance!: AssuranceRequirementInput[];
}

@ObjectType('RoutineCreatePayload', { simpleResolvers: true })
export class RoutineCreatePayload {
  @Field(() => RoutineType, { nullable: true })
  routine!: object | null;

  @Field(() => [UserError])
  userErrors!: UserError[];
}

export const RoutineConnection = connectionOf('Routine', RoutineType);
