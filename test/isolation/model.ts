/**
 * The reference model of who may see and do what: plain sets over plain rows, written from the rules
 * in DOMAIN.md and the isolation brief, never from src/auth/policy.ts. It imports nothing from src.
 *
 * Times are epoch milliseconds; "in force" means from <= now < to (no `to`: open-ended).
 */
export type Svc = 'SUS' | 'VIAS';
export const SERVICES: readonly Svc[] = ['SUS', 'VIAS'];
export type OrgKind = 'authority' | 'agency' | 'municipality' | 'region' | 'coordination_association' | 'supplier' | 'unit';
export type Level = 'low' | 'substantial' | 'high';

export interface MOrg {
  id: string;
  parent: string | null;
  kind: OrgKind;
  /** What a search of organisations matches the start of, lower-cased: name, registration number. */
  searched: string[];
  /** Closed (organisationClose): still readable, takes nothing new. */
  closed?: boolean;
}
export interface MPeriod {
  from: number;
  to: number | null;
}
export interface MUser {
  id: string;
  employer: string;
  placements: ({ org: string } & MPeriod)[];
  /** What a search of people matches the start of, lower-cased: "given family", family name, e-mail. */
  searched: string[];
  /** Their employment has an end date (set through userEmploymentEnd): another end is refused. */
  endScheduled?: boolean;
}
export type GrantState = 'active' | 'suspended' | 'revoked' | 'expired';
export interface MGrant {
  id: string;
  user: string;
  service: Svc;
  state: GrantState;
  /** The organisation the grant is scoped to. */
  scope?: string;
}
export interface MMandate extends MPeriod {
  id: string;
  org: string;
  service: Svc;
  state: 'active' | 'ended';
}
export interface MAdmin {
  id: string;
  user: string;
  org: string;
  service: Svc;
  state: 'active' | 'removed';
}
export type AppointmentState = 'requested' | 'approved' | 'rejected' | 'revoked';
export interface MAppointment extends MPeriod {
  id: string;
  user: string;
  scope: string;
  service: Svc;
  state: AppointmentState;
}

/** A machine client: acts for one service or for one organisation's subtree. */
export interface MClient {
  id: string;
  /** Its dev-issuer client_id. */
  name: string;
  service: Svc | null;
  org: string | null;
}
/** An event as the hub stored it: what it is about. */
export interface MEvent {
  id: string;
  subjectType: string;
  subjectId: string;
  /** The chain (organisation to root) the event's subject belonged to when it was written: its scope then. */
  scope?: string[];
  /** The same before the step that wrote it: an event of a move may be scoped by where its subject came from. */
  scopeBefore?: string[];
}

export interface ModelData {
  orgs: MOrg[];
  users: MUser[];
  grants: MGrant[];
  mandates: MMandate[];
  admins: MAdmin[];
  appointments: MAppointment[];
  clients?: MClient[];
  /** The authority organisation owning each service. */
  owners: Record<Svc, string>;
}

/** Kinds of legal entity whose staff may use a service under its general routine in force (SUS 2013, VIAS 2023). */
export const ELIGIBLE: Record<Svc, readonly OrgKind[]> = {
  SUS: ['agency', 'municipality', 'region', 'coordination_association'],
  VIAS: ['supplier'],
};

/** Assurance the routines demand for the sensitive writes exercised here (null: none); changing a mandate asks what granting it does. */
export const REQUIRED_LEVEL: Record<Svc, { appointmentDecide: Level | null; appointmentRevoke: Level | null; mandateEnd: Level; mandateChange: Level }> = {
  SUS: { appointmentDecide: 'substantial', appointmentRevoke: 'substantial', mandateEnd: 'high', mandateChange: 'high' },
  VIAS: { appointmentDecide: null, appointmentRevoke: null, mandateEnd: 'high', mandateChange: 'high' },
};
const RANK: Record<Level, number> = { low: 1, substantial: 2, high: 3 };
export const meets = (actual: Level, required: Level | null) => required === null || RANK[actual] >= RANK[required];

/** An administrator role in force: a person acting for an issuer of a service. */
export interface Role {
  service: Svc;
  issuer: string;
  authority: boolean;
}
/** An orderer appointment in force. */
export interface OrdererScope {
  service: Svc;
  scope: string;
}

