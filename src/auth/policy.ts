import { AccessDenied } from '../domain/errors.js';
import { and, or, Sql, sql, startsWith } from '../db/sql.js';
import { AssuranceLevel, meetsAssurance } from './assurance.js';
import type { AdministratorRole, Viewer, ViewerClient, ViewerUser } from './viewer.js';

/** People the viewer reaches, in parts (see Policy.readablePeople). */
export interface PeopleScope {
  /** The viewer's own user id: everyone reads themself. */
  self: string;
  /** Employer organisations (alias e) whose people the viewer reaches through a role; null when they hold none. */
  employers: ((e: string) => Sql) | null;
}

const ref = (alias: string, column: string) => Sql.raw(`${alias}.${column}`);
/** An organisation's subtree: organisations.path (collation C, a btree) as a range, which prepared statements keep. */
const under = (pathColumn: Sql, path: string) => startsWith(pathColumn, path);
/** The same test on the events' paths, whose text_pattern_ops indexes serve LIKE only. */
const underLike = (pathColumn: Sql, path: string) => sql`${pathColumn} like ${`${path}%`}`;

/**
 * The one place that decides what a viewer may see and do. Every scope is a SQL condition, so lists,
 * counts and single reads agree by construction; repositories cannot read a scoped table without one.
 *
 * Scopes: the viewer themself; the issuers they administer (an authority's domain is every eligible
 * organisation, a mandate holder's its own subtree, both minus the subtrees of nearer mandates); the
 * subtrees they are appointed orderer for. Oversight: an authority reads, but does not change, what
 * its mandate holders decide: its reads cover its whole domain, nearer mandates included.
 */
export class Policy {
  constructor(readonly viewer: Viewer) {}

  /** Requires a registered, signed-in user. */
  requireUser(): ViewerUser {
    if (!this.viewer.identity) throw AccessDenied.unauthenticated();
    if (!this.viewer.user) throw AccessDenied.forbidden('Your sign-in is not bound to a registered user.', 'NOT_REGISTERED');
    return this.viewer.user;
  }

  /** Requires a signed-in machine client (the feed, webhooks and the access check are theirs). */
  requireClient(): ViewerClient {
    if (!this.viewer.identity) throw AccessDenied.unauthenticated();
    if (!this.viewer.client) throw AccessDenied.forbidden('Only a machine client (a client-credentials token) may do this.', 'CLIENT_ONLY');
    return this.viewer.client;
  }

  /** Requires a client acting for a service: the access check answers for that service only. */
  requireServiceClient(): ViewerClient & { serviceId: string } {
    const client = this.requireClient();
    if (!client.serviceId) throw AccessDenied.forbidden("Only a service's client may check a person's access.", 'CLIENT_ONLY');
    return { ...client, serviceId: client.serviceId };
  }

  /**
   * Events (alias ev) the client may read: a service's client those of its service (grants, mandates)
   * and the person events of people who hold or held one of its grants; an organisation's client those
   * whose subject belonged to its subtree when they happened: just before or just after the change
   * that wrote them, so a mover's events (person.moved, the grants the move ended, the employments
   * ended and begun) reach the old employer's clients and the new one's, and later ones only the
   * new one's. People read no feed.
   */
  readableEvents(ev: string): Sql {
    const client = this.viewer.client;
    if (!client) return Sql.raw('false');
    if (client.serviceId) {
      return sql`(${ref(ev, 'service_id')} = ${client.serviceId} or (${ref(ev, 'service_id')} is null and ${ref(ev, 'person_id')} is not null
        and exists (select 1 from grants hg where hg.user_id = ${ref(ev, 'person_id')} and hg.service_id = ${client.serviceId})))`;
    }
    if (!client.organisationPath) return Sql.raw('false');
    return sql`(${underLike(ref(ev, 'scope_path'), client.organisationPath)} or ${underLike(ref(ev, 'scope_path_before'), client.organisationPath)})`;
  }

