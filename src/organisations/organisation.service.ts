import { audit } from '../audit/audit.service.js';
import type { Actor } from '../auth/actor.js';
import type { Policy } from '../auth/policy.js';
import type { Em } from '../db/orm.js';
import { uuidv7 } from '../db/ids.js';
import { execute, Sql, sql } from '../db/sql.js';
import { AccessDenied, ProblemCode } from '../domain/errors.js';
import { idOfType } from '../domain/global-id.js';
import { Problems } from '../domain/problems.js';
import { lockTarget } from '../domain/target.js';
import { Organisation, OrganisationKind } from './organisation.entity.js';
import { OrganisationRepository } from './organisation.repository.js';

/** What the tree operations need of an organisation: an entity, or a row read for an import. */
export interface TreeNode {
  id: string;
  kind: OrganisationKind;
  path: string;
  depth: number;
  parentId: string | null;
  legalEntityId: string | null;
}

export function treeNodeOf(org: Organisation | TreeNode): TreeNode {
  if (!(org instanceof Organisation)) return org;
  return { id: org.id, kind: org.kind, path: org.path, depth: org.depth, parentId: org.parent?.id ?? null, legalEntityId: org.legalEntity?.id ?? null };
}

/** A tree node from a row of `organisations` (snake_case columns). */
export function treeNodeOfRow(row: { id: string; kind: string; path: string; depth: number; parent_id: string | null; legal_entity_id: string | null }): TreeNode {
  return { id: row.id, kind: row.kind as OrganisationKind, path: row.path, depth: Number(row.depth), parentId: row.parent_id, legalEntityId: row.legal_entity_id };
}

export interface NewOrganisation {
  kind: OrganisationKind;
  name: string;
  registrationNumber: string | null;
  parent: Organisation | TreeNode | null;
}

/** Creates an organisation with its materialized path; the caller's transaction persists it. */
export function createOrganisation(em: Em, input: NewOrganisation): Organisation {
  const id = uuidv7();
  const parent = input.parent ? treeNodeOf(input.parent) : null;
  return em.create(Organisation, {
    id,
    kind: input.kind,
    name: input.name,
    registrationNumber: input.registrationNumber,
    parent: parent ? em.getReference(Organisation, parent.id) : null,
    legalEntity: input.kind === OrganisationKind.UNIT && parent ? legalEntityOf(parent) : id,
    path: `${parent?.path ?? ''}${id}/`,
    depth: parent ? parent.depth + 1 : 0,
  });
}

/** The legal entity an organisation belongs to: itself unless it is a unit. */
function legalEntityOf(node: TreeNode): string {
  return node.kind === OrganisationKind.UNIT ? (node.legalEntityId ?? node.id) : node.id;
}

/** The organisation with this id if the viewer may see it (Policy.readableOrganisations), else null. */
export async function findVisibleOrganisation(em: Em, policy: Policy, id: string): Promise<Organisation | null> {
  const [found] = await new OrganisationRepository(em, policy).findVisible([id]);
  return found ?? null;
}

/** Why an organisation cannot take something new (a unit, a person, an order): it is closed. */
export function refuseIfClosed(org: { closedAt?: Date | null }, field: string[]): void {
  if (org.closedAt) throw Problems.single(ProblemCode.ORGANISATION_CLOSED, field, 'The organisation is closed.');
}

export const NAME_MAX = 200;
export const REGISTRATION_NUMBER_MAX = 32;
const REGISTRATION_NUMBER = /^[0-9A-Za-z][0-9A-Za-z -]*$/;
/** People named in a refused close; the rest are counted. */
const NAMED_PEOPLE = 5;

export interface OrganisationCreate {
  kind: OrganisationKind;
  name: string;
  registrationNumber?: string | null;
  /** Global id of the parent; none: a top-level organisation. */
  parentId?: string | null;
}

/**
 * The organisation tree, administered within scope: an issuer's administrators shape the units of the
 * organisations they administer (Policy.administeredOrganisations); a service's authority also adds,
 * moves and closes legal entities of the kinds its routine makes eligible. Every tree change takes one
 * lock (tree changes are rare, and a move's cycle test needs the tree still), writes its audit event and
 * runs in one transaction.
 */
export class OrganisationService {
  constructor(private readonly actor: Actor) {}

  async create(input: OrganisationCreate): Promise<Organisation> {
    this.actor.policy.requireUser();
    return this.actor.em.transactional(async (tx) => {
      await lockTree(tx);
      const org = await new OrganisationTree(tx, this.actor).create(input, ['input']);
      return org;
    });
  }

