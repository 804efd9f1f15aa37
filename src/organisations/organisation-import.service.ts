import type { Actor } from '../auth/actor.js';
import type { Em } from '../db/orm.js';
import { execute, Sql, sql } from '../db/sql.js';
import { ProblemCode, ProblemsFound, type Problem } from '../domain/errors.js';
import { Problems } from '../domain/problems.js';
import type { Readable } from 'node:stream';
import type { FileUpload } from 'graphql-upload-minimal';
import { lineField, readImportFile, type ImportRow } from '../imports/rows.js';
import { Organisation, OrganisationKind } from './organisation.entity.js';
import { lockTree, OrganisationTree, treeNodeOf, treeNodeOfRow, type TreeNode } from './organisation.service.js';

/** The columns of an organisation import, as a national register exports them. */
export const ORGANISATION_COLUMNS = ['registrationNumber', 'name', 'kind', 'parentRegistrationNumber'] as const;
export type OrganisationColumn = (typeof ORGANISATION_COLUMNS)[number];
export const ORGANISATION_REQUIRED_COLUMNS: readonly OrganisationColumn[] = ['registrationNumber', 'name', 'kind'];
/** Rows one import takes: a country's register of public bodies and suppliers fits (the scale tree has ≈21,000). */
export const ORGANISATION_IMPORT_MAX_ROWS = 50_000;

export type ImportAction = 'create' | 'rename' | 'move' | 'close';
export interface ImportChange {
  action: ImportAction;
  registrationNumber: string;
  name: string;
  line: number | null;
}
export interface ImportResult {
  dryRun: boolean;
  rows: number;
  unchanged: number;
  changes: ImportChange[];
}
export interface ImportOptions {
  dryRun: boolean;
  /** Close the administered, numbered organisations the file leaves out (never without asking). */
  closeAbsent: boolean;
  /** The field per-row errors start with: ["input", "file"] (GraphQL) or ["file"] (CLI). */
  field: string[];
  /** Told each phase and how far it got, for a progress bar. */
  onProgress?: (phase: string, done: number, total: number) => void;
}

interface Existing {
  id: string;
  kind: OrganisationKind;
  name: string;
  registration_number: string;
  parent_id: string | null;
  closed_at: Date | null;
  administered: boolean;
}

interface Planned {
  row: ImportRow<OrganisationColumn>;
  number: string;
  name: string;
  kind: OrganisationKind;
  parentNumber: string | null;
  existing: Existing | null;
  /** Depth in the tree the file describes (rows whose parent is outside the file: 0). */
  depth: number;
}

const KINDS = new Map(Object.values(OrganisationKind).map((k) => [k.replace(/_/g, ''), k]));
/** Statements take at most this many parameters at once (PostgreSQL's limit is 65,535). */
const CHUNK = 5_000;
/** Thrown to roll a dry run's transaction back once its answer is known. */
class DryRunRollback extends Error {}

/** Rows whose problems are reported: enough to fix a file, not a 50,000-item answer. */
const MAX_REPORTED = 100;

/**
 * Organisations from a national register, idempotent by registration number: a row whose organisation
 * exists renames or moves it when it differs and is otherwise left alone; a new number creates one.
 * The whole file is one transaction: any broken row aborts it with every row's problem (naming its
 * line), so a file is taken whole or not at all and fixed and re-run as a whole. A dry run does the
 * same work and rolls it back, so it lists exactly what a run would change.
 */
export class OrganisationImportService {
  constructor(private readonly actor: Actor) {}

  /** Reads a CSV or JSON file of at most `maxBytes` and imports it (see run). */
  async importFile(source: Readable | Buffer | FileUpload, options: ImportOptions & { maxBytes: number }): Promise<ImportResult> {
    this.actor.policy.requireUser();
    const file = await readImportFile(source, {
      columns: ORGANISATION_COLUMNS,
      required: ORGANISATION_REQUIRED_COLUMNS,
      maxBytes: options.maxBytes,
      maxRows: ORGANISATION_IMPORT_MAX_ROWS,
      field: options.field,
      onBytes: (bytes) => options.onProgress?.('reading', bytes, options.maxBytes),
    });
    return this.run(file.rows, options);
  }