  /**
   * Requires someone who adds, changes and ends people: a registered user (their administered domains
   * decide where) or an organisation's client (its subtree). A service's client only reads.
   */
  requirePeopleAdministrator(): { userId: string | null } {
    if (!this.viewer.identity) throw AccessDenied.unauthenticated();
    const client = this.viewer.client;
    if (client) {
      if (!client.organisationPath) throw AccessDenied.forbidden("A service's client reads people; only an organisation's client changes them.");
      return { userId: null };
    }
    return { userId: this.requireUser().id };
  }

  /**
   * People (alias u) a client reads through SCIM: a service's client the holders, past or present, of
   * a grant of its service; an organisation's client the people employed in its subtree.
   */
  clientPeople(u: string): Sql {
    const client = this.viewer.client;
    if (!client) return Sql.raw('false');
    if (client.serviceId) return this.serviceHolders(u);
    return client.organisationPath
      ? sql`${ref(u, 'employer_id')} = any(array(select ce.id from organisations ce where ${under(Sql.raw('ce.path'), client.organisationPath)}))`
      : Sql.raw('false');
  }

  /**
   * Grants (alias g) a client reads through SCIM: a service's client those of its service, an
   * organisation's client those of the people employed in its subtree.
   */
  clientGrants(g: string): Sql {
    const client = this.viewer.client;
    if (!client) return Sql.raw('false');
    if (client.serviceId) return sql`${ref(g, 'service_id')} = ${client.serviceId}`;
    return sql`exists (select 1 from users cu where cu.id = ${ref(g, 'user_id')} and ${this.clientPeople('cu')})`;
  }

  /** People (alias u) a service's client may look up: the holders, past or present, of a grant of its service. */
  serviceHolders(u: string): Sql {
    const serviceId = this.viewer.client?.serviceId;
    if (!serviceId) return Sql.raw('false');
    return sql`exists (select 1 from grants hg where hg.user_id = ${ref(u, 'id')} and hg.service_id = ${serviceId})`;
  }

  /**
   * Clients (alias c) the viewer may see and suspend: a service's, by its authority's administrators;
   * an organisation's, by the administrators of that issuer organisation (in any service).
   */
  administeredClients(c: string): Sql {
    if (!this.viewer.user) return Sql.raw('false');
    const services = this.viewer.administers.filter((r) => r.authority).map((r) => r.serviceId);
    const issuers = [...new Set(this.viewer.administers.map((r) => r.issuerId))];
    return or([
      services.length ? sql`${ref(c, 'service_id')} in (${services})` : Sql.raw('false'),
      issuers.length ? sql`${ref(c, 'organisation_id')} in (${issuers})` : Sql.raw('false'),
    ]);
  }

  /**
   * Webhook subscriptions (alias s) the viewer manages: a client its own; a person those of the
   * clients they administer (administeredClients), to see why one stopped, its dead letters, and to
   * replay, disable and re-enable. Anyone else's are absent, as an unknown id is.
   */
  manageableWebhookSubscriptions(s: string): Sql {
    const client = this.viewer.client;
    if (client) return sql`${ref(s, 'client_id')} = ${client.id}`;
    if (!this.viewer.user) return Sql.raw('false');
    return sql`exists (select 1 from clients wc where wc.id = ${ref(s, 'client_id')} and ${this.administeredClients('wc')})`;
  }

  /** Whether the viewer may register a client for a service (its authority) or an organisation (its issuer administrator). */
  mayRegisterClient(target: { serviceId: string } | { organisationId: string }): boolean {
    if (!this.viewer.user) return false;
    return 'serviceId' in target
      ? this.viewer.administers.some((r) => r.authority && r.serviceId === target.serviceId)
      : this.viewer.administers.some((r) => r.issuerId === target.organisationId);
  }

  /**
   * Requires the assurance level a routine demands for a sensitive action. Call only after the
   * target was found in scope, so the answer never reveals anything outside it.
   */
  requireAssurance(required: AssuranceLevel | undefined): void {
    if (!required) return;
    const actual = this.viewer.assuranceLevel ?? AssuranceLevel.LOW;
    if (meetsAssurance(actual, required)) return;
    throw AccessDenied.stepUp(required);
  }