  async rename(globalId: string, name: string): Promise<Organisation> {
    this.actor.policy.requireUser();
    return this.actor.em.transactional(async (tx) => {
      await lockTree(tx);
      const tree = new OrganisationTree(tx, this.actor);
      const org = await tree.lockAdministered(globalId, 'Only an administrator of the organisation renames it.');
      const problems = new Problems();
      const trimmed = problems.text(name, ['input', 'name'], NAME_MAX);
      problems.throwIfAny();
      refuseIfClosed(org, ['id']);
      await tree.rename(org, trimmed);
      return org;
    });
  }

  async move(globalId: string, parentGlobalId: string | null): Promise<Organisation> {
    this.actor.policy.requireUser();
    return this.actor.em.transactional(async (tx) => {
      await lockTree(tx);
      const tree = new OrganisationTree(tx, this.actor);
      const org = await tree.lockAdministered(globalId, 'Only an administrator of the organisation moves it.');
      tree.refuseRoot(org, 'moves');
      refuseIfClosed(org, ['id']);
      const parent = parentGlobalId === null ? null : await tree.administeredParent(parentGlobalId, ['input', 'parentId']);
      await tree.move(org, parent, ['input', 'parentId']);
      await tx.refresh(org);
      return org;
    });
  }

  async close(globalId: string, reason: string | null): Promise<Organisation> {
    this.actor.policy.requireUser();
    return this.actor.em.transactional(async (tx) => {
      await lockTree(tx);
      const tree = new OrganisationTree(tx, this.actor);
      const org = await tree.lockAdministered(globalId, 'Only an administrator of the organisation closes it.');
      tree.refuseRoot(org, 'closes');
      if (org.closedAt) throw Problems.single(ProblemCode.INVALID_STATE, ['id'], 'The organisation is closed already.');
      await tree.close(org, reason?.trim() || null, ['id']);
      return org;
    });
  }
}

/** Serializes the changes of the tree across instances, for the rest of the transaction. */
export async function lockTree(tx: Em): Promise<void> {
  await execute(tx, sql`select pg_advisory_xact_lock(hashtext('organisation-tree'))`);
}

/**
 * The tree operations inside a transaction that already holds the tree lock: the GraphQL mutations run
 * one each, an import runs many in one transaction. Each writes its audit event.
 */
export class OrganisationTree {
  constructor(
    private readonly tx: Em,
    private readonly actor: Actor,
  ) {}

  private get policy(): Policy {
    return this.actor.policy;
  }

  /** The organisation, locked, if the actor administers it; visible but not administered is FORBIDDEN, else NOT_FOUND. */
  lockAdministered(globalId: string, forbiddenMessage: string): Promise<Organisation> {
    return lockTarget({
      globalId,
      type: 'Organisation',
      lock: (id) => this.findAdministered(id, true),
      visible: async (id) => (await findVisibleOrganisation(this.tx, this.policy, id)) !== null,
      what: 'organisation',
      forbiddenMessage,
    });
  }

  async findAdministered(id: string, forUpdate = false): Promise<Organisation | null> {
    const lock = forUpdate ? sql` for update of o` : sql``;
    const [row] = await execute<Record<string, unknown>>(this.tx, sql`select o.* from organisations o where o.id = ${id} and ${this.policy.administeredOrganisations('o')}${lock}`);
    return row ? this.tx.map(Organisation, row) : null;
  }

  /** A parent for a new or moved organisation: administered (else NOT_FOUND, as for an unknown id) and open. */
  async administeredParent(globalId: string, field: string[]): Promise<Organisation> {
    const id = idOfType(globalId, 'Organisation');
    const parent = id ? await this.findAdministered(id) : null;
    if (!parent) throw Problems.single(ProblemCode.NOT_FOUND, field, 'No organisation with this id in your domain.');
    refuseIfClosed(parent, field);
    return parent;
  }

  isRoot(org: { path: string }): boolean {
    return this.policy.administrationRoots().includes(org.path);
  }

  /** The organisations the actor's administration is rooted at are not moved or closed by them. */
  refuseRoot(org: Organisation, verb: string): void {
    if (this.isRoot(org)) {
      throw AccessDenied.forbidden(`Your administration is rooted at this organisation: its authority ${verb} it, not you.`);
    }
  }

