import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { feedSettled } from '../support/feed.js';
import { startTestHub, type TestHub } from '../support/hub.js';
import { Api, gid, LIST_FIELD, rawId, TYPE_NAME, type Answer, type Data, type Paged } from './api.js';
import { opArb, worldArb, type ActorPick, type Op, type TargetPick } from './generators.js';
import { COLLECTIONS, SERVICES, type Actor, type Collection, type MClient, type MEvent, type Model, type Outcome, type OrgKind } from './model.js';
import { checkScimReads } from './scim.js';
import { adminRowsOf, auditCount, buildWorld, employmentEndsOf, eventsOf, loadModel, removeWorld, rowOf, type Snapshot, type WorldRows } from './world.js';

/**
 * Tenant isolation as a property: in random worlds (forests of organisations, people, grants,
 * mandates, administrators, orderer appointments) random callers do random reads and writes over
 * real HTTP, and every answer is checked against the reference model (./model.ts).
 *
 * Replay a failure with the seed and path it prints: ISOLATION_SEED=<seed> ISOLATION_PATH=<path>.
 * ISOLATION_RUNS sets the number of worlds; ISOLATION_TIME_LIMIT_MS bounds the whole run, shrinking included.
 * A full run (the default number of worlds or more, no path) must make at least MIN_REQUESTS API
 * requests: a run the time budget cut short fails instead of passing on less than it claims.
 */
const SEED = Number(process.env.ISOLATION_SEED ?? 20261122);
const PATH = process.env.ISOLATION_PATH || undefined;
const DEFAULT_RUNS = 150;
const RUNS = Number(process.env.ISOLATION_RUNS ?? DEFAULT_RUNS);
const MIN_REQUESTS = 10_000;
/**
 * Past this time budget, remaining worlds are not built (a slow machine runs fewer of them) and
 * shrinking stops: a failure found so far is still reported, shrunk as far as it got.
 */
// Alone, a full run takes about 170 s on this 2-core machine; beside the rest of the suite, twice that.
const TIME_LIMIT_MS = Number(process.env.ISOLATION_TIME_LIMIT_MS ?? 480_000);
/** Long sequences: writes pile up in a world, so later reads meet the state earlier writes made. */
const OPS_PER_WORLD = { minLength: 1, maxLength: 130, size: 'max' } as const;

const ORG_KINDS: OrgKind[] = ['authority', 'agency', 'municipality', 'region', 'coordination_association', 'supplier', 'unit'];
const GRANT_STATES = ['active', 'suspended', 'revoked', 'expired'] as const;
const APPOINTMENT_STATES = ['requested', 'approved', 'rejected', 'revoked'] as const;

const NODE = `query($id: ID!) { node(id: $id) { __typename id
  ... on Organisation { children(first: 100) { totalCount nodes { id } } }
  ... on User { grants(first: 100) { totalCount nodes { id } } } } }`;
const NODES = 'query($ids: [ID!]!) { nodes(ids: $ids) { __typename id } }';
const ENTITIES = `query($r: [_Any!]!) { _entities(representations: $r) { __typename
  ... on User { id } ... on Grant { id } ... on Organisation { id } ... on IssuerMandate { id } ... on OrdererAppointment { id } } }`;
const RESPONSIBLE = `query($id: ID!, $sus: ID!, $vias: ID!) { node(id: $id) { ... on User {
  sus: responsibleIssuer(service: $sus) { id } vias: responsibleIssuer(service: $vias) { id } } } }`;
const CONTACT = 'mutation($id: ID!, $phone: PhoneNumber) { result: userContactUpdate(id: $id, input: { phone: $phone }) { user { id phone } userErrors { code field message } } }';
const DECIDE = {
  approve: 'mutation($id: ID!) { result: ordererAppointmentApprove(id: $id, input: { reason: "isolation" }) { ordererAppointment { id state } userErrors { code field message } } }',
  reject: 'mutation($id: ID!) { result: ordererAppointmentReject(id: $id, input: { reason: "isolation" }) { ordererAppointment { id state } userErrors { code field message } } }',
  revoke: 'mutation($id: ID!) { result: ordererAppointmentRevoke(id: $id, input: { reason: "isolation" }) { ordererAppointment { id state } userErrors { code field message } } }',
};
// A future end date: the property checks who may set it; the end's consequences have their own tests.
const END_EMPLOYMENT = `mutation($id: ID!, $endDate: DateTime!) { result: userEmploymentEnd(id: $id, input: { endDate: $endDate, reason: "isolation" }) {
  user { id } employment { validTo } userErrors { code field message } } }`;
const UPDATE_MANDATE = `mutation($id: ID!, $phone: PhoneNumber) { result: issuerMandateUpdate(id: $id, input: { supportPhone: $phone, reason: "isolation" }) {
  issuerMandate { id supportContact { phone } } userErrors { code field message } } }`;
const FEED = 'query($after: String) { events(after: $after, first: 200) { edges { node { id } } endCursor hasNextPage } }';
const ACCESS = 'query($id: ID!) { accessCheck(person: { id: $id }) { person allowed grants { grant } } }';
const ORG_FIELDS = 'organisation { id } userErrors { code field message }';
const CREATE_ORG = `mutation($input: OrganisationCreateInput!) { result: organisationCreate(input: $input) { ${ORG_FIELDS} } }`;
const MOVE_ORG = `mutation($id: ID!, $parentId: ID) { result: organisationMove(id: $id, input: { parentId: $parentId }) { ${ORG_FIELDS} } }`;
const CLOSE_ORG = `mutation($id: ID!) { result: organisationClose(id: $id, input: { reason: "isolation" }) { ${ORG_FIELDS} } }`;
const USER_CREATE = `mutation($employer: ID!, $email: EmailAddress!) { result: userCreate(input: { givenName: "Iso", familyName: "Joiner", email: $email, employerId: $employer }) {
  user { id } userErrors { code field message } } }`;
// Dated now, so it applies at once: the property checks who may move whom where, and that scopes follow the move.
const MOVE = `mutation($id: ID!, $employer: ID!, $date: DateTime!) { result: userEmploymentMove(id: $id, input: { employerId: $employer, date: $date, reason: "isolation" }) {
  employment { validFrom } userErrors { code field message } } }`;
let joiners = 0;
const SUBSCRIBE = `mutation($url: String!) { result: webhookSubscriptionCreate(input: { url: $url, eventTypes: ["grant.activated"] }) {
  subscription { id } userErrors { code field message } } }`;
const SUBSCRIPTION = 'query($id: ID!) { node(id: $id) { __typename id ... on WebhookSubscription { url disabledAt } } }';
const WEBHOOK_TOGGLE = {
  disable: 'mutation($id: ID!) { result: webhookSubscriptionDisable(id: $id, input: { reason: "isolation" }) { subscription { id disabledAt } userErrors { code field message } } }',
  enable: 'mutation($id: ID!) { result: webhookSubscriptionEnable(id: $id, input: { reason: "isolation" }) { subscription { id disabledAt } userErrors { code field message } } }',
};
const END_MANDATE = 'mutation($id: ID!) { result: issuerMandateEnd(id: $id, input: { reason: "isolation" }) { issuerMandate { id state } userErrors { code field message } } }';

interface Target {
  /** The row id, or null when the global id names nothing of this type. */
  id: string | null;
  gid: string;
  label: string;
}
interface Filter {
  declaration: string;
  argument: string;
  variables: Data;
  keep: (id: string) => boolean;
  label: string;
}
type Payload = { userErrors: { code: string }[] } & Data;

const sorted = (ids: Iterable<string>) => [...ids].sort();
/**
 * A search by the start of some record's name, e-mail or registration number (readable or not), as the
 * console's pickers send it, upper-cased every other time; kept: the records one of whose fields starts with it.
 */