  /** The administrator roles the viewer holds for a service. */
  rolesFor(serviceId: string): AdministratorRole[] {
    return this.viewer.administers.filter((r) => r.serviceId === serviceId);
  }

  /** The viewer's role as the authority of a service, if any. */
  authorityRole(serviceId: string): AdministratorRole | undefined {
    return this.rolesFor(serviceId).find((r) => r.authority);
  }

  /** Employer organisations (alias e) whose people an administrator role administers. */
  private domain(e: string, role: AdministratorRole): Sql {
    const path = ref(e, 'path');
    const carved = role.carvedOutPaths.map((p) => under(path, p));
    const notCarved = carved.length ? sql`not (${or(carved)})` : Sql.raw('true');
    if (!role.authority) return and([under(path, role.issuerPath), notCarved]);
    const eligible = role.eligibleKinds.length
      ? sql`exists (select 1 from organisations le where le.id = coalesce(${ref(e, 'legal_entity_id')}, ${ref(e, 'id')}) and le.kind in (${role.eligibleKinds}))`
      : Sql.raw('false');
    return and([or([under(path, role.ownerPath), eligible]), notCarved]);
  }

  /** Organisations (alias o) an administrator role may see: its domain, mandate holders included. */
  private domainOrganisations(o: string, role: AdministratorRole): Sql {
    return this.domain(o, { ...role, carvedOutPaths: [] });
  }

  /**
   * Employer organisations (alias e) whose people, grants and orders of the service a role reads: its
   * domain, and for the service's authority (oversight) the subtrees of its mandate holders too, whoever
   * issued there. Reads only: changes and decisions stay with `domain`.
   */
  private readDomain(e: string, role: AdministratorRole): Sql {
    return role.authority ? this.domainOrganisations(e, role) : this.domain(e, role);
  }

  /** People (by their employer organisation, alias e) administered by the viewer in a service, or in any. */
  private administeredEmployer(e: string, serviceId: Sql | null): Sql {
    const parts = this.viewer.administers.map((r) =>
      serviceId ? and([sql`${serviceId} = ${r.serviceId}`, this.readDomain(e, r)]) : this.readDomain(e, r),
    );
    const orders = this.viewer.orders.map((o) =>
      serviceId ? and([sql`${serviceId} = ${o.serviceId}`, under(ref(e, 'path'), o.scopePath)]) : under(ref(e, 'path'), o.scopePath),
    );
    return or([...parts, ...orders]);
  }

  /**
   * The people the viewer may read, as the parts readableUsers is made of, for statements that must
   * shape it themselves (the staff list picks one of three plans by the scope's size; the reports
   * count it from per-employer tallies): the viewer's own id, and a condition on an employer
   * organisation (alias e) whose people they reach through a role, null when they hold none.
   * Null when the viewer is not a registered user: they read nobody.
   */
  readablePeople(): PeopleScope | null {
    return this.people(false);
  }

  /** readablePeople, or with onlyAdministered the people whose contact details the viewer may change. */
  private people(onlyAdministered: boolean): PeopleScope | null {
    const user = this.viewer.user;
    if (!user) return null;
    const administered = this.viewer.administers;
    const ordered = onlyAdministered ? [] : this.viewer.orders;
    const employers = administered.length + ordered.length
      ? (e: string) =>
          or([
            ...administered.map((r) => (onlyAdministered ? this.domain(e, r) : this.readDomain(e, r))),
            ...ordered.map((o) => under(ref(e, 'path'), o.scopePath)),
          ])
      : null;
    return { self: user.id, employers };
  }

  /**
   * Users (alias u) in a people scope: themself, or employed at one of its organisations.
   * `employer_id = any(array(...))` lets PostgreSQL use the employer index instead of testing every person.
   */
  private usersIn(u: string, people: PeopleScope | null): Sql {
    if (!people) return Sql.raw('false');
    const employers = people.employers ? [sql`${ref(u, 'employer_id')} = any(array(select e.id from organisations e where ${people.employers('e')}))`] : [];
    return or([sql`${ref(u, 'id')} = ${people.self}`, ...employers]);
  }

