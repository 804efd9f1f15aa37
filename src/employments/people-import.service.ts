import type { Readable } from 'node:stream';
import type { FileUpload } from 'graphql-upload-minimal';
import type { Actor } from '../auth/actor.js';
import type { Em } from '../db/orm.js';
import { execute, sql } from '../db/sql.js';
import { ProblemCode, ProblemsFound } from '../domain/errors.js';
import { idOfType } from '../domain/global-id.js';
import { Problems } from '../domain/problems.js';
import { lineField, readImportFile, type ImportRow } from '../imports/rows.js';
import { recordJoiner } from './employment.service.js';

/** The columns of a people import: the employer by registration number (a legal entity) or by id (a unit). */
export const PEOPLE_COLUMNS = ['givenName', 'familyName', 'email', 'employer', 'startDate'] as const;
export type PeopleColumn = (typeof PEOPLE_COLUMNS)[number];
const REQUIRED: readonly PeopleColumn[] = ['givenName', 'familyName', 'email', 'employer'];
/** Rows one import takes: an agency's whole staff. */
export const PEOPLE_IMPORT_MAX_ROWS = 10_000;
/** Rows whose problems are reported: enough to fix a file. */
const MAX_REPORTED = 100;
const NAME_MAX = 100;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export interface PeopleImportResult {
  dryRun: boolean;
  rows: number;
  /** People already employed there with that e-mail: left as they are, so a file can be run again. */
  unchanged: number;
  created: { line: number; email: string; employerId: string }[];
}

interface Planned {
  row: ImportRow<PeopleColumn>;
  givenName: string;
  familyName: string;
  email: string;
  employerId: string;
  startDate: Date;
}

/**
 * Joiners in bulk from a CSV or JSON file, as userCreate adds them one by one (employers in the
 * administrator's domain, e-mail unique per employer). The file is taken whole or not at all: any
 * broken row answers every row's problem, naming its line, and nothing is written. A dry run
 * checks the same and writes nothing.
 */
export class PeopleImportService {
  constructor(private readonly actor: Actor) {}

  async importFile(source: Readable | Buffer | FileUpload, options: { dryRun: boolean; field: string[]; maxBytes: number }): Promise<PeopleImportResult> {
    const viewer = this.actor.policy.requireUser();
    const file = await readImportFile(source, { columns: PEOPLE_COLUMNS, required: REQUIRED, maxBytes: options.maxBytes, maxRows: PEOPLE_IMPORT_MAX_ROWS, field: options.field });
    return this.actor.em.transactional(async (tx) => {
      const problems = new Problems();
      const at = (row: ImportRow<PeopleColumn>, column?: PeopleColumn) => lineField(options.field, row.line, column);
      const employers = await this.employers(tx, file.rows.map((r) => r.values.employer));
      const planned: Planned[] = [];
      for (const row of file.rows) {
        const v = row.values;
        const rowProblems = new Problems();
        const givenName = rowProblems.text(v.givenName, at(row, 'givenName'), NAME_MAX);
        const familyName = rowProblems.text(v.familyName, at(row, 'familyName'), NAME_MAX);
        const email = v.email.trim();
        if (!EMAIL.test(email) || email.length > 254) rowProblems.add(ProblemCode.INVALID, at(row, 'email'), `Line ${row.line}: "${email.slice(0, 64)}" is not an e-mail address.`);
        const employerId = employers.get(v.employer.trim());
        if (!employerId) rowProblems.add(ProblemCode.NOT_FOUND, at(row, 'employer'), `Line ${row.line}: no organisation "${v.employer.slice(0, 64)}" in your domain.`);
        const startDate = v.startDate ? new Date(v.startDate) : this.actor.now();
        if (Number.isNaN(startDate.getTime())) rowProblems.add(ProblemCode.INVALID, at(row, 'startDate'), `Line ${row.line}: startDate is not a date (e.g. 2026-12-01).`);
        for (const p of rowProblems.list) problems.add(p.code, p.field, p.message.startsWith('Line') ? p.message : `Line ${row.line}: ${p.message}`);
        if (!rowProblems.any) planned.push({ row, givenName, familyName, email, employerId: employerId!, startDate });
      }
      const fresh = await this.withoutExisting(tx, planned, problems, at);
      if (problems.any) throw new ProblemsFound(problems.list.slice(0, MAX_REPORTED));
      if (!options.dryRun) for (const p of fresh) recordJoiner(tx, this.actor, p, viewer.id);
      return {
        dryRun: options.dryRun,
        rows: file.rows.length,
        unchanged: planned.length - fresh.length,
        created: fresh.map((p) => ({ line: p.row.line, email: p.email, employerId: p.employerId })),
      };
    });
  }