function searchFilter(records: Map<string, { searched: string[] }>, n: number, longest: number): Filter {
  const all = [...records.values()];
  const some = all[n % all.length];
  const field = some.searched[n % some.searched.length] || some.searched[0];
  const prefix = field.slice(0, 1 + (n % longest));
  const normal = prefix.trim().replace(/\s+/g, ' ');
  return {
    declaration: ', $q: String',
    argument: ', search: $q',
    variables: { q: n % 2 ? prefix.toUpperCase() : prefix },
    keep: (id) => records.get(id)!.searched.some((f) => f.startsWith(normal)),
    label: `, search: ${prefix}`,
  };
}
let phones = 0;
let registrationNumbers = 0;
/** How often each kind of step met each kind of case, printed at the end: what the run really covered. */
const coverage = new Map<string, number>();
const saw = (what: string) => coverage.set(what, (coverage.get(what) ?? 0) + 1);

/** One world: resolves the generated picks against the model, calls the hub, checks every answer. */
class WorldRun {
  readonly api: Api;
  readonly model: Model;
  private readonly mine: Record<Collection, string[]>;
  /** Each client's webhook subscription in this world (global id), and whether it is disabled now. */
  private readonly subscriptions = new Map<string, { gid: string; disabled: boolean }>();
  /** What the current step is doing, for the failure message. */
  step = '';

  constructor(
    private readonly hub: TestHub,
    private readonly snapshot: Snapshot,
    private readonly rows: WorldRows,
  ) {
    this.model = snapshot.model;
    this.api = new Api(hub, (id) => snapshot.subjects.get(id)!);
    this.mine = { users: rows.users, grants: rows.grants, organisations: rows.organisations, mandates: rows.mandates, appointments: rows.appointments };
  }

  // --- resolving picks --------------------------------------------------------------------

  actor(pick: ActorPick): Actor {
    if (pick.pool === 'anonymous' || pick.pool === 'unregistered') return { kind: pick.pool };
    const registered = [...this.model.users.keys()].filter((id) => this.snapshot.subjects.has(id));
    const holding = (kind: 'authority' | 'issuer' | 'orderer') => (id: string) =>
      kind === 'orderer' ? this.model.ordererScopes(id).length > 0 : this.model.roles(id).some((r) => r.authority === (kind === 'authority'));
    // Joiners added during the run have no sign-in: they are targets, never callers.
    const world = this.mine.users.filter((id) => this.snapshot.subjects.has(id));
    const pool = pick.pool === 'world' ? world : pick.pool === 'demo' ? registered.filter((id) => !this.mine.users.includes(id)) : registered.filter(holding(pick.pool));
    const from = pool.length ? pool : world;
    return { kind: 'user', id: from[pick.index % from.length], level: pick.level };
  }

  actorLabel(actor: Actor): string {
    return actor.kind === 'user' ? `${this.model.describe(actor.id)} at assurance ${actor.level}` : actor.kind;
  }

  /** An id to aim at; `scoped` says which ones the 'scoped' source prefers (what the actor may see or change). */
  target(of: Collection, pick: TargetPick, scoped: (id: string) => boolean): Target {
    const type = TYPE_NAME[of];
    const from = (ids: string[], source: string): Target | null =>
      ids.length ? { id: ids[pick.index % ids.length], gid: gid(type, ids[pick.index % ids.length]), label: `${source} ${type} ${ids[pick.index % ids.length]}` } : null;
    const missing: Target = { id: null, gid: gid(type, pick.uuid), label: `missing ${type} ${pick.uuid}` };
    switch (pick.source) {
      case 'missing':
        return missing;
      case 'wrongType': {
        const other = COLLECTIONS.filter((c) => c !== of)[pick.index % (COLLECTIONS.length - 1)];
        const ids = this.model.ids(other);
        if (!ids.length) return missing;
        const id = ids[pick.index % ids.length];
        return { id: null, gid: gid(type, id), label: `${other} id ${id} posing as ${type}` };
      }
      case 'scoped':
        return from(this.model.ids(of).filter(scoped), 'in-scope') ?? from(this.mine[of], 'world') ?? missing;
      case 'any':
        return from(this.model.ids(of), 'any') ?? missing;
      case 'world':
        return from(this.mine[of], 'world') ?? from(this.model.ids(of), 'any') ?? missing;
    }
  }

  private viewer(actor: Actor): string | null {
    return actor.kind === 'user' ? actor.id : null;
  }

  // --- reads --------------------------------------------------------------------------------

  async run(op: Op): Promise<void> {
    const actor = this.actor(op.actor);
    const by = this.actorLabel(actor);
    if (actor.kind !== 'user') saw(`actor ${actor.kind}`);
    else {
      const roles = this.model.roles(actor.id);
      saw(`actor ${[roles.some((r) => r.authority) && 'authority', roles.some((r) => !r.authority) && 'issuer', this.model.ordererScopes(actor.id).length && 'orderer'].filter(Boolean).join('+') || 'no role'}`);
    }
    switch (op.kind) {
      case 'node': {
        const t = this.target(op.of, op.target, (id) => this.canRead(actor, op.of, id));
        this.step = `node(${t.label}) by ${by}`;
        return this.node(actor, op.of, t);
      }
      case 'nodes': {
        const targets = op.targets.map(({ of, target }) => ({ of, t: this.target(of, target, (id) => this.canRead(actor, of, id)) }));
        this.step = `nodes([${targets.map((x) => x.t.label).join(', ')}]) by ${by}`;
        return this.nodes(actor, targets);
      }
      case 'entities': {
        const targets = op.targets.map(({ of, target, named }) => ({ of, named: named ?? of, t: this.target(of, target, (id) => this.canRead(actor, of, id)) }));
        this.step = `_entities([${targets.map((x) => `${TYPE_NAME[x.named]} ${x.t.label}`).join(', ')}]) by ${by}`;
        return this.entities(actor, targets);
      }
      case 'list': {
        const filter = this.filter(op.of, op.filter);
        this.step = `${LIST_FIELD[op.of]}(${op.backward ? 'last' : 'first'}: ${op.first}${filter.label}) paged through by ${by}`;
        return this.list(actor, op.of, op.first, op.backward, filter);
      }
      case 'responsible': {
        const t = this.target('users', op.target, (id) => this.canRead(actor, 'users', id));
        this.step = `responsibleIssuer of ${t.label} by ${by}`;
        return this.responsible(actor, t);
      }
      case 'contact': {
        const t = this.target('users', op.target, (id) => this.viewer(actor) !== null && this.model.canWriteUser(this.viewer(actor)!, id));
        this.step = `userContactUpdate(${t.label}) by ${by}`;
        return this.contact(actor, t, op.target.uuid);
      }
      case 'decide': {
        const t = this.target('appointments', op.target, (id) => {
          const a = this.model.appointments.get(id)!;
          return this.viewer(actor) !== null && this.model.administeredIn(this.viewer(actor)!, a.service, a.user);
        });
        this.step = `ordererAppointment ${op.action} (${t.label}${t.id ? `, ${this.model.appointments.get(t.id)!.state}` : ''}) by ${by}`;
        return this.decide(actor, t, op.action, op.target.uuid);
      }
      case 'endMandate': {
        const t = this.target('mandates', op.target, (id) => {
          const m = this.model.mandates.get(id)!;
          return this.viewer(actor) !== null && this.model.roles(this.viewer(actor)!).some((r) => r.authority && r.service === m.service);
        });
        this.step = `issuerMandateEnd(${t.label}${t.id ? `, ${this.model.mandates.get(t.id)!.state}` : ''}) by ${by}`;
        return this.endMandate(actor, t, op.target.uuid);
      }
      case 'updateMandate': {
        const t = this.target('mandates', op.target, (id) => {
          const m = this.model.mandates.get(id)!;
          return this.viewer(actor) !== null && this.model.roles(this.viewer(actor)!).some((r) => r.authority && r.service === m.service);
        });
        this.step = `issuerMandateUpdate(${t.label}${t.id ? `, ${this.model.mandates.get(t.id)!.state}` : ''}) by ${by}`;
        return this.updateMandate(actor, t, op.target.uuid);
      }
      case 'webhook': {
        const all = [...this.model.clients.values()].sort((a, b) => a.name.localeCompare(b.name));
        const v = this.viewer(actor);
        const theirs = v === null ? [] : all.filter((c) => this.model.administersClient(v, c));
        const clients = op.theirs && theirs.length ? theirs : all;
        const client = clients[op.client % clients.length];
        this.step = `webhook subscription ${op.action} of client ${client.name} (${client.service ?? `organisation ${client.org}`}) by ${by}`;
        return this.webhook(actor, client, op.action);
      }
      case 'createOrg': {
        const t = this.target('organisations', op.target, (id) => this.viewer(actor) !== null && this.model.administersOrg(this.viewer(actor)!, id));
        this.step = op.legal ? `organisationCreate(top-level ${op.legal}) by ${by}` : `organisationCreate(unit under ${t.label}) by ${by}`;
        return this.createOrg(actor, op.legal ? null : t, op.legal ?? 'unit', op.target.uuid);
      }
      case 'moveOrg': {
        const administered = (id: string) => this.viewer(actor) !== null && this.model.administersOrg(this.viewer(actor)!, id);
        const t = this.target('organisations', op.target, administered);
        const parent = this.target('organisations', op.parent, administered);
        this.step = `organisationMove(${t.label} under ${parent.label}) by ${by}`;
        return this.moveOrg(actor, t, parent, op.target.uuid);
      }
      case 'closeOrg': {
        const t = this.target('organisations', op.target, (id) => this.viewer(actor) !== null && this.model.administersOrg(this.viewer(actor)!, id));
        this.step = `organisationClose(${t.label}) by ${by}`;
        return this.closeOrg(actor, t, op.target.uuid);
      }
      case 'endEmployment': {
        const t = this.target('users', op.target, (id) => this.viewer(actor) !== null && this.viewer(actor) !== id && this.model.canWriteUser(this.viewer(actor)!, id));
        this.step = `userEmploymentEnd(${t.label}) by ${by}`;
        return this.endEmployment(actor, t, op.target.uuid);
      }
      case 'client': {
        const clients = [...this.model.clients.values()].sort((a, b) => a.name.localeCompare(b.name));
        const client = clients[op.client % clients.length];
        const t = this.target('users', op.target, (id) => this.model.accessCheck(client, id) !== null);
        this.step = `events and accessCheck(${t.label}) by client ${client.name} (${client.service ?? `organisation ${client.org}`})`;
        saw(`client ${client.service ? 'service' : 'organisation'}`);
        return this.clientViews(client, t);
      }
      case 'userCreate': {
        const e = this.target('organisations', op.employer, (id) => {
          const v = this.viewer(actor);
          return v !== null && this.model.roles(v).some((r) => this.model.employsAt(r, id));
        });
        this.step = `userCreate(at ${e.label}) by ${by}`;
        return this.userCreate(actor, e, op.employer.uuid);
      }
      case 'moveEmployment': {
        const t = this.target('users', op.target, (id) => this.viewer(actor) !== null && this.viewer(actor) !== id && this.model.canWriteUser(this.viewer(actor)!, id));
        const e = this.target('organisations', op.employer, (id) => this.viewer(actor) !== null && this.model.canReadOrganisation(this.viewer(actor)!, id));
        this.step = `userEmploymentMove(${t.label} to ${e.label}) by ${by}`;
        return this.moveEmployment(actor, t, e, op.target.uuid, op.employer.uuid);
      }
    }
  }