  async run(rows: ImportRow<OrganisationColumn>[], options: ImportOptions): Promise<ImportResult> {
    this.actor.policy.requireUser();
    let result: ImportResult | null = null;
    try {
      await this.actor.em.transactional(async (tx) => {
        await lockTree(tx);
        result = await new ImportRun(tx, this.actor, options).apply(rows);
        if (options.dryRun) throw new DryRunRollback('dry run');
      });
    } catch (error) {
      if (!(error instanceof DryRunRollback)) throw error;
    }
    return result!;
  }
}

class ImportRun {
  private readonly tree: OrganisationTree;
  private readonly problems: Problem[] = [];
  private readonly changes: ImportChange[] = [];

  constructor(
    private readonly tx: Em,
    private readonly actor: Actor,
    private readonly options: ImportOptions,
  ) {
    this.tree = new OrganisationTree(tx, actor);
  }

  private fail(code: ProblemCode, line: number | null, column: string | null, message: string): void {
    const field = line === null ? this.options.field : lineField(this.options.field, line, column ?? undefined);
    this.problems.push({ code, field, message: line === null ? message : `Line ${line}: ${message}` });
  }

  private check(): void {
    if (!this.problems.length) return;
    const shown = this.problems.slice(0, MAX_REPORTED);
    if (this.problems.length > MAX_REPORTED) shown.push({ code: ProblemCode.INVALID, field: this.options.field, message: `${this.problems.length - MAX_REPORTED} more problems not listed.` });
    throw new ProblemsFound(shown);
  }

  async apply(rows: ImportRow<OrganisationColumn>[]): Promise<ImportResult> {
    const planned = this.validate(rows);
    this.check();
    await this.matchExisting(planned);
    this.check();
    const byNumber = new Map(planned.map((p) => [p.number, p]));
    this.orderByFileTree(planned, byNumber);
    const outside = await this.parentsOutsideFile(planned, byNumber);
    this.check();
    const created = await this.createAndMove(planned, outside);
    this.check();
    await this.rename(planned);
    if (this.options.closeAbsent) await this.closeAbsent(new Set(planned.map((p) => p.number)));
    this.check();
    await this.checkInDomain(created);
    this.check();
    const changedRows = new Set(this.changes.filter((c) => c.line !== null).map((c) => c.line));
    return { dryRun: this.options.dryRun, rows: rows.length, unchanged: rows.length - changedRows.size, changes: this.changes };
  }

  /** Each row on its own: the fields, and numbers unique in the file. */
  private validate(rows: ImportRow<OrganisationColumn>[]): Planned[] {
    const seen = new Map<string, number>();
    const planned: Planned[] = [];
    for (const row of rows) {
      const problems = new Problems();
      const v = row.values;
      const field = lineField(this.options.field, row.line);
      const kind = KINDS.get(v.kind.toLowerCase().replace(/[^a-z]/g, ''));
      if (!v.kind) problems.add(ProblemCode.REQUIRED, [...field, 'kind'], 'kind is required.');
      else if (!kind || kind === OrganisationKind.AUTHORITY) problems.add(ProblemCode.INVALID, [...field, 'kind'], `kind "${v.kind.slice(0, 40)}" is not one of ${[...KINDS.values()].filter((k) => k !== OrganisationKind.AUTHORITY).join(', ')}.`);
      const name = problems.text(v.name, [...field, 'name'], 200);
      const number = this.tree.registrationNumber(v.registrationNumber, [...field, 'registrationNumber'], true, problems) ?? '';
      const parentNumber = v.parentRegistrationNumber ? this.tree.registrationNumber(v.parentRegistrationNumber, [...field, 'parentRegistrationNumber'], false, problems) : null;
      if (kind === OrganisationKind.UNIT && !parentNumber) problems.add(ProblemCode.REQUIRED, [...field, 'parentRegistrationNumber'], 'A unit needs its parent.');
      if (parentNumber && parentNumber === number) problems.add(ProblemCode.MOVE_INTO_OWN_SUBTREE, [...field, 'parentRegistrationNumber'], 'An organisation cannot be its own parent.');
      const first = seen.get(number);
      if (number && first !== undefined) problems.add(ProblemCode.DUPLICATE_REGISTRATION_NUMBER, [...field, 'registrationNumber'], `${number} is on line ${first} already.`);
      if (number && first === undefined) seen.set(number, row.line);
      for (const p of problems.list) this.problems.push({ ...p, message: `Line ${row.line}: ${p.message}` });
      if (!problems.any) planned.push({ row, number, name, kind: kind!, parentNumber, existing: null, depth: 0 });
    }
    return planned;
  }