/** Who is calling: a registered person at an assurance level, someone signed in but unregistered, or nobody. */
export type Actor = { kind: 'user'; id: string; level: Level } | { kind: 'unregistered' } | { kind: 'anonymous' };

/** What a write should answer. */
export type Outcome =
  | { kind: 'ok' }
  | { kind: 'unauthenticated' }
  | { kind: 'not-registered' }
  | { kind: 'not-found' }
  | { kind: 'forbidden' }
  | { kind: 'step-up' }
  | { kind: 'user-error'; code: UserErrorCode; codes?: UserErrorCode[] };

export type UserErrorCode =
  | 'INVALID_STATE'
  | 'SELF_DECISION'
  | 'CONFLICT'
  | 'NOT_FOUND'
  | 'NOT_ELIGIBLE'
  | 'ORGANISATION_CLOSED'
  | 'MOVE_INTO_OWN_SUBTREE'
  | 'ORGANISATION_HAS_PEOPLE'
  | 'ORGANISATION_IN_USE'
  | 'INVALID';

export type Collection = 'users' | 'grants' | 'organisations' | 'mandates' | 'appointments';
export const COLLECTIONS: readonly Collection[] = ['users', 'grants', 'organisations', 'mandates', 'appointments'];

export class Model {
  readonly orgs: Map<string, MOrg>;
  readonly users: Map<string, MUser>;
  readonly grants: Map<string, MGrant>;
  readonly mandates: Map<string, MMandate>;
  readonly admins: Map<string, MAdmin>;
  readonly appointments: Map<string, MAppointment>;
  readonly owners: Record<Svc, string>;
  readonly clients: Map<string, MClient>;

  constructor(
    data: ModelData,
    private readonly now: () => number = Date.now,
  ) {
    this.orgs = new Map(data.orgs.map((o) => [o.id, o]));
    this.users = new Map(data.users.map((u) => [u.id, u]));
    this.grants = new Map(data.grants.map((g) => [g.id, g]));
    this.mandates = new Map(data.mandates.map((m) => [m.id, m]));
    this.admins = new Map(data.admins.map((a) => [a.id, a]));
    this.appointments = new Map(data.appointments.map((a) => [a.id, a]));
    this.owners = data.owners;
    this.clients = new Map((data.clients ?? []).map((c) => [c.id, c]));
  }

  ids(of: Collection): string[] {
    const map = { users: this.users, grants: this.grants, organisations: this.orgs, mandates: this.mandates, appointments: this.appointments }[of];
    return [...map.keys()];
  }

  // --- the tree ---------------------------------------------------------------------------

  /** The organisation itself and every organisation above it, nearest first. */
  chain(org: string): string[] {
    const out: string[] = [];
    for (let cur: string | null = org; cur !== null; cur = this.orgs.get(cur)!.parent) out.push(cur);
    return out;
  }

  /** Whether `org` lies in the subtree of `top` (itself included). */
  within(org: string, top: string): boolean {
    return this.chain(org).includes(top);
  }

  /** The legal entity of an organisation: the nearest non-unit at or above it (the root when there is none). */
  legalEntity(org: string): string {
    const chain = this.chain(org);
    return chain.find((id) => this.orgs.get(id)!.kind !== 'unit') ?? chain[chain.length - 1];
  }

  /** The kind of the legal entity of an organisation: the nearest non-unit at or above it. */
  legalEntityKind(org: string): OrgKind {
    const entity = this.chain(org).find((id) => this.orgs.get(id)!.kind !== 'unit');
    return entity ? this.orgs.get(entity)!.kind : 'unit';
  }

  private inForce(p: MPeriod): boolean {
    const t = this.now();
    return p.from <= t && (p.to === null || t < p.to);
  }

  mandateInForce(m: MMandate): boolean {
    return m.state === 'active' && this.inForce(m);
  }

  // --- responsibility and roles ------------------------------------------------------------

  /** The holder of the deepest mandate in force over the person's employer, else the service's owner. */
  responsibleIssuer(person: string, service: Svc): string {
    return this.responsibleIssuerAt(this.users.get(person)!.employer, service);
  }