  /**
   * A client's feed holds exactly the stored events the model lets it see, and its access check
   * answers exactly the model's usable grants, null (as for a missing id) for anyone else.
   */
  /** Events written so far, each with the scope its subject had when it was written (the model's state then). */
  private readonly events = new Map<string, MEvent>();
  private lastSeq = '0';

  /** Stamps the events written since the last step; called after every step, when the model has applied it. */
  async stampEvents(): Promise<void> {
    for (const e of await eventsOf(this.hub, this.lastSeq)) {
      this.lastSeq = e.seq;
      if (!this.model.knowsSubject(e)) continue;
      const org = this.model.scopeOf(e);
      // A subject whose organisation the model does not hold (another world's, the demo's units) is scoped nowhere it checks.
      const scope = org && this.model.orgs.has(org) ? this.model.chain(org) : [];
      this.events.set(e.id, { id: e.id, subjectType: e.subjectType, subjectId: e.subjectId, scope, scopeBefore: this.before?.(e) ?? scope });
    }
    this.snapshotScopes();
  }

  /** Each known subject's scope as it is now, for the events the next step writes (copied: the model changes in place). */
  private before: ((e: MEvent) => string[] | null) | null = null;
  private snapshotScopes(): void {
    const parents = new Map([...this.model.orgs].map(([id, o]) => [id, o.parent]));
    const employers = new Map([...this.model.users].map(([id, u]) => [id, u.employer]));
    const holders = new Map([...this.model.grants].map(([id, g]) => [id, g.user]));
    const mandateOrgs = new Map([...this.model.mandates].map(([id, m]) => [id, m.org]));
    const chain = (org: string) => {
      const out: string[] = [];
      for (let cur: string | null | undefined = org; cur && parents.has(cur); cur = parents.get(cur)) out.push(cur);
      return out;
    };
    this.before = (e) => {
      const holder = holders.get(e.subjectId);
      const org =
        e.subjectType === 'Grant' ? (holder ? employers.get(holder) : undefined)
        : e.subjectType === 'User' ? employers.get(e.subjectId)
        : e.subjectType === 'Organisation' ? (parents.has(e.subjectId) ? e.subjectId : undefined)
        : e.subjectType === 'IssuerMandate' ? mandateOrgs.get(e.subjectId)
        : undefined;
      return org ? chain(org) : null;
    };
  }

  private async clientViews(client: MClient, t: Target): Promise<void> {
    const seen: string[] = [];
    let after: string | null = null;
    await feedSettled(this.hub);
    for (let page = 0; page < 100; page++) {
      const res: Answer<{ events: { edges: { node: { id: string } }[]; endCursor: string | null; hasNextPage: boolean } }> = await this.api.callAsClient(client.name, FEED, { after });
      expect(res.errors, this.step).toBeUndefined();
      seen.push(...res.data!.events.edges.map((e) => e.node.id));
      if (!res.data!.events.hasNextPage) break;
      after = res.data!.events.endCursor;
    }
    await this.stampEvents();
    const known = new Map([...this.events.values()].filter((e) => this.model.knowsSubject(e)).map((e) => [e.id, e]));
    // Exact: an event of a step that moved its subject is the client's if the subject was in its subtree before or after.
    const expected = sorted([...known.values()].filter((e) => this.model.clientSees(client, e)).map((e) => e.id));
    const allowed = new Set(expected);
    expect(new Set(seen).size, `${this.step}: no event twice`).toBe(seen.length);
    const got = sorted(seen.filter((id) => known.has(id)));
    if (got.some((id) => !allowed.has(id)) || expected.some((id) => !got.includes(id))) {
      const describe = (id: string) => {
        const e = known.get(id)!;
        return `${e.subjectType} ${e.subjectId} scope then ${e.scope?.join('<') ?? '?'} (before its step ${e.scopeBefore?.join('<') ?? '?'})`;
      };
      const extra = got.filter((id) => !allowed.has(id)).map(describe);
      const lacking = expected.filter((id) => !got.includes(id)).map(describe);
      const detail = `client at ${this.model.chain(client.org ?? '').join('<')}; extra: ${extra.join('; ') || 'none'}; lacking: ${lacking.join('; ') || 'none'}`;
      expect({ extra, lacking }, `${this.step}: the feed holds what the model lets the client see (${detail})`).toEqual({ extra: [], lacking: [] });
    }
    saw(expected.length ? 'client feed with events' : 'client feed empty');

    const res = await this.api.callAsClient<{ accessCheck: { grants: { grant: string }[] } | null }>(client.name, ACCESS, { id: t.gid });
    if (client.service === null) {
      expect(res.errors?.[0]?.extensions, `${this.step}: an organisation's client checks no access`).toMatchObject({ code: 'FORBIDDEN', reason: 'CLIENT_ONLY' });
      return;
    }
    const want = this.model.accessCheck(client, t.id);
    if (want === null) {
      const missing = await this.api.callAsClient(client.name, ACCESS, { id: gid('User', '00000000-0000-7000-8000-000000000000') });
      expect(res, `${this.step}: not a holder answers as an unknown person`).toMatchObject({ data: { accessCheck: null } });
      expect(res.data, this.step).toEqual(missing.data);
      saw('access check absent');
      return;
    }
    expect(sorted(res.data!.accessCheck!.grants.map((g) => rawId(g.grant))), `${this.step}: usable grants`).toEqual(want);
    saw(want.length ? 'access check allowed' : 'access check holder without usable grant');
  }

