import { problem, ProblemCode, ProblemsFound, type Problem } from './errors.js';

/** The longest reason a decision or change keeps (`input.reason`); the input guard holds the same limit. */
export const REASON_MAX_LENGTH = 2000;

/** Collects the business errors of one input, so a client hears about all of them at once. */
export class Problems {
  private readonly errors: Problem[] = [];

  add(code: ProblemCode, field: string[] | null, message: string): this {
    this.errors.push(problem(code, field, message));
    return this;
  }

  /** A trimmed, non-empty string of at most `max` characters, or a REQUIRED/INVALID problem. */
  text(value: string | null | undefined, field: string[], max: number): string {
    const trimmed = value?.trim() ?? '';
    if (!trimmed) this.add(ProblemCode.REQUIRED, field, `${field[field.length - 1]} is required.`);
    else if (trimmed.length > max) this.add(ProblemCode.INVALID, field, `${field[field.length - 1]} is longer than ${max} characters.`);
    return trimmed;
  }

  /** `to` must come after `from` when given. */
  period(from: Date, to: Date | null | undefined, field: string[]): void {
    if (to && to.getTime() <= from.getTime()) this.add(ProblemCode.DATE_ORDER, field, 'validTo must be later than validFrom.');
  }

  /** The problems found so far. */
  get list(): Problem[] {
    return [...this.errors];
  }

  get any(): boolean {
    return this.errors.length > 0;
  }

  /** Aborts the mutation (and its transaction) when anything was found. */
  throwIfAny(): void {
    if (this.errors.length) throw new ProblemsFound([...this.errors]);
  }

  /** The reason a decision needs (`input.reason`, kept in the audit trail): trimmed, required, at most 2,000 characters. */
  static reason(value: string | null | undefined): string {
    const problems = new Problems();
    const why = problems.text(value, ['input', 'reason'], REASON_MAX_LENGTH);
    problems.throwIfAny();
    return why;
  }

  static notFound(field: string[], what: string): ProblemsFound {
    return new ProblemsFound([problem(ProblemCode.NOT_FOUND, field, `No ${what} with this id.`)]);
  }

  static single(code: ProblemCode, field: string[] | null, message: string): ProblemsFound {
    return new ProblemsFound([problem(code, field, message)]);
  }
}