  /** The responsible issuer of anyone employed at an organisation. */
  responsibleIssuerAt(employer: string, service: Svc): string {
    const holders = new Set([...this.mandates.values()].filter((m) => m.service === service && this.mandateInForce(m)).map((m) => m.org));
    return this.chain(employer).find((org) => holders.has(org)) ?? this.owners[service];
  }

  /** Organisations that issue for a service now: its owner and the holders of mandates in force. */
  isIssuer(org: string, service: Svc): boolean {
    return org === this.owners[service] || [...this.mandates.values()].some((m) => m.org === org && m.service === service && this.mandateInForce(m));
  }

  roles(user: string): Role[] {
    const roles = new Map<string, Role>();
    for (const a of this.admins.values()) {
      if (a.user !== user || a.state !== 'active' || !this.isIssuer(a.org, a.service)) continue;
      roles.set(`${a.service}:${a.org}`, { service: a.service, issuer: a.org, authority: a.org === this.owners[a.service] });
    }
    return [...roles.values()];
  }

  ordererScopes(user: string): OrdererScope[] {
    return [...this.appointments.values()]
      .filter((a) => a.user === user && a.state === 'approved' && this.inForce(a))
      .map((a) => ({ service: a.service, scope: a.scope }));
  }

  /** Whether an administrator role administers a person: it is their responsible issuer, and an authority only for eligible staff. */
  administers(role: Role, person: string): boolean {
    return this.employsAt(role, this.users.get(person)!.employer);
  }

  /** Whether a role would administer people employed at an organisation: where it adds and ends them. */
  employsAt(role: Role, employer: string): boolean {
    if (this.responsibleIssuerAt(employer, role.service) !== role.issuer) return false;
    if (!role.authority) return true;
    return this.within(employer, this.owners[role.service]) || ELIGIBLE[role.service].includes(this.legalEntityKind(employer));
  }

  /**
   * Oversight: a service's authority reads everyone it would administer were there no mandate (its own
   * staff and those of eligible kinds), whichever mandate holder now decides for them. It reads only:
   * no write in this model is allowed by oversight.
   */
  oversees(role: Role, person: string): boolean {
    if (!role.authority) return false;
    const employer = this.users.get(person)!.employer;
    return this.within(employer, this.owners[role.service]) || ELIGIBLE[role.service].includes(this.legalEntityKind(employer));
  }

  administeredIn(viewer: string, service: Svc, person: string): boolean {
    return this.roles(viewer).some((r) => r.service === service && this.administers(r, person));
  }

  orderedIn(viewer: string, service: Svc, person: string): boolean {
    const employer = this.users.get(person)!.employer;
    // An orderer reads the grants of the service they order for, not every grant of the people in scope.
    return this.ordererScopes(viewer).some((o) => o.service === service && this.within(employer, o.scope));
  }

  // --- what a viewer may read ---------------------------------------------------------------

  canRead(viewer: string, of: Collection, id: string): boolean {
    switch (of) {
      case 'users':
        return this.canReadUser(viewer, id);
      case 'grants':
        return this.canReadGrant(viewer, id);
      case 'organisations':
        return this.canReadOrganisation(viewer, id);
      case 'mandates':
        return this.canReadMandate(viewer, id);
      case 'appointments':
        return this.canReadAppointment(viewer, id);
    }
  }

  readable(viewer: string, of: Collection): Set<string> {
    return new Set(this.ids(of).filter((id) => this.canRead(viewer, of, id)));
  }

  canReadUser(viewer: string, person: string): boolean {
    if (viewer === person) return true;
    if (this.roles(viewer).some((r) => this.administers(r, person) || this.oversees(r, person))) return true;
    const employer = this.users.get(person)!.employer;
    return this.ordererScopes(viewer).some((o) => this.within(employer, o.scope));
  }

  canReadGrant(viewer: string, id: string): boolean {
    const g = this.grants.get(id)!;
    if (this.roles(viewer).some((r) => r.service === g.service && this.oversees(r, g.user))) return true;
    return g.user === viewer || this.administeredIn(viewer, g.service, g.user) || this.orderedIn(viewer, g.service, g.user);
  }