  private canRead(actor: Actor, of: Collection, id: string | null): boolean {
    return actor.kind === 'user' && id !== null && this.model.canRead(actor.id, of, id);
  }

  /** node(id:) answers the object exactly when the model lets the actor read it, and null otherwise. */
  private async node(actor: Actor, of: Collection, t: Target): Promise<void> {
    const res = await this.api.call<{ node: ({ __typename: string; id: string } & Data) | null }>(actor, NODE, { id: t.gid });
    expect(res.errors, this.step).toBeUndefined();
    const node = res.data!.node;
    saw(`node ${of} ${this.canRead(actor, of, t.id) ? 'visible' : 'hidden'}`);
    if (!this.canRead(actor, of, t.id)) {
      expect(node, `${this.step}: out of scope, must be null`).toBeNull();
      return;
    }
    expect(node, `${this.step}: in scope, must be returned`).toMatchObject({ __typename: TYPE_NAME[of], id: t.gid });
    const viewer = this.viewer(actor)!;
    if (of === 'organisations') {
      const children = node!.children as { totalCount: number; nodes: { id: string }[] };
      const expected = [...this.model.orgs.values()].filter((o) => o.parent === t.id && this.model.canReadOrganisation(viewer, o.id)).map((o) => o.id);
      expect(sorted(children.nodes.map((n) => rawId(n.id))), `${this.step}: Organisation.children`).toEqual(sorted(expected));
      expect(children.totalCount, `${this.step}: Organisation.children totalCount`).toBe(expected.length);
    }
    if (of === 'users') {
      const grants = node!.grants as { totalCount: number; nodes: { id: string }[] };
      const expected = [...this.model.grants.values()].filter((g) => g.user === t.id && this.model.canReadGrant(viewer, g.id)).map((g) => g.id);
      expect(sorted(grants.nodes.map((n) => rawId(n.id))), `${this.step}: User.grants`).toEqual(sorted(expected));
      expect(grants.totalCount, `${this.step}: User.grants totalCount`).toBe(expected.length);
    }
  }

  /** nodes(ids:) answers position by position what node(id:) would. */
  private async nodes(actor: Actor, targets: { of: Collection; t: Target }[]): Promise<void> {
    const res = await this.api.call<{ nodes: ({ __typename: string; id: string } | null)[] }>(actor, NODES, { ids: targets.map((x) => x.t.gid) });
    expect(res.errors, this.step).toBeUndefined();
    const expected = targets.map(({ of, t }) => (this.canRead(actor, of, t.id) ? { __typename: TYPE_NAME[of], id: t.gid } : null));
    expect(res.data!.nodes, this.step).toEqual(expected);
  }

  /**
   * _entities(representations:) answers position by position what node(id:) would, and null where a
   * representation names another type than its id's.
   */
  private async entities(actor: Actor, targets: { of: Collection; named: Collection; t: Target }[]): Promise<void> {
    const representations = targets.map(({ named, t }) => ({ __typename: TYPE_NAME[named], id: t.gid }));
    const res = await this.api.call<{ _entities: ({ __typename: string; id: string } | null)[] }>(actor, ENTITIES, { r: representations });
    expect(res.errors, this.step).toBeUndefined();
    const expected = targets.map(({ of, named, t }) => (named === of && this.canRead(actor, of, t.id) ? { __typename: TYPE_NAME[of], id: t.gid } : null));
    for (const { of, named, t } of targets) saw(`_entities ${of} ${named !== of ? 'other type' : this.canRead(actor, of, t.id) ? 'visible' : 'hidden'}`);
    expect(res.data!._entities, this.step).toEqual(expected);
  }

  /** A list's filter, chosen by a generated number (0: none); `keep` says which readable ids it keeps. */
  private filter(of: Collection, n: number): Filter {
    const none: Filter = { declaration: '', argument: '', variables: {}, keep: () => true, label: '' };
    if (n === 0) return none;
    const service = SERVICES[n % 2];
    const byService = (service_: (id: string) => string): Filter => ({
      declaration: ', $s: ID',
      argument: ', service: $s',
      variables: { s: gid('Service', this.snapshot.serviceIds[service]) },
      keep: (id) => service_(id) === service,
      label: `, service: ${service}`,
    });
    switch (of) {
      case 'users': {
        if (n % 3 === 0) {
          // A search by the start of some person's name or e-mail (readable or not), as the console's pickers send it.
          return searchFilter(this.model.users, n, 5);
        }
        const orgs = this.model.ids('organisations');
        const org = orgs[n % orgs.length];
        return {
          declaration: ', $o: ID',
          argument: ', organisation: $o',
          variables: { o: gid('Organisation', org) },
          keep: (id) => this.model.within(this.model.users.get(id)!.employer, org),
          label: `, organisation: ${org}`,
        };
      }
      case 'grants': {
        if (n % 4 < 2) return byService((id) => this.model.grants.get(id)!.service);
        const state = GRANT_STATES[n % GRANT_STATES.length];
        return { declaration: ', $st: GrantState', argument: ', state: $st', variables: { st: state.toUpperCase() }, keep: (id) => this.model.grants.get(id)!.state === state, label: `, state: ${state}` };
      }
      case 'organisations': {
        if (n % 3 === 0) {
          // A search by the start of some organisation's name or registration number (readable or not).
          return searchFilter(this.model.orgs, n, 6);
        }
        const kind = ORG_KINDS[n % ORG_KINDS.length];
        return { declaration: ', $k: OrganisationKind', argument: ', kind: $k', variables: { k: kind.toUpperCase() }, keep: (id) => this.model.orgs.get(id)!.kind === kind, label: `, kind: ${kind}` };
      }
      case 'mandates': {
        if (n % 4 < 2) return byService((id) => this.model.mandates.get(id)!.service);
        return { declaration: '', argument: ', activeOnly: true', variables: {}, keep: (id) => this.model.mandateInForce(this.model.mandates.get(id)!), label: ', activeOnly: true' };
      }
      case 'appointments': {
        if (n % 4 < 2) return byService((id) => this.model.appointments.get(id)!.service);
        const state = APPOINTMENT_STATES[n % APPOINTMENT_STATES.length];
        return {
          declaration: ', $st: AppointmentState',
          argument: ', state: $st',
          variables: { st: state.toUpperCase() },
          keep: (id) => this.model.appointments.get(id)!.state === state,
          label: `, state: ${state}`,
        };
      }
    }
  }