  /** The organisations that already carry the file's numbers (legal entities: one each; units: one per number in your domain). */
  private async matchExisting(planned: Planned[]): Promise<void> {
    const numbers = planned.map((p) => p.number);
    const found = await this.numbered(numbers);
    for (const p of planned) {
      const candidates = (found.get(p.number) ?? []).filter((e) => (e.kind === OrganisationKind.UNIT) === (p.kind === OrganisationKind.UNIT));
      const administered = candidates.filter((e) => e.administered);
      if (p.kind !== OrganisationKind.UNIT && candidates.length && !administered.length) {
        // Registration numbers are public register data: saying one is taken reveals nothing private.
        this.fail(ProblemCode.DUPLICATE_REGISTRATION_NUMBER, p.row.line, 'registrationNumber', `${p.number} belongs to an organisation outside your domain.`);
        continue;
      }
      if (administered.length > 1) {
        this.fail(ProblemCode.CONFLICT, p.row.line, 'registrationNumber', `${administered.length} units in your domain carry ${p.number}; give them numbers of their own first.`);
        continue;
      }
      const other = (found.get(p.number) ?? []).find((e) => e.administered && (e.kind === OrganisationKind.UNIT) !== (p.kind === OrganisationKind.UNIT));
      if (!administered.length && other) {
        this.fail(ProblemCode.INVALID, p.row.line, 'kind', `${p.number} is a ${other.kind} already; an import does not change what kind an organisation is.`);
        continue;
      }
      p.existing = administered[0] ?? null;
      if (p.existing && p.existing.kind !== p.kind) this.fail(ProblemCode.INVALID, p.row.line, 'kind', `${p.number} is a ${p.existing.kind} already; an import does not change what kind an organisation is.`);
      if (p.existing?.closed_at) this.fail(ProblemCode.ORGANISATION_CLOSED, p.row.line, 'registrationNumber', `${p.number} is closed; an import does not reopen it.`);
    }
  }

  private async numbered(numbers: string[]): Promise<Map<string, Existing[]>> {
    const found = new Map<string, Existing[]>();
    for (let i = 0; i < numbers.length; i += CHUNK) {
      const rows = await execute<Existing>(
        this.tx,
        sql`select o.id, o.kind, o.name, o.registration_number, o.parent_id, o.closed_at, (${this.actor.policy.administeredOrganisations('o')}) as administered
          from organisations o where o.registration_number in (${numbers.slice(i, i + CHUNK)})`,
      );
      for (const r of rows) found.set(r.registration_number, [...(found.get(r.registration_number) ?? []), r]);
    }
    return found;
  }