  canReadOrganisation(viewer: string, org: string): boolean {
    const me = this.users.get(viewer)!;
    const workplaces = [me.employer, ...me.placements.filter((p) => this.inForce(p)).map((p) => p.org)];
    if (workplaces.some((w) => this.within(w, org))) return true;
    for (const r of this.roles(viewer)) {
      if (!r.authority && this.within(org, r.issuer)) return true;
      if (r.authority && (this.within(org, this.owners[r.service]) || ELIGIBLE[r.service].includes(this.legalEntityKind(org)))) return true;
    }
    return this.ordererScopes(viewer).some((o) => this.within(org, o.scope));
  }

  canReadMandate(viewer: string, id: string): boolean {
    const m = this.mandates.get(id)!;
    return this.roles(viewer).some((r) => r.service === m.service && (r.authority || this.within(m.org, r.issuer)));
  }

  canReadAppointment(viewer: string, id: string): boolean {
    const a = this.appointments.get(id)!;
    return a.user === viewer || this.administeredIn(viewer, a.service, a.user);
  }

  // --- what a machine client may see --------------------------------------------------------

  /** Whether the model knows an event's subject (events of removed worlds' rows are not its business). */
  knowsSubject(e: MEvent): boolean {
    const maps: Record<string, Map<string, unknown>> = { Grant: this.grants, User: this.users, Organisation: this.orgs, IssuerMandate: this.mandates };
    return maps[e.subjectType]?.has(e.subjectId) ?? false;
  }

  /** The organisation an event's subject belongs to now: a grant's holder's employer, a person's, a mandate holder. */
  scopeOf(e: MEvent): string | null {
    switch (e.subjectType) {
      case 'Grant':
        return this.users.get(this.grants.get(e.subjectId)!.user)!.employer;
      case 'User':
        return this.users.get(e.subjectId)!.employer;
      case 'Organisation':
        return e.subjectId;
      case 'IssuerMandate':
        return this.mandates.get(e.subjectId)!.org;
      default:
        return null;
    }
  }

  /** Whether a chain taken earlier lies under `top` as `top` sits now (a path-prefix test, as SQL does it). */
  wasWithin(chain: string[], top: string): boolean {
    const i = chain.indexOf(top);
    if (i < 0) return false;
    const now = this.chain(top);
    return chain.length - i === now.length && now.every((id, k) => chain[i + k] === id);
  }

  /** A person who holds or held a grant of the service: what its clients may ask about and hear of. */
  holds(person: string, service: Svc): boolean {
    return [...this.grants.values()].some((g) => g.user === person && g.service === service);
  }

  /**
   * A service's client hears of its service's grants and mandates and of its holders; an organisation's
   * client of what belongs to its subtree (grants by their holder's employer, people by theirs).
   */
  clientSees(c: MClient, e: MEvent): boolean {
    // An organisation's client hears of what was in its subtree when it happened (moves change no past
    // event): of a step that moved its subject (a mover, a moved unit), where it was before or after.
    const inSubtree = () => {
      const after = this.wasWithin(e.scope ?? this.chain(this.scopeOf(e)!), c.org!);
      const before = e.scopeBefore ? this.wasWithin(e.scopeBefore, c.org!) : after;
      return after || before;
    };
    switch (e.subjectType) {
      case 'Grant': {
        const g = this.grants.get(e.subjectId)!;
        return c.service !== null ? g.service === c.service : inSubtree();
      }
      case 'User':
        return c.service !== null ? this.holds(e.subjectId, c.service) : inSubtree();
      case 'Organisation':
        return c.service === null && inSubtree();
      case 'IssuerMandate': {
        const m = this.mandates.get(e.subjectId)!;
        return c.service !== null ? m.service === c.service : inSubtree();
      }
      default:
        return false;
    }
  }

  /** The access check's answer: null for anyone but a holder of the client's service, else their active grants of it. */
  accessCheck(c: MClient, person: string | null): string[] | null {
    if (c.service === null || person === null || !this.users.has(person) || !this.holds(person, c.service)) return null;
    return [...this.grants.values()].filter((g) => g.user === person && g.service === c.service && g.state === 'active').map((g) => g.id).sort();
  }