  /**
   * Paging through a list returns exactly the readable objects (the filter applied), each once, in
   * full pages, with a totalCount equal to what paging returned; and node(id:) agrees with the list.
   */
  private async list(actor: Actor, of: Collection, size: number, backward: boolean, filter: Filter): Promise<void> {
    const result = await this.api.pageThrough(actor, of, size, backward, filter);
    if (actor.kind !== 'user') return this.refusedRead(actor, result as Answer);
    const paged = result as Paged;
    const viewer = actor.id;
    // A users(organisation:) filter naming an organisation the viewer cannot see filters to nothing.
    const orgFilter = of === 'users' && filter.variables.o ? rawId(filter.variables.o as string) : null;
    const expected = new Set(orgFilter && !this.model.canReadOrganisation(viewer, orgFilter) ? [] : [...this.model.readable(viewer, of)].filter(filter.keep));
    const listed = new Set(paged.ids);
    saw(`list ${of} ${paged.pageSizes.length > 1 ? 'several pages' : 'one page'}${filter.label.startsWith(', search') ? ' searched' : filter.label ? ' filtered' : ''}`);

    expect(paged.ids.length, `${this.step}: an item came twice (pages ${JSON.stringify(paged.pageSizes)})`).toBe(listed.size);
    const leaked = paged.ids.filter((id) => !expected.has(id));
    const hidden = [...expected].filter((id) => !listed.has(id));
    expect({ leaked, hidden }, `${this.step}: listed objects must be exactly the readable ones: ${JSON.stringify({ leaked: leaked.map((id) => this.model.explain(of, id)), hidden: hidden.map((id) => this.model.explain(of, id)) })}`).toEqual({ leaked: [], hidden: [] });
    for (const total of paged.totals) expect(total, `${this.step}: totalCount on every page = items paging returns`).toBe(paged.ids.length);
    paged.pageSizes.slice(0, -1).forEach((n) => expect(n, `${this.step}: a page before the end must be full`).toBe(size));
    expect(paged.more.at(-1), this.step).toBe(false);

    // Every listed object passes node(id:); objects of the type left out pass it only when a filter dropped them.
    const readable = this.model.readable(viewer, of);
    const out = this.model.ids(of).filter((id) => !listed.has(id));
    const probe = [...paged.ids.slice(0, 12), ...out.slice(0, 8)];
    if (probe.length === 0) return;
    const res = await this.api.call<{ nodes: ({ id: string } | null)[] }>(actor, NODES, { ids: probe.map((id) => gid(TYPE_NAME[of], id)) });
    expect(
      res.data!.nodes.map((n) => n !== null),
      `${this.step}: node(id:) of listed objects and of objects left out (${probe.join(', ')})`,
    ).toEqual(probe.map((id) => readable.has(id)));
  }

  /** Lists refuse callers who are not registered users, revealing nothing. */
  private refusedRead(actor: Actor, res: Answer): void {
    expect(res.data ?? null, `${this.step}: no data for ${actor.kind}`).toBeNull();
    expect(res.errors?.[0]?.extensions?.code, this.step).toBe(actor.kind === 'anonymous' ? 'UNAUTHENTICATED' : 'FORBIDDEN');
    if (actor.kind === 'unregistered') expect(res.errors?.[0]?.extensions?.reason, this.step).toBe('NOT_REGISTERED');
  }

  /** The responsible issuer of a readable person, for both services, is the model's. */
  private async responsible(actor: Actor, t: Target): Promise<void> {
    const res = await this.api.call<{ node: { sus: { id: string } | null; vias: { id: string } | null } | null }>(actor, RESPONSIBLE, {
      id: t.gid,
      sus: gid('Service', this.snapshot.serviceIds.SUS),
      vias: gid('Service', this.snapshot.serviceIds.VIAS),
    });
    expect(res.errors, this.step).toBeUndefined();
    saw(`responsibleIssuer ${this.canRead(actor, 'users', t.id) ? 'visible' : 'hidden'}`);
    if (!this.canRead(actor, 'users', t.id)) {
      expect(res.data!.node, `${this.step}: out of scope, must be null`).toBeNull();
      return;
    }
    expect(res.data!.node, this.step).toEqual({
      sus: { id: gid('Organisation', this.model.responsibleIssuer(t.id!, 'SUS')) },
      vias: { id: gid('Organisation', this.model.responsibleIssuer(t.id!, 'VIAS')) },
    });
  }

  // --- writes -------------------------------------------------------------------------------

  private async contact(actor: Actor, t: Target, missing: string): Promise<void> {
    // A number never used before, so that an allowed change always changes something.
    const phone = `+46 70 ${String(++phones).padStart(6, '0')}`;
    const outcome = this.model.contactUpdate(actor, t.id);
    saw(`userContactUpdate ${outcome.kind}`);
    const before = t.id ? await rowOf(this.hub, 'users', t.id) : null;
    const events = await auditCount(this.hub);
    const res = await this.api.call<{ result: Payload | null }>(actor, CONTACT, { id: t.gid, phone });
    if (outcome.kind === 'ok') {
      expect(res.data?.result, `${this.step}: in scope, must succeed`).toEqual({ user: { id: t.gid, phone }, userErrors: [] });
      const after = await rowOf(this.hub, 'users', t.id!);
      expect(after, `${this.step}: only the phone changes`).toEqual({ ...before, phone, updated_at: after!.updated_at });
      expect(await auditCount(this.hub), `${this.step}: one audit event`).toBe(events + 1);
      return;
    }
    await this.refusedWrite(outcome, actor, res, CONTACT, { id: gid('User', missing), phone });
    if (t.id) expect(await rowOf(this.hub, 'users', t.id), `${this.step}: the user must not change`).toEqual(before);
    expect(await auditCount(this.hub), `${this.step}: no audit event`).toBe(events);
  }

  private async decide(actor: Actor, t: Target, action: 'approve' | 'reject' | 'revoke', missing: string): Promise<void> {
    const outcome = this.model.appointmentDecision(actor, t.id, action);
    saw(`ordererAppointment ${action} ${outcome.kind === 'user-error' ? outcome.code : outcome.kind}`);
    const before = t.id ? await rowOf(this.hub, 'orderer_appointments', t.id) : null;
    const events = await auditCount(this.hub);
    const res = await this.api.call<{ result: Payload | null }>(actor, DECIDE[action], { id: t.gid });
    if (outcome.kind === 'ok') {
      const state = { approve: 'approved', reject: 'rejected', revoke: 'revoked' }[action];
      expect(res.data?.result, `${this.step}: in scope, must succeed`).toEqual({ ordererAppointment: { id: t.gid, state: state.toUpperCase() }, userErrors: [] });
      const after = (await rowOf(this.hub, 'orderer_appointments', t.id!))!;
      const by = (actor as { id: string }).id;
      const changed =
        action === 'revoke'
          ? { state, revoked_by_id: by, revoked_at: after.revoked_at, revoke_reason: 'isolation', valid_to: after.valid_to }
          : { state, decided_by_id: by, decided_at: after.decided_at, decision_reason: 'isolation' };
      expect(after, `${this.step}: the decision is recorded and nothing else changes`).toEqual({ ...before, ...changed });
      if (action === 'revoke') expect(Date.parse(after.valid_to as string), `${this.step}: ends now at the latest`).toBeLessThanOrEqual(Date.now());
      expect(await auditCount(this.hub), `${this.step}: one audit event`).toBe(events + 1);
      this.model.applyAppointmentDecision(t.id!, action, after.valid_to ? Date.parse(after.valid_to as string) : Date.now());
      return;
    }
    await this.refusedWrite(outcome, actor, res, DECIDE[action], { id: gid('OrdererAppointment', missing) });
    if (t.id) expect(await rowOf(this.hub, 'orderer_appointments', t.id), `${this.step}: the appointment must not change`).toEqual(before);
    expect(await auditCount(this.hub), `${this.step}: no audit event`).toBe(events);
  }

