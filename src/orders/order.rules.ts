import type { DocumentKind } from '../documents/document.entity.js';
import { ProblemCode } from '../domain/errors.js';
import { Problems } from '../domain/problems.js';
import type { RoutineRules } from '../routines/routine.rules.js';

/** The most people one bulk order may name. */
export const MAX_BULK = 1000;

/** A bulk order names at least one person and at most MAX_BULK; anything else is refused whole. */
export function checkHeadcount(people: readonly string[]): void {
  if (people.length === 0) throw Problems.single(ProblemCode.REQUIRED, ['input', 'people'], 'Name at least one person.');
  if (people.length > MAX_BULK) throw Problems.single(ProblemCode.INVALID, ['input', 'people'], `At most ${MAX_BULK} people per request.`);
}

/** Where a person's problems point: the single order's `person`, or their place in a bulk order's `people`. */
export function personField(single: boolean, index: number): string[] {
  return single ? ['input', 'person'] : ['input', 'people', String(index)];
}

/** `array_agg` may arrive as an array or as Postgres' text form `{a,b}`, depending on the driver. */
export function parseIdArray(value: string[] | string | null): string[] {
  if (Array.isArray(value)) return value;
  return value ? value.replace(/[{}]/g, '').split(',') : [];
}

/** Four eyes: nobody decides an order they placed or one for themself (a self-registration is both). */
export function checkFourEyes(order: { orderedBy: { id: string }; user: { id: string } }, deciderId: string): void {
  if (order.orderedBy.id === deciderId) {
    throw Problems.single(ProblemCode.SELF_DECISION, ['id'], 'You placed this order: someone else decides it.');
  }
  if (order.user.id === deciderId) {
    throw Problems.single(ProblemCode.SELF_DECISION, ['id'], 'The order is for you: someone else decides it.');
  }
}

/** What the attachment rule looks at in an order's terms. */
export interface AttachedTerms {
  role: { code: string };
  subAreas: { id: string; name: string }[];
  files: { kind: DocumentKind; subArea: { id: string } | null }[];
}

/** The attachments a routine demands for a role, as problems when missing or not taken. */
export function checkAttachments(rules: RoutineRules, terms: AttachedTerms, problems: Problems, field: string[] = ['input']): void {
  const rule = rules.roles[terms.role.code];
  if (!rule) {
    problems.add(ProblemCode.NOT_ELIGIBLE, [...field, 'role'], 'The routine in force does not offer this role.');
    return;
  }
  terms.files.forEach((f, i) => {
    if (!rule.attachments.includes(f.kind)) {
      problems.add(ProblemCode.INVALID, [...field, 'attachments', String(i), 'kind'], `The routine does not take a ${f.kind.replace('_', ' ')} for this role.`);
    }
  });
  for (const kind of rule.attachments) {
    if (rule.attachmentsPerSubArea && terms.subAreas.length) {
      for (const area of terms.subAreas) {
        if (!terms.files.some((f) => f.kind === kind && f.subArea?.id === area.id)) {
          problems.add(ProblemCode.REQUIRED, [...field, 'attachments'], `A ${kind.replace('_', ' ')} is required for the sub-area "${area.name}".`);
        }
      }
    } else if (!terms.files.some((f) => f.kind === kind)) {
      problems.add(ProblemCode.REQUIRED, [...field, 'attachments'], `A ${kind.replace('_', ' ')} is required for this role.`);
    }
  }
  if (rule.attachmentsPerSubArea && terms.subAreas.length === 0) problems.add(ProblemCode.REQUIRED, [...field, 'subAreas'], 'Choose at least one sub-area.');
}

/** How a person who registers themself can be reached; each part is required and bounded. */
export interface ContactDetails {
  givenName: string;
  familyName: string;
  email: string;
  phone: string;
}

/** The contact details of an input, trimmed; problems are collected, not thrown. */
export function readContactDetails(input: ContactDetails, problems: Problems): ContactDetails {
  return {
    givenName: problems.text(input.givenName, ['input', 'givenName'], 100),
    familyName: problems.text(input.familyName, ['input', 'familyName'], 100),
    email: problems.text(input.email, ['input', 'email'], 254),
    phone: problems.text(input.phone, ['input', 'phone'], 32),
  };
}