  // --- what a viewer may change, and what a write should answer ---------------------------

  /**
   * The people a machine client reads through SCIM: an organisation's client the people employed in
   * its subtree; a service's client everyone who holds or held a grant of the service (any state).
   */
  clientPeople(c: MClient): Set<string> {
    const people = [...this.users.values()];
    return new Set(people.filter((u) => (c.service !== null ? this.holds(u.id, c.service) : this.within(u.employer, c.org!))).map((u) => u.id));
  }

  canWriteUser(viewer: string, person: string): boolean {
    return viewer === person || this.roles(viewer).some((r) => this.administers(r, person));
  }

  private signedIn(actor: Actor): Outcome | string {
    if (actor.kind === 'anonymous') return { kind: 'unauthenticated' };
    if (actor.kind === 'unregistered') return { kind: 'not-registered' };
    return actor.id;
  }

  /**
   * Whether a person administers a machine client (Policy.administeredClients): the authority of the
   * service it acts for, or an administrator role of the organisation it acts for.
   */
  administersClient(user: string, c: MClient): boolean {
    return this.roles(user).some((r) => (r.authority && c.service === r.service) || (c.org !== null && r.issuer === c.org));
  }

  /** Reading, disabling or enabling a client's webhook subscription: its administrators only; anyone else finds nothing. */
  webhookManage(actor: Actor, client: MClient): Outcome {
    const viewer = this.signedIn(actor);
    if (typeof viewer !== 'string') return viewer;
    return this.administersClient(viewer, client) ? { kind: 'ok' } : { kind: 'not-found' };
  }

  contactUpdate(actor: Actor, person: string | null): Outcome {
    const viewer = this.signedIn(actor);
    if (typeof viewer !== 'string') return viewer;
    return person !== null && this.users.has(person) && this.canWriteUser(viewer, person) ? { kind: 'ok' } : { kind: 'not-found' };
  }

  appointmentDecision(actor: Actor, id: string | null, action: 'approve' | 'reject' | 'revoke'): Outcome {
    const viewer = this.signedIn(actor);
    if (typeof viewer !== 'string') return viewer;
    if (id === null || !this.appointments.has(id) || !this.canReadAppointment(viewer, id)) return { kind: 'not-found' };
    const a = this.appointments.get(id)!;
    if (!this.administeredIn(viewer, a.service, a.user)) return { kind: 'forbidden' };
    const required = action === 'revoke' ? REQUIRED_LEVEL[a.service].appointmentRevoke : REQUIRED_LEVEL[a.service].appointmentDecide;
    if (!meets((actor as { level: Level }).level, required)) return { kind: 'step-up' };
    // Four eyes: nobody decides their own request (giving up one's own appointment is no decision).
    if (action !== 'revoke' && a.user === viewer) return { kind: 'user-error', code: 'SELF_DECISION' };
    if (a.state !== (action === 'revoke' ? 'approved' : 'requested')) return { kind: 'user-error', code: 'INVALID_STATE' };
    if (action === 'approve' && this.clashes(a)) return { kind: 'user-error', code: 'CONFLICT' };
    return { kind: 'ok' };
  }

  /** Another pending or approved appointment of the same person, service and scope overlapping in time. */
  private clashes(a: MAppointment): boolean {
    return [...this.appointments.values()].some(
      (o) =>
        o.id !== a.id &&
        o.user === a.user &&
        o.service === a.service &&
        o.scope === a.scope &&
        (o.state === 'requested' || o.state === 'approved') &&
        (o.to === null || o.to > a.from) &&
        (a.to === null || o.from < a.to),
    );
  }

  /**
   * Ending someone's employment: only an administrator of the person's responsible issuer in some
   * service, never for themself; readable but not theirs is FORBIDDEN, unreadable NOT_FOUND.
   */
  employmentEnd(actor: Actor, person: string | null): Outcome {
    const viewer = this.signedIn(actor);
    if (typeof viewer !== 'string') return viewer;
    if (person === null || !this.users.has(person) || !this.canReadUser(viewer, person)) return { kind: 'not-found' };
    if (viewer === person || !this.roles(viewer).some((r) => this.administers(r, person))) return { kind: 'forbidden' };
    if (this.users.get(person)!.endScheduled) return { kind: 'user-error', code: 'INVALID_STATE' };
    return { kind: 'ok' };
  }