  private async endEmployment(actor: Actor, t: Target, missing: string): Promise<void> {
    const outcome = this.model.employmentEnd(actor, t.id);
    saw(`userEmploymentEnd ${outcome.kind === 'user-error' ? outcome.code : outcome.kind}`);
    const endDate = new Date(Date.now() + 30 * 86_400_000).toISOString();
    const before = t.id ? await rowOf(this.hub, 'users', t.id) : null;
    const ends = async () => (t.id ? await employmentEndsOf(this.hub, t.id) : 0);
    const endsBefore = await ends();
    const events = await auditCount(this.hub);
    const res = await this.api.call<{ result: Payload | null }>(actor, END_EMPLOYMENT, { id: t.gid, endDate });
    if (outcome.kind === 'ok') {
      expect(res.data?.result, `${this.step}: in scope, must succeed`).toEqual({ user: { id: t.gid }, employment: { validTo: endDate }, userErrors: [] });
      expect(await ends(), `${this.step}: one end date recorded`).toBe(endsBefore + 1);
      expect(await auditCount(this.hub), `${this.step}: one audit event`).toBe(events + 1);
      this.model.applyEmploymentEndScheduled(t.id!);
      return;
    }
    await this.refusedWrite(outcome, actor, res, END_EMPLOYMENT, { id: gid('User', missing), endDate });
    if (t.id) expect(await rowOf(this.hub, 'users', t.id), `${this.step}: the user must not change`).toEqual(before);
    expect(await ends(), `${this.step}: no end date recorded`).toBe(endsBefore);
    expect(await auditCount(this.hub), `${this.step}: no audit event`).toBe(events);
  }

  private async updateMandate(actor: Actor, t: Target, missing: string): Promise<void> {
    const outcome = this.model.mandateUpdate(actor, t.id);
    saw(`issuerMandateUpdate ${outcome.kind === 'user-error' ? outcome.code : outcome.kind}`);
    const before = t.id ? await rowOf(this.hub, 'issuer_mandates', t.id) : null;
    const events = await auditCount(this.hub);
    const phone = `+46 10 ${String(++phones).padStart(6, '0')}`;
    const res = await this.api.call<{ result: Payload | null }>(actor, UPDATE_MANDATE, { id: t.gid, phone });
    if (outcome.kind === 'ok') {
      const stored = (res.data?.result as { issuerMandate: { supportContact: { phone: string } } } | null)?.issuerMandate.supportContact.phone;
      expect(res.data?.result?.userErrors, `${this.step}: in scope, must succeed`).toEqual([]);
      const after = (await rowOf(this.hub, 'issuer_mandates', t.id!))!;
      expect(after, `${this.step}: only the support phone changes`).toEqual({ ...before, support_phone: after.support_phone });
      expect(after.support_phone, `${this.step}: the phone answered is the one stored`).toBe(stored);
      expect(await auditCount(this.hub), `${this.step}: one audit event`).toBe(events + 1);
      return;
    }
    await this.refusedWrite(outcome, actor, res, UPDATE_MANDATE, { id: gid('IssuerMandate', missing), phone });
    if (t.id) expect(await rowOf(this.hub, 'issuer_mandates', t.id), `${this.step}: the mandate must not change`).toEqual(before);
    expect(await auditCount(this.hub), `${this.step}: no audit event`).toBe(events);
  }

  /** The client's subscription in this world, made by the client itself the first time it is needed. */
  private async subscriptionOf(client: MClient): Promise<{ gid: string; disabled: boolean }> {
    const known = this.subscriptions.get(client.id);
    if (known) return known;
    const res = await this.api.callAsClient<{ result: ({ subscription: { id: string } | null } & Payload) | null }>(client.name, SUBSCRIBE, { url: `https://hooks.isolation.invalid/${client.name}` });
    expect(res.data?.result?.userErrors, `${this.step}: the client subscribes`).toEqual([]);
    const made = { gid: res.data!.result!.subscription!.id, disabled: false };
    this.rows.subscriptions.push(rawId(made.gid));
    this.subscriptions.set(client.id, made);
    return made;
  }

  private async subscriptionRow(id: string): Promise<Record<string, unknown>> {
    const [row] = await this.hub.db.orm.em.getConnection().execute<Record<string, unknown>[]>('select * from webhook_subscriptions where id = ?', [id]);
    return JSON.parse(JSON.stringify(row, (_key, value: unknown) => (typeof value === 'bigint' ? String(value) : value))) as Record<string, unknown>;
  }

  /**
   * A person reads a client's subscription (node) or stops / starts it: only the client's
   * administrators find it; to anyone else it answers as an id that does not exist, and nothing changes.
   */
  private async webhook(actor: Actor, client: MClient, action: 'read' | 'toggle'): Promise<void> {
    const sub = await this.subscriptionOf(client);
    const outcome = this.model.webhookManage(actor, client);
    saw(`webhook ${action} ${outcome.kind}`);
    const missing = gid('WebhookSubscription', '00000000-0000-7000-8000-000000000000');
    if (action === 'read') {
      const res = await this.api.call<{ node: { id: string; disabledAt: string | null } | null }>(actor, SUBSCRIPTION, { id: sub.gid });
      if (outcome.kind === 'ok') {
        expect(res.data?.node, `${this.step}: an administrator of the client reads its subscription`).toMatchObject({ id: sub.gid, url: `https://hooks.isolation.invalid/${client.name}` });
        expect(res.data!.node!.disabledAt !== null, `${this.step}: as disabled as the model says`).toBe(sub.disabled);
        return;
      }
      const absent = await this.api.call(actor, SUBSCRIPTION, { id: missing });
      expect({ data: res.data ?? null, errors: res.errors ?? null }, `${this.step}: answers as an id that does not exist`).toEqual({ data: absent.data ?? null, errors: absent.errors ?? null });
      return;
    }
    const query = sub.disabled ? WEBHOOK_TOGGLE.enable : WEBHOOK_TOGGLE.disable;
    const id = rawId(sub.gid);
    const before = await this.subscriptionRow(id);
    const events = await auditCount(this.hub);
    const res = await this.api.call<{ result: Payload | null }>(actor, query, { id: sub.gid });
    if (outcome.kind === 'ok') {
      expect(res.data?.result?.userErrors, `${this.step}: an administrator of the client may`).toEqual([]);
      sub.disabled = !sub.disabled;
      expect((await this.subscriptionRow(id)).disabled_at !== null, `${this.step}: stored`).toBe(sub.disabled);
      expect(await auditCount(this.hub), `${this.step}: one audit event`).toBe(events + 1);
      return;
    }
    await this.refusedWrite(outcome, actor, res, query, { id: missing });
    expect(await this.subscriptionRow(id), `${this.step}: the subscription must not change`).toEqual(before);
    expect(await auditCount(this.hub), `${this.step}: no audit event`).toBe(events);
  }

  private async orgRows(): Promise<unknown> {
    return this.hub.db.orm.em.getConnection().execute('select id, name, kind, parent_id, legal_entity_id, path, depth, closed_at from organisations order by id');
  }

  private async createOrg(actor: Actor, parent: Target | null, kind: OrgKind, missing: string): Promise<void> {
    const outcome = this.model.orgCreate(actor, parent?.id ?? null, kind);
    saw(`organisationCreate ${kind === 'unit' ? 'unit' : 'legal entity'} ${outcome.kind === 'user-error' ? outcome.code : outcome.kind}`);
    const before = await this.orgRows();
    const events = await auditCount(this.hub);
    const registrationNumber = `ISO-${process.pid}-c${++registrationNumbers}`;
    const input = (parentId: string | null) =>
      kind === 'unit' ? { kind: 'UNIT', name: 'Isolation', parentId } : { kind: kind.toUpperCase(), name: 'Isolation', registrationNumber };
    const res = await this.api.call<{ result: ({ organisation: { id: string } | null } & Payload) | null }>(actor, CREATE_ORG, { input: input(parent?.gid ?? null) });
    if (outcome.kind === 'ok') {
      const created = res.data?.result?.organisation;
      expect(res.data?.result?.userErrors, `${this.step}: in scope, must succeed`).toEqual([]);
      const id = rawId(created!.id);
      this.mine.organisations.push(id);
      this.model.applyOrgCreate(id, parent?.id ?? null, kind, ['isolation', kind === 'unit' ? '' : registrationNumber.toLowerCase()]);
      expect(this.model.administersOrg((actor as { id: string }).id, id), `${this.step}: the new organisation lies in the creator's domain`).toBe(true);
      expect(await auditCount(this.hub), `${this.step}: one audit event`).toBe(events + 1);
      return;
    }
    await this.refusedWrite(outcome, actor, res, CREATE_ORG, { input: input(gid('Organisation', missing)) });
    expect(await this.orgRows(), `${this.step}: the tree must not change`).toEqual(before);
    expect(await auditCount(this.hub), `${this.step}: no audit event`).toBe(events);
  }