  /** Users the viewer may read: themself and the people of every scope they hold. */
  readableUsers(u: string): Sql {
    return this.usersIn(u, this.people(false));
  }

  /** Users whose contact details the viewer may change: themself and the people they administer as issuer; an organisation's client, its subtree's. */
  writableUsers(u: string): Sql {
    if (this.viewer.client) return this.viewer.client.organisationPath ? this.clientPeople(u) : Sql.raw('false');
    return this.usersIn(u, this.people(true));
  }

  /**
   * Organisations (alias o) the viewer administers as an issuer administrator, in any service: the
   * domains of their roles (an authority's own subtree and eligible legal entities, a mandate holder's
   * subtree), minus the subtrees of nearer issuers, which administer themselves. Here they create,
   * rename, move and close units, and add, move and end people. Orderer scopes do not count.
   */
  administeredOrganisations(o: string): Sql {
    if (!this.viewer.user) return Sql.raw('false');
    return or(this.viewer.administers.map((r) => this.domain(o, r)));
  }

  /** Employer organisations (alias e) whose people the viewer adds, moves and ends: administeredOrganisations; an organisation's client, its subtree. */
  administeredEmployers(e: string): Sql {
    const client = this.viewer.client;
    if (client) return client.organisationPath ? under(ref(e, 'path'), client.organisationPath) : Sql.raw('false');
    return this.administeredOrganisations(e);
  }

  /**
   * The paths the viewer's administration is rooted at (issuer organisations, an authority's own
   * organisation): they are administered, but not moved or closed by those they root.
   */
  administrationRoots(): string[] {
    return [...new Set(this.viewer.administers.flatMap((r) => (r.authority ? [r.ownerPath, r.issuerPath] : [r.issuerPath])))];
  }

  /**
   * Organisations (alias e) the viewer may move people they administer into: the domains of their
   * administrator roles with the nested mandate holders (a move may hand a person to another issuer);
   * an organisation's client, its own subtree (the people it feeds stay its own).
   */
  movableEmployers(e: string): Sql {
    if (this.viewer.client) return this.administeredEmployers(e);
    if (!this.viewer.user) return Sql.raw('false');
    return or(this.viewer.administers.map((r) => this.domainOrganisations(e, r)));
  }

  /** Grant reviews (alias r) the viewer sees and decides: those sent to an issuer they administer for the review's service. */
  decidableGrantReviews(r: string): Sql {
    if (!this.viewer.user) return Sql.raw('false');
    return or(this.viewer.administers.map((a) => sql`${ref(r, 'service_id')} = ${a.serviceId} and ${ref(r, 'issuer_id')} = ${a.issuerId}`));
  }

  /** People (alias u) whose employment the viewer changes: those they administer, never themself; an organisation's client, its subtree's. */
  administeredPeople(u: string): Sql {
    if (this.viewer.client) return sql`exists (select 1 from organisations e where e.id = ${ref(u, 'employer_id')} and ${this.administeredEmployers('e')})`;
    if (!this.viewer.user || this.viewer.administers.length === 0) return Sql.raw('false');
    return sql`${ref(u, 'id')} <> ${this.viewer.user.id} and exists (select 1 from organisations e where e.id = ${ref(u, 'employer_id')} and ${this.administeredEmployers('e')})`;
  }

  /** Grants the viewer may read: their own, and those of the service they administer or order for. */
  readableGrants(g: string): Sql {
    const user = this.viewer.user;
    if (!user) return Sql.raw('false');
    const scoped = this.viewer.administers.length + this.viewer.orders.length > 0
      ? sql`exists (select 1 from users gu join organisations e on e.id = gu.employer_id
          where gu.id = ${ref(g, 'user_id')} and (${this.readableGrantGroups('e', ref(g, 'service_id'))}))`
      : Sql.raw('false');
    return or([sql`${ref(g, 'user_id')} = ${user.id}`, scoped]);
  }

  /**
   * readableGrants for a query that has joined the holder's employer organisation as `e`: the same
   * set, tested on the joined row instead of a subquery per grant.
   */
  readableGrantsWithEmployer(g: string, e: string): Sql {
    const user = this.viewer.user;
    if (!user) return Sql.raw('false');
    return or([sql`${ref(g, 'user_id')} = ${user.id}`, this.readableGrantGroups(e, ref(g, 'service_id'))]);
  }

