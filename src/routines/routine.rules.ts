import { AssuranceLevel } from '../auth/assurance.js';
import { DocumentKind } from '../documents/document.entity.js';
import { OrganisationKind } from '../organisations/organisation.entity.js';

/** Actions a routine can demand a minimum sign-in assurance level for. */
export enum SensitiveAction {
  MANDATE_GRANT = 'mandate_grant',
  MANDATE_END = 'mandate_end',
  /** Changing a mandate's administrators, end date or support contact (absent: as granting it). */
  MANDATE_CHANGE = 'mandate_change',
  APPOINTMENT_REQUEST = 'appointment_request',
  APPOINTMENT_DECIDE = 'appointment_decide',
  APPOINTMENT_REVOKE = 'appointment_revoke',
  ORDER_SUBMIT = 'order_submit',
  ORDER_DECIDE = 'order_decide',
  GRANT_CHANGE = 'grant_change',
  /** Revoking a grant: never below what ordering or deciding it needs (see revocationAssurance). */
  GRANT_REVOKE = 'grant_revoke',
}

/** Who decides orders under a routine. */
export enum Decider {
  /** The person's responsible issuer (a mandate holder, else the authority). */
  RESPONSIBLE_ISSUER = 'responsible_issuer',
  /** Always the service's authority, even where a mandate exists. */
  AUTHORITY = 'authority',
}

/** What a person's grants of the service do when they change employer. */
export enum GrantsOnMove {
  /** Every grant ends at the move (EMPLOYMENT_MOVED). */
  END = 'end',
  /** Grants stay; the new responsible issuer answers for them from the move. */
  KEEP = 'keep',
  /** Grants stay pending the new responsible issuer's confirmation, and end at the deadline if unconfirmed. */
  CONFIRM = 'confirm',
}

/** Days the new issuer has to confirm kept grants when the routine gives none. */
export const DEFAULT_MOVE_REVIEW_DAYS = 30;

export interface RoleRule {
  /** Attachments an order of this role needs. */
  attachments: DocumentKind[];
  /** CVs are needed once per chosen sub-area rather than once per order. */
  attachmentsPerSubArea: boolean;
  /** At most this many active grants of the role per legal entity (supplier); null: no quota. */
  quotaPerOrganisation: number | null;
  /** Two-stage approval: a second administrator, not the first approver, must approve too (absent: no). */
  secondApproval?: boolean;
}

/** The rules of a service from a date on. Stored as a document; validated when written. */
export interface RoutineRules {
  decider: Decider;
  /** Organisations below this many users of the service should not become issuers (overridable). */
  issuerThreshold: number;
  /** Kinds of legal entity whose staff may hold grants (the authority's own staff always may). */
  eligibleOrganisationKinds: OrganisationKind[];
  /** Orders must come from an appointed orderer (SUS from 21 April 2014 for municipalities…). */
  orderingRequiresOrderer: boolean;
  /** People may register themselves (VIAS). */
  selfRegistration: boolean;
  /** An orderer or administrator may order for themself (absent: no; self-registration is its own path). */
  selfOrdering?: boolean;
  /** Attachments a request to become orderer needs. */
  ordererRequestAttachments: DocumentKind[];
  roles: Record<string, RoleRule>;
  /** What grants do when their holder changes employer (absent: END, the safe default). */
  grantsOnMove?: GrantsOnMove;
  /** With CONFIRM: days from the move until unconfirmed grants end (absent: DEFAULT_MOVE_REVIEW_DAYS). */
  moveReviewDays?: number;
  /** Minimum assurance level per sensitive action; actions left out need none beyond sign-in. */
  assurance: Partial<Record<SensitiveAction, AssuranceLevel>>;
}

const rank: Record<AssuranceLevel, number> = { low: 1, substantial: 2, high: 3 };

/** A revocation needs the highest of its own level, a grant change's, and what ordering the grant needs. */
export function revocationAssurance(rules: RoutineRules): AssuranceLevel | undefined {
  const levels = [SensitiveAction.GRANT_REVOKE, SensitiveAction.GRANT_CHANGE, SensitiveAction.ORDER_SUBMIT]
    .map((a) => rules.assurance[a])
    .filter((l): l is AssuranceLevel => l !== undefined);
  return levels.sort((a, b) => rank[b] - rank[a])[0];
}

/** Maintaining a mandate needs what the routine asks for it, else what granting it needs. */
export function mandateChangeAssurance(rules: RoutineRules): AssuranceLevel | undefined {
  return rules.assurance[SensitiveAction.MANDATE_CHANGE] ?? rules.assurance[SensitiveAction.MANDATE_GRANT];
}

const inEnum = <T extends Record<string, string>>(e: T, v: unknown): v is T[keyof T] => Object.values(e).includes(v as string);

/** Problems with a rules document, as [path, message]; empty when valid. */
export function validateRules(rules: RoutineRules, roleCodes: string[]): [string, string][] {
  const problems: [string, string][] = [];
  if (!inEnum(Decider, rules.decider)) problems.push(['decider', 'unknown decider']);
  if (!Number.isInteger(rules.issuerThreshold) || rules.issuerThreshold < 0) problems.push(['issuerThreshold', 'must be a whole number ≥ 0']);
  if (!rules.eligibleOrganisationKinds.every((k) => inEnum(OrganisationKind, k))) problems.push(['eligibleOrganisationKinds', 'unknown organisation kind']);
  if (rules.grantsOnMove !== undefined && !inEnum(GrantsOnMove, rules.grantsOnMove)) problems.push(['grantsOnMove', 'unknown rule']);
  if (rules.moveReviewDays !== undefined && (!Number.isInteger(rules.moveReviewDays) || rules.moveReviewDays < 1 || rules.moveReviewDays > 365)) {
    problems.push(['moveReviewDays', 'must be a whole number of days from 1 to 365']);
  }
  for (const [code, rule] of Object.entries(rules.roles)) {
    if (!roleCodes.includes(code)) problems.push([`roles.${code}`, `the service has no role "${code}"`]);
    if (!rule.attachments.every((a) => inEnum(DocumentKind, a))) problems.push([`roles.${code}.attachments`, 'unknown attachment kind']);
    if (rule.quotaPerOrganisation !== null && (!Number.isInteger(rule.quotaPerOrganisation) || rule.quotaPerOrganisation < 0)) {
      problems.push([`roles.${code}.quotaPerOrganisation`, 'must be a whole number ≥ 0 or null']);
    }
  }
  for (const [action, level] of Object.entries(rules.assurance)) {
    if (!inEnum(SensitiveAction, action)) problems.push([`assurance.${action}`, 'unknown action']);
    if (!inEnum(AssuranceLevel, level)) problems.push([`assurance.${action}`, 'unknown assurance level']);
  }
  return problems;
}