  /**
   * Checks a new organisation's fields; `parent` is resolved already (administered and open). Non-units
   * (legal entities) are the authority's: of a kind its routine makes eligible, with a registration number.
   */
  validateNew(input: { kind: OrganisationKind; name: string; registrationNumber?: string | null }, parent: TreeNode | Organisation | null, field: string[], problems: Problems): { name: string; registrationNumber: string | null } {
    const name = problems.text(input.name, [...field, 'name'], NAME_MAX);
    const registrationNumber = this.registrationNumber(input.registrationNumber, [...field, 'registrationNumber'], input.kind !== OrganisationKind.UNIT, problems);
    if (input.kind === OrganisationKind.UNIT) {
      if (!parent) problems.add(ProblemCode.REQUIRED, [...field, 'parentId'], 'A unit is created under an organisation.');
    } else if (!this.actor.viewer.administers.some((r) => r.authority && r.eligibleKinds.includes(input.kind))) {
      problems.add(ProblemCode.NOT_ELIGIBLE, [...field, 'kind'], `Only the authority of a service whose routine admits ${input.kind} organisations creates them.`);
    }
    return { name, registrationNumber };
  }

  registrationNumber(value: string | null | undefined, field: string[], required: boolean, problems: Problems): string | null {
    const trimmed = value?.trim() ?? '';
    if (!trimmed) {
      if (required) problems.add(ProblemCode.REQUIRED, field, 'A legal entity needs its national registration number.');
      return null;
    }
    if (trimmed.length > REGISTRATION_NUMBER_MAX || !REGISTRATION_NUMBER.test(trimmed)) {
      problems.add(ProblemCode.INVALID, field, `A registration number is letters, digits, spaces and hyphens, at most ${REGISTRATION_NUMBER_MAX} characters.`);
    }
    return trimmed;
  }

  /** The ids of legal entities (non-units) among `numbers`: a number names at most one. */
  async legalEntitiesNumbered(numbers: string[]): Promise<Map<string, string>> {
    if (numbers.length === 0) return new Map();
    const rows = await execute<{ id: string; registration_number: string }>(
      this.tx,
      sql`select id, registration_number from organisations where kind <> 'unit' and registration_number in (${numbers})`,
    );
    return new Map(rows.map((r) => [r.registration_number, r.id]));
  }

  async create(input: OrganisationCreate, field: string[]): Promise<Organisation> {
    const parent = input.parentId ? await this.administeredParent(input.parentId, [...field, 'parentId']) : null;
    const problems = new Problems();
    const { name, registrationNumber } = this.validateNew(input, parent, field, problems);
    problems.throwIfAny();
    if (registrationNumber && input.kind !== OrganisationKind.UNIT && (await this.legalEntitiesNumbered([registrationNumber])).size) {
      throw Problems.single(ProblemCode.DUPLICATE_REGISTRATION_NUMBER, [...field, 'registrationNumber'], 'Another organisation carries this registration number.');
    }
    const org = this.insert({ kind: input.kind, name, registrationNumber, parent });
    await this.tx.flush();
    if (!(await this.findAdministered(org.id))) {
      throw Problems.single(ProblemCode.NOT_ELIGIBLE, [...field, 'kind'], 'The new organisation would lie outside your domain.');
    }
    return org;
  }

  /** Adds an organisation and its audit event to the transaction (flushed by the caller). */
  insert(input: NewOrganisation): Organisation {
    const org = createOrganisation(this.tx, input);
    this.audit('organisation.create', org, null, { kind: org.kind, name: org.name, registrationNumber: org.registrationNumber, parentId: input.parent?.id ?? null });
    return org;
  }

  async rename(org: Organisation, name: string): Promise<void> {
    if (org.name === name) return;
    this.audit('organisation.rename', org, { name: org.name }, { name });
    org.name = name;
    await this.tx.flush();
  }

  /**
   * Moves the subtree of `org` under `parent` (null: to the top). One statement rewrites the path,
   * depth, parent and legal entity of every organisation in it; everything else derives from paths at
   * read time (scopes, issuer domains, report summaries keyed by employer), and the organisations
   * trigger tells every instance's viewer cache.
   */
  async move(target: Organisation | TreeNode, to: Organisation | TreeNode | null, field: string[]): Promise<boolean> {
    const org = treeNodeOf(target);
    const parent = to ? treeNodeOf(to) : null;
    if (org.parentId === (parent?.id ?? null)) return false;
    if (parent && parent.path.startsWith(org.path)) {
      throw Problems.single(ProblemCode.MOVE_INTO_OWN_SUBTREE, field, 'An organisation cannot move under itself or one of its own units.');
    }
    if (!parent && org.kind === OrganisationKind.UNIT) throw Problems.single(ProblemCode.REQUIRED, field, 'A unit stays under an organisation.');
    const oldPrefix = org.path.slice(0, org.path.length - org.id.length - 1);
    const newPrefix = parent?.path ?? '';
    const parentLegal = parent ? legalEntityOf(parent) : null;
    await execute(
      this.tx,
      sql`update organisations o set
        path = ${newPrefix}::text || substr(o.path, ${oldPrefix.length + 1}),
        depth = o.depth + ${(parent ? parent.depth + 1 : 0) - org.depth}::int,
        parent_id = case when o.id = ${org.id} then ${parent?.id ?? null}::uuid else o.parent_id end,
        legal_entity_id = case
          when o.kind <> 'unit' then o.id
          when exists (select 1 from organisations le where le.id = o.legal_entity_id and le.path like ${`${org.path}%`}) then o.legal_entity_id
          else ${parentLegal}::uuid end
        where o.path like ${`${org.path}%`}`,
    );
    if (!(await this.findAdministered(org.id))) {
      throw Problems.single(ProblemCode.NOT_FOUND, field, 'The organisation would leave your domain there.');
    }
    this.auditChange('organisation.move', org.id, { parentId: org.parentId, path: org.path }, { parentId: parent?.id ?? null, path: `${newPrefix}${org.id}/` });
    return true;
  }

