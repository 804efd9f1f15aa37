import { UserError, UserErrorCode, UserErrorsException } from './user-errors.js';

/** The longest reason a decision or change keeps (`input.reason`); the input guard holds the same limit. */
export const REASON_MAX_LENGTH = 2000;

/** Collects the business errors of one input, so a client hears about all of them at once. */
export class Problems {
  private readonly errors: UserError[] = [];

  add(code: UserErrorCode, field: string[] | null, message: string): this {
    this.errors.push(UserError.of(code, field, message));
    return this;
  }

  /** A trimmed, non-empty string of at most `max` characters, or a REQUIRED/INVALID problem. */
  text(value: string | null | undefined, field: string[], max: number): string {
    const trimmed = value?.trim() ?? '';
    if (!trimmed) this.add(UserErrorCode.REQUIRED, field, `${field[field.length - 1]} is required.`);
    else if (trimmed.length > max) this.add(UserErrorCode.INVALID, field, `${field[field.length - 1]} is longer than ${max} characters.`);
    return trimmed;
  }

  /** `to` must come after `from` when given. */
  period(from: Date, to: Date | null | undefined, field: string[]): void {
    if (to && to.getTime() <= from.getTime()) this.add(UserErrorCode.DATE_ORDER, field, 'validTo must be later than validFrom.');
  }

  /** The problems found so far. */
  get list(): UserError[] {
    return [...this.errors];
  }

  get any(): boolean {
    return this.errors.length > 0;
  }

  /** Aborts the mutation (and its transaction) when anything was found. */
  throwIfAny(): void {
    if (this.errors.length) throw new UserErrorsException([...this.errors]);
  }

  /** The reason a decision needs (`input.reason`, kept in the audit trail): trimmed, required, at most 2,000 characters. */
  static reason(value: string | null | undefined): string {
    const problems = new Problems();
    const why = problems.text(value, ['input', 'reason'], REASON_MAX_LENGTH);
    problems.throwIfAny();
    return why;
  }

  static notFound(field: string[], what: string): UserErrorsException {
    return new UserErrorsException([UserError.of(UserErrorCode.NOT_FOUND, field, `No ${what} with this id.`)]);
  }

  static single(code: UserErrorCode, field: string[] | null, message: string): UserErrorsException {
    return new UserErrorsException([UserError.of(code, field, message)]);
  }
}