  /** Depths in the tree the file describes, parents first; a cycle in the file is refused. */
  private orderByFileTree(planned: Planned[], byNumber: Map<string, Planned>): void {
    const depth = new Map<Planned, number>();
    const depthOf = (p: Planned, trail: Set<Planned>): number => {
      const known = depth.get(p);
      if (known !== undefined) return known;
      const parent = p.parentNumber ? byNumber.get(p.parentNumber) : undefined;
      if (!parent) return 0;
      if (trail.has(parent)) {
        this.fail(ProblemCode.MOVE_INTO_OWN_SUBTREE, p.row.line, 'parentRegistrationNumber', `${p.number} would lie below itself (the file's parents go round in a circle).`);
        depth.set(p, 0);
        return 0;
      }
      trail.add(p);
      const d = depthOf(parent, trail) + 1;
      depth.set(p, d);
      return d;
    };
    for (const p of planned) p.depth = depthOf(p, new Set([p]));
    planned.sort((a, b) => a.depth - b.depth || a.row.line - b.row.line);
  }

  /** Parents named by number but not in the file: open organisations you administer. */
  private async parentsOutsideFile(planned: Planned[], byNumber: Map<string, Planned>): Promise<Map<string, TreeNode>> {
    const wanted = [...new Set(planned.map((p) => p.parentNumber).filter((n): n is string => n !== null && !byNumber.has(n)))];
    const found = await this.numbered(wanted);
    const ids = new Map<string, string>();
    for (const number of wanted) {
      const administered = (found.get(number) ?? []).filter((e) => e.administered);
      if (administered.length === 1 && !administered[0].closed_at) ids.set(number, administered[0].id);
    }
    const nodes = await this.nodes([...ids.values()]);
    const parents = new Map([...ids].map(([number, id]) => [number, nodes.get(id)!]));
    for (const p of planned) {
      if (p.parentNumber && !byNumber.has(p.parentNumber) && !parents.has(p.parentNumber)) {
        this.fail(ProblemCode.NOT_FOUND, p.row.line, 'parentRegistrationNumber', `No open organisation numbered ${p.parentNumber} in the file or your domain.`);
      }
    }
    return parents;
  }

  /** The organisations with these ids as they are now, as plain tree nodes (not managed entities: an import names thousands). */
  private async nodes(ids: string[]): Promise<Map<string, TreeNode>> {
    const nodes = new Map<string, TreeNode>();
    for (let i = 0; i < ids.length; i += CHUNK) {
      const rows = await execute<Parameters<typeof treeNodeOfRow>[0]>(this.tx, sql`select id, kind, path, depth, parent_id, legal_entity_id from organisations where id in (${ids.slice(i, i + CHUNK)})`);
      for (const r of rows) nodes.set(r.id, treeNodeOfRow(r));
    }
    return nodes;
  }

  /**
   * Creates the new rows, parents first, flushing in batches; then moves the existing ones whose parent
   * differs, shallowest first, each read afresh (an earlier move may have rewritten its path).
   */
  private async createAndMove(planned: Planned[], outside: Map<string, TreeNode>): Promise<string[]> {
    const existing = await this.nodes(planned.filter((p) => p.existing).map((p) => p.existing!.id));
    const nodeOf = new Map<string, TreeNode>(outside);
    for (const p of planned) if (p.existing) nodeOf.set(p.number, existing.get(p.existing.id)!);
    const created: string[] = [];
    const total = planned.length;
    let done = 0;
    for (const p of planned) {
      if (++done % 500 === 0) this.options.onProgress?.('organisations', done, total);
      if (p.existing) continue;
      const parent = p.parentNumber ? nodeOf.get(p.parentNumber) ?? null : null;
      const problems = new Problems();
      this.tree.validateNew({ kind: p.kind, name: p.name, registrationNumber: p.number }, parent, lineField(this.options.field, p.row.line), problems);
      if (problems.any) {
        for (const e of problems.list) this.problems.push({ ...e, message: `Line ${p.row.line}: ${e.message}` });
        continue;
      }
      const org = this.tree.insert({ kind: p.kind, name: p.name, registrationNumber: p.number, parent });
      nodeOf.set(p.number, treeNodeOf(org));
      created.push(org.id);
      this.changes.push({ action: 'create', registrationNumber: p.number, name: p.name, line: p.row.line });
      if (created.length % 2_000 === 0) await this.tx.flush();
    }
    await this.tx.flush();
    this.check();
    const moving = planned.filter((p) => p.existing && (p.parentNumber ? nodeOf.get(p.parentNumber)!.id : null) !== p.existing.parent_id);
    for (const p of moving) {
      const field = lineField(this.options.field, p.row.line, 'parentRegistrationNumber');
      const parentId = p.parentNumber ? nodeOf.get(p.parentNumber)!.id : null;
      const fresh = await this.nodes([p.existing!.id, ...(parentId ? [parentId] : [])]);
      const org = fresh.get(p.existing!.id)!;
      if (this.tree.isRoot(org)) {
        this.fail(ProblemCode.INVALID, p.row.line, 'parentRegistrationNumber', `${p.number} is where your administration is rooted: its authority moves it, not you.`);
        continue;
      }
      try {
        if (await this.tree.move(org, parentId ? fresh.get(parentId)! : null, field)) {
          this.changes.push({ action: 'move', registrationNumber: p.number, name: p.name, line: p.row.line });
        }
      } catch (error) {
        if (!(error instanceof ProblemsFound)) throw error;
        for (const e of error.problems) this.problems.push({ ...e, message: `Line ${p.row.line}: ${e.message}` });
      }
    }
    this.options.onProgress?.('organisations', total, total);
    return created;
  }