  /** Employer ids by the file's spelling (registration number or organisation id), those in the viewer's domain only. */
  private async employers(tx: Em, values: string[]): Promise<Map<string, string>> {
    const spelled = [...new Set(values.map((v) => v.trim()).filter(Boolean))];
    const ids = new Map(spelled.map((v) => [v, idOfType(v, 'Organisation')]).filter((e): e is [string, string] => e[1] !== null));
    const numbers = spelled.filter((v) => !ids.has(v));
    if (spelled.length === 0) return new Map();
    const rows = await execute<{ id: string; registration_number: string | null }>(
      tx,
      sql`select e.id, e.registration_number from organisations e
        where (e.id in (${ids.size ? [...ids.values()] : ['00000000-0000-0000-0000-000000000000']}) or e.registration_number in (${numbers.length ? numbers : ['']}))
          and ${this.actor.policy.administeredEmployers('e')}`,
    );
    const found = new Map<string, string>();
    for (const r of rows) {
      if (r.registration_number && numbers.includes(r.registration_number)) found.set(r.registration_number, r.id);
      for (const [spelling, id] of ids) if (id === r.id) found.set(spelling, r.id);
    }
    return found;
  }

  /**
   * Drops rows whose person is already employed there (unchanged); a repeated row, or a leaver with
   * that e-mail, is a problem on its line. Serializes with userCreate per employer.
   */
  private async withoutExisting(tx: Em, planned: Planned[], problems: Problems, at: (row: ImportRow<PeopleColumn>, column?: PeopleColumn) => string[]): Promise<Planned[]> {
    for (const employer of [...new Set(planned.map((p) => p.employerId))].sort()) {
      await execute(tx, sql`select pg_advisory_xact_lock(hashtext('employment:' || ${employer}))`);
    }
    const emails = [...new Set(planned.map((p) => p.email.toLowerCase()))];
    const existing = emails.length
      ? await execute<{ employer_id: string; email: string; left: boolean }>(
          tx,
          sql`select u.employer_id, lower(u.email) as email,
              not exists (select 1 from employments x where x.user_id = u.id and (x.valid_to is null or x.valid_to > now()))
                and exists (select 1 from employments x where x.user_id = u.id) as left
            from users u where lower(u.email) in (${emails}) and u.employer_id in (${[...new Set(planned.map((p) => p.employerId))]})`,
        )
      : [];
    const known = new Map(existing.map((e) => [`${e.employer_id}:${e.email}`, e.left]));
    const seen = new Map<string, number>();
    const fresh: Planned[] = [];
    for (const p of planned) {
      const key = `${p.employerId}:${p.email.toLowerCase()}`;
      if (seen.has(key)) {
        problems.add(ProblemCode.CONFLICT, at(p.row, 'email'), `Line ${p.row.line}: the same person as line ${seen.get(key)}.`);
        continue;
      }
      seen.set(key, p.row.line);
      if (known.get(key) === true) problems.add(ProblemCode.CONFLICT, at(p.row, 'email'), `Line ${p.row.line}: ${p.email} has left this organisation: rehire them (userRehire).`);
      else if (!known.has(key)) fresh.push(p);
    }
    return fresh;
  }
}