  /** Closes an organisation no one and nothing depends on any more; otherwise answers who and what. */
  async close(org: Organisation, reason: string | null, field: string[]): Promise<void> {
    const [people] = await execute<{ n: number; names: string[] | null }>(
      this.tx,
      sql`select count(*)::int as n, (array_agg(u.given_name || ' ' || u.family_name order by u.family_name, u.given_name))[1:${NAMED_PEOPLE}] as names
        from users u where u.employer_id = ${org.id} and ${stillEmployed('u')}`,
    );
    const problems = new Problems();
    if (people.n > 0) {
      const named = (people.names ?? []).join(', ');
      const more = people.n > NAMED_PEOPLE ? ` and ${people.n - NAMED_PEOPLE} more` : '';
      problems.add(ProblemCode.ORGANISATION_HAS_PEOPLE, field, `${people.n} ${people.n === 1 ? 'person is' : 'people are'} still employed here (${named}${more}): move them or end their employment first.`);
    }
    const [use] = await execute<{ units: number; mandates: number; appointments: number; orders: number; grants: number }>(
      this.tx,
      sql`select
        (select count(*)::int from organisations c where c.parent_id = ${org.id} and c.closed_at is null) as units,
        (select count(*)::int from issuer_mandates m where m.organisation_id = ${org.id} and m.state = 'active' and (m.valid_to is null or m.valid_to > now())) as mandates,
        (select count(*)::int from orderer_appointments a where a.scope_id = ${org.id} and (a.state = 'requested' or (a.state = 'approved' and (a.valid_to is null or a.valid_to > now())))) as appointments,
        (select count(*)::int from orders x where x.scope_id = ${org.id} and x.state in ('submitted', 'returned')) as orders,
        (select count(*)::int from grants g where g.scope_id = ${org.id} and g.state in ('active', 'suspended')) as grants`,
    );
    const open = [
      [use.units, 'open units'],
      [use.mandates, 'issuer mandates'],
      [use.appointments, 'orderer appointments'],
      [use.orders, 'undecided orders'],
      [use.grants, 'grants in force'],
    ].filter(([n]) => Number(n) > 0);
    if (open.length) problems.add(ProblemCode.ORGANISATION_IN_USE, field, `Still depending on it: ${open.map(([n, what]) => `${n} ${what}`).join(', ')}. Close, end or move them first.`);
    problems.throwIfAny();
    org.closedAt = this.actor.now();
    this.audit('organisation.close', org, { closedAt: null }, { closedAt: org.closedAt.toISOString() }, reason);
    await this.tx.flush();
  }

  private audit(action: string, org: Organisation, before: Record<string, unknown> | null, after: Record<string, unknown>, reason: string | null = null): void {
    this.auditChange(action, org.id, before, after, reason);
  }

  /** The audit event of a change to organisation `id`, in this transaction. */
  auditChange(action: string, id: string, before: Record<string, unknown> | null, after: Record<string, unknown>, reason: string | null = null): void {
    audit(this.tx, this.actor.viewer, this.actor.requestId, { action, targetType: 'Organisation', targetId: id, organisationId: id, before, after, reason });
  }
}

/**
 * A person (alias u) still employed by their employer: no employment of theirs has ended, or one is
 * open or starts later (a rehire). Leavers stay recorded with their last employer.
 */
function stillEmployed(u: string): Sql {
  const id = Sql.raw(`${u}.id`);
  return sql`(not exists (select 1 from employments x where x.user_id = ${id} and x.valid_to <= now())
    or exists (select 1 from employments x where x.user_id = ${id} and (x.valid_to is null or x.valid_to > now())))`;
}