  /**
   * The grants of a service (an SQL expression) held by people employed at organisation `e` that the
   * viewer reads through a role: readableGrants minus "their own". Summaries keyed by employer and
   * service are scoped with exactly this, so a report and the grant list agree by construction.
   */
  readableGrantGroups(e: string, service: Sql): Sql {
    return this.viewer.user ? this.administeredEmployer(e, service) : Sql.raw('false');
  }

  /** Grants the viewer may revoke, suspend, resume or renew: those of people whose responsible issuer they administer. */
  changeableGrants(g: string): Sql {
    if (this.viewer.administers.length === 0) return Sql.raw('false');
    const parts = this.viewer.administers.map((r) => and([sql`${ref(g, 'service_id')} = ${r.serviceId}`, this.domain('e', r)]));
    return sql`exists (select 1 from users gu join organisations e on e.id = gu.employer_id where gu.id = ${ref(g, 'user_id')} and (${or(parts)}))`;
  }

  /**
   * Organisations the viewer may read: those they work at and the chain above them, and every
   * organisation of the domains they administer or order for.
   */
  readableOrganisations(o: string): Sql {
    const user = this.viewer.user;
    if (!user) return Sql.raw('false');
    const path = ref(o, 'path');
    const own = [user.employerPath, ...user.placementPaths].map((p) => sql`${p} like ${path} || '%'`);
    const administered = this.viewer.administers.map((r) => this.domainOrganisations(o, r));
    const ordered = this.viewer.orders.map((r) => under(path, r.scopePath));
    return or([...own, ...administered, ...ordered]);
  }

  /** Mandates the viewer may read: an authority sees those of its service, a holder its own and nested ones. */
  readableMandates(m: string): Sql {
    if (!this.viewer.user) return Sql.raw('false');
    const parts = this.viewer.administers.map((r) =>
      r.authority
        ? sql`${ref(m, 'service_id')} = ${r.serviceId}`
        : sql`${ref(m, 'service_id')} = ${r.serviceId} and exists (select 1 from organisations mo where mo.id = ${ref(m, 'organisation_id')} and ${under(Sql.raw('mo.path'), r.issuerPath)})`,
    );
    return or(parts);
  }

  /** Mandates the viewer may end: those of the services whose authority they administer. */
  writableMandates(m: string): Sql {
    const parts = this.viewer.administers.filter((r) => r.authority).map((r) => sql`${ref(m, 'service_id')} = ${r.serviceId}`);
    return or(parts);
  }

  /** Orderer appointments the viewer may read: their own, and those of the people they administer. */
  readableAppointments(a: string): Sql {
    const user = this.viewer.user;
    if (!user) return Sql.raw('false');
    return or([sql`${ref(a, 'user_id')} = ${user.id}`, this.decidableAppointments(a)]);
  }

  /** Appointments the viewer decides and revokes: those of people whose responsible issuer they administer. */
  decidableAppointments(a: string): Sql {
    if (this.viewer.administers.length === 0) return Sql.raw('false');
    const parts = this.viewer.administers.map((r) =>
      and([sql`${ref(a, 'service_id')} = ${r.serviceId}`, this.domain('e', r)]),
    );
    return sql`exists (select 1 from users au join organisations e on e.id = au.employer_id where au.id = ${ref(a, 'user_id')} and (${or(parts)}))`;
  }