  /** Demo organisations outlive the world: a change the model allows on one is not made (the world could not undo it). */
  private demo(t: Target, outcome: Outcome): boolean {
    return t.id !== null && !this.mine.organisations.includes(t.id) && (outcome.kind === 'ok' || outcome.kind === 'user-error');
  }

  private async moveOrg(actor: Actor, t: Target, parent: Target, missing: string): Promise<void> {
    const outcome = this.model.orgMove(actor, t.id, parent.id);
    if (this.demo(t, outcome)) return void saw('organisationMove of a demo organisation skipped');
    saw(`organisationMove ${outcome.kind === 'user-error' ? outcome.code : outcome.kind}`);
    const before = await this.orgRows();
    const events = await auditCount(this.hub);
    const res = await this.api.call<{ result: Payload | null }>(actor, MOVE_ORG, { id: t.gid, parentId: parent.gid });
    if (outcome.kind === 'ok') {
      expect(res.data?.result, `${this.step}: in scope, must succeed`).toEqual({ organisation: { id: t.gid }, userErrors: [] });
      const moved = this.model.orgs.get(t.id!)!.parent !== parent.id;
      const [row] = await this.hub.db.orm.em.getConnection().execute<{ parent_id: string }[]>('select parent_id from organisations where id = ?', [t.id]);
      expect(row.parent_id, `${this.step}: under the new parent`).toBe(parent.id);
      expect(await auditCount(this.hub), `${this.step}: one audit event per move`).toBe(events + (moved ? 1 : 0));
      this.model.applyOrgMove(t.id!, parent.id!);
      await this.treeInvariants();
      return;
    }
    await this.refusedWrite(outcome, actor, res, MOVE_ORG, { id: gid('Organisation', missing), parentId: parent.gid });
    expect(await this.orgRows(), `${this.step}: the tree must not change`).toEqual(before);
    expect(await auditCount(this.hub), `${this.step}: no audit event`).toBe(events);
  }

  private async closeOrg(actor: Actor, t: Target, missing: string): Promise<void> {
    const outcome = this.model.orgClose(actor, t.id);
    if (this.demo(t, outcome)) return void saw('organisationClose of a demo organisation skipped');
    saw(`organisationClose ${outcome.kind === 'user-error' ? (outcome.codes ?? [outcome.code]).join('+') : outcome.kind}`);
    const before = await this.orgRows();
    const events = await auditCount(this.hub);
    const res = await this.api.call<{ result: Payload | null }>(actor, CLOSE_ORG, { id: t.gid });
    if (outcome.kind === 'ok') {
      expect(res.data?.result, `${this.step}: in scope, must succeed`).toEqual({ organisation: { id: t.gid }, userErrors: [] });
      expect(await auditCount(this.hub), `${this.step}: one audit event`).toBe(events + 1);
      this.model.applyOrgClose(t.id!);
      return;
    }
    await this.refusedWrite(outcome, actor, res, CLOSE_ORG, { id: gid('Organisation', missing) });
    expect(await this.orgRows(), `${this.step}: the tree must not change`).toEqual(before);
    expect(await auditCount(this.hub), `${this.step}: no audit event`).toBe(events);
  }

  /** After a move: every path, depth and legal entity is what the parents make it, for the whole tree. */
  private async treeInvariants(): Promise<void> {
    const broken = await this.hub.db.orm.em.getConnection().execute(`select o.id from organisations o left join organisations p on p.id = o.parent_id
      where o.path <> coalesce(p.path, '') || o.id || '/' or o.depth <> coalesce(p.depth + 1, 0)
        or o.legal_entity_id is distinct from case when o.kind <> 'unit' then o.id else coalesce(p.legal_entity_id, p.id) end`);
    expect(broken, `${this.step}: paths, depths and legal entities follow the parents`).toEqual([]);
  }

  private async userCreate(actor: Actor, e: Target, missing: string): Promise<void> {
    const outcome = this.model.userCreate(actor, e.id);
    saw(`userCreate ${outcome.kind}`);
    const email = `iso-joiner-${process.pid}-${++joiners}@iso.example`;
    const people = async () => Number((await this.hub.db.orm.em.getConnection().execute<{ n: number }[]>('select count(*)::int as n from users'))[0].n);
    const before = await people();
    const events = await auditCount(this.hub);
    const res = await this.api.call<{ result: (Payload & { user: { id: string } | null }) | null }>(actor, USER_CREATE, { employer: e.gid, email });
    if (outcome.kind === 'ok') {
      const result = res.data?.result;
      expect(result?.userErrors, `${this.step}: in scope, must succeed (${JSON.stringify(result?.userErrors)})`).toEqual([]);
      const id = rawId(result!.user!.id);
      this.mine.users.push(id);
      expect(await rowOf(this.hub, 'users', id), `${this.step}: employed where asked`).toMatchObject({ employer_id: e.id, email });
      expect(await auditCount(this.hub), `${this.step}: one audit event`).toBe(events + 1);
      this.model.applyUserCreate(id, e.id!, ['iso joiner', 'joiner', email]);
      return;
    }
    await this.refusedWrite(outcome, actor, res, USER_CREATE, { employer: gid('Organisation', missing), email });
    expect(await people(), `${this.step}: nobody added`).toBe(before);
    expect(await auditCount(this.hub), `${this.step}: no audit event`).toBe(events);
  }

  private async moveEmployment(actor: Actor, t: Target, e: Target, missingUser: string, missingOrg: string): Promise<void> {
    const verdict = this.model.employmentMove(actor, t.id, e.id);
    saw(`userEmploymentMove ${verdict.kind === 'user-error' ? verdict.code : verdict.kind}`);
    // The demo's people stay where they are: a world's organisations are removed after it.
    if (verdict.kind === 'ok' && !this.mine.users.includes(t.id!)) {
      saw('userEmploymentMove ok skipped (demo person)');
      return;
    }
    const date = new Date(Date.now() - 1).toISOString();
    const before = t.id ? await rowOf(this.hub, 'users', t.id) : null;
    const employments = async () => Number((await this.hub.db.orm.em.getConnection().execute<{ n: number }[]>('select count(*)::int as n from employments'))[0].n);
    const count = await employments();
    const events = await auditCount(this.hub);
    const res = await this.api.call<{ result: Payload | null }>(actor, MOVE, { id: t.gid, employer: e.gid, date });
    if (verdict.kind === 'ok') {
      expect(res.data?.result, `${this.step}: in scope, must succeed`).toEqual({ employment: { validFrom: date }, userErrors: [] });
      expect(await rowOf(this.hub, 'users', t.id!), `${this.step}: employed at the new employer at once`).toMatchObject({ employer_id: e.id });
      expect(await auditCount(this.hub), `${this.step}: audited`).toBeGreaterThan(events);
      this.model.applyMove(t.id!, e.id!, Date.parse(date));
      return;
    }
    if (verdict.kind === 'employer-not-found') {
      // An employer out of the mover's domain answers exactly as one that does not exist.
      const codes = res.data?.result?.userErrors.map((x) => x.code);
      expect(codes, `${this.step}: employer out of scope, must be NOT_FOUND`).toEqual(['NOT_FOUND']);
      const missing = await this.api.call(actor, MOVE, { id: t.gid, employer: gid('Organisation', missingOrg), date });
      expect({ status: res.status, data: res.data ?? null }, `${this.step}: as for an unknown employer`).toEqual({ status: missing.status, data: missing.data ?? null });
    } else {
      await this.refusedWrite(verdict, actor, res, MOVE, { id: gid('User', missingUser), employer: e.gid, date });
    }
    if (t.id) expect(await rowOf(this.hub, 'users', t.id), `${this.step}: the user must not change`).toEqual(before);
    expect(await employments(), `${this.step}: no employment recorded`).toBe(count);
    expect(await auditCount(this.hub), `${this.step}: no audit event`).toBe(events);
  }