  /** Adding a joiner: only at an organisation where one of the actor's administrator roles would administer them. */
  userCreate(actor: Actor, employer: string | null): Outcome {
    const viewer = this.signedIn(actor);
    if (typeof viewer !== 'string') return viewer;
    if (employer === null || !this.orgs.has(employer) || !this.roles(viewer).some((r) => this.employsAt(r, employer))) return { kind: 'not-found' };
    if (this.orgs.get(employer)!.closed) return { kind: 'user-error', code: 'ORGANISATION_CLOSED' };
    return { kind: 'ok' };
  }

  applyUserCreate(id: string, employer: string, searched: string[]): void {
    this.users.set(id, { id, employer, placements: [], searched });
  }

  /** Organisations an administrator role may move people into: its domain, nested mandate holders included. */
  private inDomain(role: Role, org: string): boolean {
    if (!role.authority) return this.within(org, role.issuer);
    return this.within(org, this.owners[role.service]) || ELIGIBLE[role.service].includes(this.legalEntityKind(org));
  }

  /**
   * Moving someone to another employer: who may is as for ending an employment; the new employer
   * must lie in the domain of one of the actor's roles (else NOT_FOUND on it, as for an unknown one).
   */
  employmentMove(actor: Actor, person: string | null, employer: string | null): Outcome | { kind: 'employer-not-found' } {
    const viewer = this.signedIn(actor);
    if (typeof viewer !== 'string') return viewer;
    if (person === null || !this.users.has(person) || !this.canReadUser(viewer, person)) return { kind: 'not-found' };
    if (viewer === person || !this.roles(viewer).some((r) => this.administers(r, person))) return { kind: 'forbidden' };
    if (employer === null || !this.orgs.has(employer) || !this.roles(viewer).some((r) => this.inDomain(r, employer))) return { kind: 'employer-not-found' };
    if (this.orgs.get(employer)!.closed) return { kind: 'user-error', code: 'ORGANISATION_CLOSED' };
    const user = this.users.get(person)!;
    if (user.endScheduled) return { kind: 'user-error', code: 'INVALID_STATE' };
    if (user.employer === employer) return { kind: 'user-error', code: 'INVALID' };
    return { kind: 'ok' };
  }

  /**
   * A move dated now, applied at once: the employer changes; grants end (every routine here ends them
   * on a move); orderer appointments and administrator roles in the old legal entity and not in the new one end.
   */
  applyMove(person: string, employer: string, at: number): void {
    const user = this.users.get(person)!;
    const [oldEntity, newEntity] = [this.legalEntity(user.employer), this.legalEntity(employer)];
    const tied = (org: string) => this.within(org, oldEntity) && !this.within(org, newEntity);
    user.employer = employer;
    for (const g of this.grants.values()) if (g.user === person && (g.state === 'active' || g.state === 'suspended')) g.state = 'revoked';
    for (const a of this.appointments.values()) {
      if (a.user !== person || (a.state !== 'requested' && a.state !== 'approved') || !tied(a.scope)) continue;
      a.state = 'revoked';
      if (a.to === null || a.to > at) a.to = at;
    }
    for (const a of this.admins.values()) if (a.user === person && a.state === 'active' && tied(a.org)) a.state = 'removed';
  }

  /** An end date in the future was set: nothing else changes until it comes. */
  applyEmploymentEndScheduled(person: string): void {
    this.users.get(person)!.endScheduled = true;
  }

  mandateEnd(actor: Actor, id: string | null): Outcome {
    const viewer = this.signedIn(actor);
    if (typeof viewer !== 'string') return viewer;
    if (id === null || !this.mandates.has(id) || !this.canReadMandate(viewer, id)) return { kind: 'not-found' };
    const m = this.mandates.get(id)!;
    if (!this.roles(viewer).some((r) => r.service === m.service && r.authority)) return { kind: 'forbidden' };
    if (!meets((actor as { level: Level }).level, REQUIRED_LEVEL[m.service].mandateEnd)) return { kind: 'step-up' };
    if (m.state === 'ended') return { kind: 'user-error', code: 'INVALID_STATE' };
    return { kind: 'ok' };
  }