  /** Renames in one statement per batch, each with its audit event. */
  private async rename(planned: Planned[]): Promise<void> {
    const renamed = planned.filter((p) => p.existing && p.existing.name !== p.name);
    for (let i = 0; i < renamed.length; i += CHUNK) {
      const batch = renamed.slice(i, i + CHUNK);
      const values = Sql.join(batch.map((p) => sql`(${p.existing!.id}::uuid, ${p.name}::text)`), ', ');
      await execute(this.tx, sql`update organisations o set name = v.name from (values ${values}) as v (id, name) where o.id = v.id`);
      for (const p of batch) {
        this.tree.auditChange('organisation.rename', p.existing!.id, { name: p.existing!.name }, { name: p.name });
        this.changes.push({ action: 'rename', registrationNumber: p.number, name: p.name, line: p.row.line });
      }
    }
    await this.tx.flush();
  }

  /** Closes the numbered organisations you administer that the file leaves out, deepest first. */
  private async closeAbsent(inFile: Set<string>): Promise<void> {
    const rows = await execute<Record<string, unknown>>(
      this.tx,
      sql`select o.* from organisations o where o.registration_number is not null and o.closed_at is null and ${this.actor.policy.administeredOrganisations('o')} order by o.depth desc, o.path`,
    );
    for (const row of rows.filter((r) => !inFile.has(String(r.registration_number)))) {
      const org = this.tx.map(Organisation, row);
      if (this.tree.isRoot(org)) continue;
      try {
        await this.tree.close(org, 'Absent from the register import.', this.options.field);
        this.changes.push({ action: 'close', registrationNumber: org.registrationNumber!, name: org.name, line: null });
      } catch (error) {
        if (!(error instanceof ProblemsFound)) throw error;
        for (const e of error.problems) this.fail(e.code, null, null, `${org.registrationNumber} (${org.name}): ${e.message}`);
      }
    }
  }

  /** Every organisation created lies in the actor's domain (one statement per batch, not one per row). */
  private async checkInDomain(ids: string[]): Promise<void> {
    for (let i = 0; i < ids.length; i += CHUNK) {
      const outside = await execute<{ registration_number: string }>(
        this.tx,
        sql`select o.registration_number from organisations o where o.id in (${ids.slice(i, i + CHUNK)}) and not ${this.actor.policy.administeredOrganisations('o')}`,
      );
      for (const o of outside) this.fail(ProblemCode.NOT_ELIGIBLE, null, null, `${o.registration_number} would lie outside your domain.`);
    }
  }
}