  private async endMandate(actor: Actor, t: Target, missing: string): Promise<void> {
    const outcome = this.model.mandateEnd(actor, t.id);
    saw(`issuerMandateEnd ${outcome.kind === 'user-error' ? outcome.code : outcome.kind}`);
    const before = t.id ? await rowOf(this.hub, 'issuer_mandates', t.id) : null;
    const mandate = t.id ? this.model.mandates.get(t.id)! : null;
    const adminIds = mandate ? [...this.model.admins.values()].filter((a) => a.org === mandate.org && a.service === mandate.service).map((a) => a.id) : [];
    const adminsBefore = await adminRowsOf(this.hub, adminIds);
    const events = await auditCount(this.hub);
    const res = await this.api.call<{ result: Payload | null }>(actor, END_MANDATE, { id: t.gid });
    if (outcome.kind === 'ok') {
      expect(res.data?.result, `${this.step}: in scope, must succeed`).toEqual({ issuerMandate: { id: t.gid, state: 'ENDED' }, userErrors: [] });
      const after = (await rowOf(this.hub, 'issuer_mandates', t.id!))!;
      const validTo = Date.parse(after.valid_to as string);
      expect(validTo, `${this.step}: ends now at the latest`).toBeLessThanOrEqual(Date.now());
      expect(after, `${this.step}: the end is recorded and nothing else changes`).toEqual({
        ...before,
        state: 'ended',
        ended_at: after.ended_at,
        ended_by_id: (actor as { id: string }).id,
        end_reason: 'isolation',
        valid_to: after.valid_to,
      });
      const adminsAfter = await adminRowsOf(this.hub, adminIds);
      expect(adminsAfter.map((a) => a.state), `${this.step}: the organisation's administrators for the service lose their rights`).toEqual(adminIds.map(() => 'removed'));
      expect(await auditCount(this.hub), `${this.step}: one audit event`).toBe(events + 1);
      this.model.applyMandateEnd(t.id!, validTo);
      return;
    }
    await this.refusedWrite(outcome, actor, res, END_MANDATE, { id: gid('IssuerMandate', missing) });
    if (t.id) expect(await rowOf(this.hub, 'issuer_mandates', t.id), `${this.step}: the mandate must not change`).toEqual(before);
    expect(await adminRowsOf(this.hub, adminIds), `${this.step}: its administrators must not change`).toEqual(adminsBefore);
    expect(await auditCount(this.hub), `${this.step}: no audit event`).toBe(events);
  }

  /**
   * A refused write answers as the model says; when the target is out of the actor's sight (or the
   * actor is nobody), exactly as the same write on an id that does not exist.
   */
  private async refusedWrite(outcome: Outcome, actor: Actor, res: Answer<{ result: Payload | null }>, query: string, missingVariables: Data): Promise<void> {
    const codes = res.data?.result?.userErrors.map((e) => e.code);
    const error = res.errors?.[0]?.extensions;
    switch (outcome.kind) {
      case 'user-error':
        expect(codes, `${this.step}: expected ${(outcome.codes ?? [outcome.code]).join(', ')}`).toEqual(outcome.codes ?? [outcome.code]);
        return;
      case 'forbidden':
        expect({ code: error?.code, reason: error?.reason }, `${this.step}: visible but not theirs to change`).toEqual({ code: 'FORBIDDEN', reason: undefined });
        return;
      case 'step-up':
        expect({ code: error?.code, reason: error?.reason }, `${this.step}: in scope, needs a stronger sign-in`).toEqual({ code: 'FORBIDDEN', reason: 'STEP_UP_REQUIRED' });
        return;
      case 'not-found':
        expect(codes, `${this.step}: out of scope, must be NOT_FOUND`).toEqual(['NOT_FOUND']);
        break;
      case 'unauthenticated':
        expect(error?.code, this.step).toBe('UNAUTHENTICATED');
        break;
      case 'not-registered':
        expect({ code: error?.code, reason: error?.reason }, this.step).toEqual({ code: 'FORBIDDEN', reason: 'NOT_REGISTERED' });
        break;
      case 'ok':
        throw new Error('not a refusal');
    }
    const missing = await this.api.call(actor, query, missingVariables);
    const shape = (a: Answer<unknown>) => ({ status: a.status, data: a.data ?? null, errors: a.errors ?? null });
    expect(shape(res), `${this.step}: must answer exactly as for an id that does not exist`).toEqual(shape(missing));
  }
}

describe('tenant isolation, property-based', () => {
  let hub: TestHub;
  const totals = { worlds: 0, requests: 0, started: 0, skipped: 0 };

  beforeAll(async () => {
    hub = await startTestHub({ JOBS: 'false' });
    totals.started = Date.now();
  });
  afterAll(async () => {
    console.info(
      `isolation: ${totals.worlds} worlds, ${totals.requests} API requests (${Math.round(totals.requests / Math.max(totals.worlds, 1))} per world) in ${((Date.now() - totals.started) / 1000).toFixed(1)} s, seed ${SEED}`,
    );
    console.info([...coverage].sort().map(([what, n]) => `  ${what}: ${n}`).join('\n'));
    await hub?.close();
  });

  it('nothing outside scope is readable or writable; lists, node(), nodes(), _entities and totalCount agree; responsible issuers and writes match the model', async () => {
    const deadline = Date.now() + TIME_LIMIT_MS;
    const property = fc.asyncProperty(worldArb, fc.array(opArb, OPS_PER_WORLD), async (shape, ops) => {
      if (Date.now() > deadline) {
        totals.skipped++;
        return;
      }
      const rows = await buildWorld(hub, shape);
      try {
        const world = new WorldRun(hub, await loadModel(hub), rows);
        // SCIM: every client (the demo's and the world's organisation clients) reads exactly its scope.
        totals.requests += await checkScimReads(hub, world.model);
        await world.stampEvents();
        for (const [i, op] of ops.entries()) {
          try {
            await world.run(op);
            await world.stampEvents();
          } catch (error) {
            throw new Error(`step ${i + 1} of ${ops.length}: ${world.step}\n${(error as Error).message}`, { cause: error });
          }
        }
        // After the writes (leavers stay readable), the same again on a fresh model.
        totals.requests += await checkScimReads(hub, (await loadModel(hub)).model);
        totals.worlds++;
        totals.requests += world.api.requests;
      } finally {
        await removeWorld(hub, rows);
      }
    });
    // A path replays that one case; fast-check would otherwise go on from it to the end of the run.
    const details = await fc.check(property, { seed: SEED, path: PATH, numRuns: PATH ? 1 : RUNS });
    if (totals.skipped) console.warn(`isolation: time budget of ${TIME_LIMIT_MS} ms spent, ${totals.skipped} worlds or shrink steps skipped`);
    if (details.failed) {
      const replay = `ISOLATION_SEED=${details.seed}${details.counterexamplePath ? ` ISOLATION_PATH=${details.counterexamplePath}` : ''}`;
      console.error(`isolation property failed; replay with ${replay}`);
      const cause = details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance);
      throw new Error(`${replay}\n${cause}\n\n${fc.defaultReportMessage(details)}`);
    }
    if (!PATH && RUNS >= DEFAULT_RUNS) {
      expect(totals.requests, `a full run makes at least ${MIN_REQUESTS} API requests (${totals.skipped} worlds skipped past the time budget)`).toBeGreaterThanOrEqual(MIN_REQUESTS);
    }
  }, 600_000);
});