  /**
   * Maintaining a mandate (here: its support contact): only the service's authority, at the level
   * granting asks, and only while it stands (not ended, its end date not passed).
   */
  mandateUpdate(actor: Actor, id: string | null): Outcome {
    const viewer = this.signedIn(actor);
    if (typeof viewer !== 'string') return viewer;
    if (id === null || !this.mandates.has(id) || !this.canReadMandate(viewer, id)) return { kind: 'not-found' };
    const m = this.mandates.get(id)!;
    if (!this.roles(viewer).some((r) => r.service === m.service && r.authority)) return { kind: 'forbidden' };
    if (!meets((actor as { level: Level }).level, REQUIRED_LEVEL[m.service].mandateChange)) return { kind: 'step-up' };
    if (m.state === 'ended' || (m.to !== null && m.to <= this.now())) return { kind: 'user-error', code: 'INVALID_STATE' };
    return { kind: 'ok' };
  }

  // --- the tree, administered within scope -------------------------------------------------

  /** The issuer of a service responsible for an organisation: the holder of the deepest mandate in force over it, else the owner. */
  responsibleIssuerOfOrg(org: string, service: Svc): string {
    const holders = new Set([...this.mandates.values()].filter((m) => m.service === service && this.mandateInForce(m)).map((m) => m.org));
    return this.chain(org).find((o) => holders.has(o)) ?? this.owners[service];
  }

  /**
   * Whether a viewer administers an organisation: one of their roles is the organisation's responsible
   * issuer in that service, and an authority only for its own subtree and eligible legal entities.
   */
  administersOrg(viewer: string, org: string): boolean {
    return this.roles(viewer).some((r) => {
      if (this.responsibleIssuerOfOrg(org, r.service) !== r.issuer) return false;
      if (!r.authority) return true;
      return this.within(org, this.owners[r.service]) || ELIGIBLE[r.service].includes(this.legalEntityKind(org));
    });
  }

  /** The organisations a viewer's administration is rooted at: their issuers (and an authority's own organisation). */
  private isAdministrationRoot(viewer: string, org: string): boolean {
    return this.roles(viewer).some((r) => r.issuer === org || (r.authority && this.owners[r.service] === org));
  }

  /** The target of a tree change: administered, else FORBIDDEN when readable, else NOT_FOUND. */
  private treeTarget(actor: Actor, org: string | null): Outcome | string {
    const viewer = this.signedIn(actor);
    if (typeof viewer !== 'string') return viewer;
    if (org === null || !this.orgs.has(org)) return { kind: 'not-found' };
    if (!this.administersOrg(viewer, org)) return this.canReadOrganisation(viewer, org) ? { kind: 'forbidden' } : { kind: 'not-found' };
    return viewer;
  }

  /** A unit under `parent`, or (parent null) a top-level legal entity of `kind`. */
  orgCreate(actor: Actor, parent: string | null, kind: OrgKind): Outcome {
    const viewer = this.signedIn(actor);
    if (typeof viewer !== 'string') return viewer;
    if (kind === 'unit') {
      if (parent === null || !this.orgs.has(parent) || !this.administersOrg(viewer, parent)) return { kind: 'not-found' };
      if (this.orgs.get(parent)!.closed) return { kind: 'user-error', code: 'ORGANISATION_CLOSED' };
      return { kind: 'ok' };
    }
    return this.roles(viewer).some((r) => r.authority && ELIGIBLE[r.service].includes(kind)) ? { kind: 'ok' } : { kind: 'user-error', code: 'NOT_ELIGIBLE' };
  }