  /**
   * Orders the viewer may read: those for or by themself, those their administrator roles decide,
   * those for people in their orderer scopes, and, overseeing as authority, every order of its
   * service for people of its domain, whichever mandate holder decides them.
   */
  readableOrders(o: string): Sql {
    const user = this.viewer.user;
    if (!user) return Sql.raw('false');
    const scopes = [
      ...this.viewer.orders.map((r) => and([sql`${ref(o, 'service_id')} = ${r.serviceId}`, under(Sql.raw('e.path'), r.scopePath)])),
      ...this.viewer.administers.filter((r) => r.authority).map((r) => and([sql`${ref(o, 'service_id')} = ${r.serviceId}`, this.domainOrganisations('e', r)])),
    ];
    const scoped = scopes.length
      ? sql`exists (select 1 from users ou join organisations e on e.id = ou.employer_id where ou.id = ${ref(o, 'user_id')} and (${or(scopes)}))`
      : Sql.raw('false');
    return or([sql`${ref(o, 'user_id')} = ${user.id}`, sql`${ref(o, 'ordered_by_id')} = ${user.id}`, this.decidableOrders(o), scoped]);
  }

  /** Orders the viewer decides: those sent to an issuer they administer for the order's service. */
  decidableOrders(o: string): Sql {
    if (this.viewer.administers.length === 0) return Sql.raw('false');
    return or(this.viewer.administers.map((r) => sql`${ref(o, 'service_id')} = ${r.serviceId} and ${ref(o, 'decider_id')} = ${r.issuerId}`));
  }

  /**
   * People (alias u) the viewer may order for in a service: those in their orderer scopes, and,
   * unless the routine demands an appointed orderer, those their administrator roles administer.
   */
  orderablePeople(u: string, serviceId: string, ordererOnly: boolean): Sql {
    const scopes = this.viewer.orders.filter((r) => r.serviceId === serviceId).map((r) => under(Sql.raw('e.path'), r.scopePath));
    const administered = ordererOnly ? [] : this.rolesFor(serviceId).map((r) => this.domain('e', r));
    const parts = [...scopes, ...administered];
    if (parts.length === 0) return Sql.raw('false');
    return sql`exists (select 1 from organisations e where e.id = ${ref(u, 'employer_id')} and ${or(parts)})`;
  }

  /** Audit events the viewer may read: exactly those about objects they may read. */
  readableAuditEvents(t: string): Sql {
    if (!this.viewer.user) return Sql.raw('false');
    const id = ref(t, 'target_id');
    const type = ref(t, 'target_type');
    const adminServices = [...new Set(this.viewer.administers.map((r) => r.serviceId))];
    return or([
      sql`${type} = 'Organisation' and exists (select 1 from organisations x where x.id = ${id} and (${this.readableOrganisations('x')}))`,
      sql`${type} = 'User' and exists (select 1 from users x where x.id = ${id} and (${this.readableUsers('x')}))`,
      sql`${type} = 'Grant' and exists (select 1 from grants x where x.id = ${id} and (${this.readableGrants('x')}))`,
      sql`${type} = 'IssuerMandate' and exists (select 1 from issuer_mandates x where x.id = ${id} and (${this.readableMandates('x')}))`,
      sql`${type} = 'OrdererAppointment' and exists (select 1 from orderer_appointments x where x.id = ${id} and (${this.readableAppointments('x')}))`,
      sql`${type} = 'Order' and exists (select 1 from orders x where x.id = ${id} and (${this.readableOrders('x')}))`,
      sql`${type} = 'Client' and exists (select 1 from clients x where x.id = ${id} and (${this.administeredClients('x')}))`,
      sql`${type} = 'WebhookSubscription' and exists (select 1 from webhook_subscriptions x where x.id = ${id} and (${this.manageableWebhookSubscriptions('x')}))`,
      adminServices.length
        ? sql`${type} = 'Routine' and exists (select 1 from routines x where x.id = ${id} and x.service_id in (${adminServices}))`
        : Sql.raw('false'),
    ]);
  }

  /** Documents the viewer may download: those attached to something they may read. */
  readableDocuments(d: string): Sql {
    const id = ref(d, 'id');
    return or([
      sql`exists (select 1 from issuer_mandates x where x.agreement_document_id = ${id} and (${this.readableMandates('x')}))`,
      sql`exists (select 1 from orderer_appointments x where x.request_form_id = ${id} and (${this.readableAppointments('x')}))`,
      sql`exists (select 1 from order_attachments x join orders xo on xo.id = x.order_id where x.document_id = ${id} and (${this.readableOrders('xo')}))`,
    ]);
  }
}