  orgMove(actor: Actor, org: string | null, parent: string | null): Outcome {
    const viewer = this.treeTarget(actor, org);
    if (typeof viewer !== 'string') return viewer;
    if (this.isAdministrationRoot(viewer, org!)) return { kind: 'forbidden' };
    if (this.orgs.get(org!)!.closed) return { kind: 'user-error', code: 'ORGANISATION_CLOSED' };
    if (parent === null || !this.orgs.has(parent) || !this.administersOrg(viewer, parent)) return { kind: 'user-error', code: 'NOT_FOUND' };
    if (this.orgs.get(parent)!.closed) return { kind: 'user-error', code: 'ORGANISATION_CLOSED' };
    const node = this.orgs.get(org!)!;
    if (node.parent === parent) return { kind: 'ok' };
    if (this.within(parent, org!)) return { kind: 'user-error', code: 'MOVE_INTO_OWN_SUBTREE' };
    // Where it lands must still be the viewer's to administer.
    const was = node.parent;
    node.parent = parent;
    const stays = this.administersOrg(viewer, org!);
    node.parent = was;
    return stays ? { kind: 'ok' } : { kind: 'user-error', code: 'NOT_FOUND' };
  }

  /** Closing: refused while anyone is employed there, or open units, mandates, appointments or grants depend on it. */
  orgClose(actor: Actor, org: string | null): Outcome {
    const viewer = this.treeTarget(actor, org);
    if (typeof viewer !== 'string') return viewer;
    if (this.isAdministrationRoot(viewer, org!)) return { kind: 'forbidden' };
    if (this.orgs.get(org!)!.closed) return { kind: 'user-error', code: 'INVALID_STATE' };
    const t = this.now();
    const codes: UserErrorCode[] = [];
    if ([...this.users.values()].some((u) => u.employer === org)) codes.push('ORGANISATION_HAS_PEOPLE');
    const inUse =
      [...this.orgs.values()].some((o) => o.parent === org && !o.closed) ||
      [...this.mandates.values()].some((m) => m.org === org && m.state === 'active' && (m.to === null || m.to > t)) ||
      [...this.appointments.values()].some((a) => a.scope === org && (a.state === 'requested' || (a.state === 'approved' && (a.to === null || a.to > t)))) ||
      [...this.grants.values()].some((g) => g.scope === org && (g.state === 'active' || g.state === 'suspended'));
    if (inUse) codes.push('ORGANISATION_IN_USE');
    return codes.length ? { kind: 'user-error', code: codes[0], codes } : { kind: 'ok' };
  }

  applyOrgCreate(id: string, parent: string | null, kind: OrgKind, searched: string[]): void {
    this.orgs.set(id, { id, parent, kind, searched });
  }

  applyOrgMove(org: string, parent: string): void {
    this.orgs.get(org)!.parent = parent;
  }

  applyOrgClose(org: string): void {
    this.orgs.get(org)!.closed = true;
  }

  // --- applying successful writes ------------------------------------------------------------

  applyAppointmentDecision(id: string, action: 'approve' | 'reject' | 'revoke', at: number): void {
    const a = this.appointments.get(id)!;
    a.state = action === 'approve' ? 'approved' : action === 'reject' ? 'rejected' : 'revoked';
    if (action === 'revoke' && (a.to === null || a.to > at)) a.to = at;
  }

  /** A mandate ended now; its organisation's administrators for the service lose their rights with it. */
  applyMandateEnd(id: string, at: number): void {
    const m = this.mandates.get(id)!;
    m.state = 'ended';
    if (m.to === null || m.to > at) m.to = at;
    for (const a of this.admins.values()) if (a.org === m.org && a.service === m.service) a.state = 'removed';
  }

  // --- explaining a failure ---------------------------------------------------------------

  describe(viewer: string): string {
    const me = this.users.get(viewer);
    if (!me) return `unknown user ${viewer}`;
    const roles = this.roles(viewer).map((r) => `${r.authority ? 'authority' : 'issuer'} ${r.service}@${r.issuer}`);
    const orders = this.ordererScopes(viewer).map((o) => `orderer ${o.service}@${o.scope}`);
    return `user ${viewer} employed at ${me.employer} [${[...roles, ...orders].join(', ') || 'no roles'}]`;
  }

  /** One object of a collection as the model holds it, for a failure message. */
  explain(of: Collection, id: string): string {
    const maps = { users: this.users, grants: this.grants, organisations: this.orgs, mandates: this.mandates, appointments: this.appointments };
    return `${id} ${JSON.stringify(maps[of].get(id) ?? 'unknown')}`;
  }
}
