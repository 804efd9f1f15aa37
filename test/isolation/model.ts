/**
 * The reference model of who may see and do what, written from the rules in DOMAIN.md and the
 * issue text, independently of src/auth/policy.ts: plain sets over the generated world.
 */
export type Kind = 'agency' | 'municipality' | 'region' | 'coordination_association' | 'supplier' | 'unit' | 'authority';
export type Svc = 'SUS' | 'VIAS';

export interface MOrg {
  id: string;
  parent: string | null;
  kind: Kind;
}
export interface MUser {
  id: string;
  employer: string;
  placements: string[];
}
export interface MGrant {
  id: string;
  user: string;
  service: Svc;
}
export interface MMandate {
  id: string;
  org: string;
  service: Svc;
  /** ended, or outside its validity now */
  active: boolean;
}
export interface MAdmin {
  user: string;
  org: string;
  service: Svc;
  active: boolean;
}
export interface MAppointment {
  id: string;
  user: string;
  scope: string;
  service: Svc;
  state: 'requested' | 'approved' | 'rejected' | 'revoked';
  current: boolean;
}

export const ELIGIBLE: Record<Svc, Kind[]> = { SUS: ['agency', 'municipality', 'region', 'coordination_association'], VIAS: ['supplier'] };

export class Model {
  constructor(
    readonly orgs: Map<string, MOrg>,
    readonly users: Map<string, MUser>,
    readonly grants: MGrant[],
    readonly mandates: MMandate[],
    readonly admins: MAdmin[],
    readonly appointments: MAppointment[],
    /** The authority organisation of each service. */
    readonly owner: Record<Svc, string>,
  ) {}

  ancestors(id: string): string[] {
    const out: string[] = [];
    for (let cur: string | null = id; cur; cur = this.orgs.get(cur)?.parent ?? null) out.push(cur);
    return out;
  }

  under(id: string, top: string): boolean {
    return this.ancestors(id).includes(top);
  }

  legalKind(id: string): Kind {
    for (const a of this.ancestors(id)) {
      const o = this.orgs.get(a)!;
      if (o.kind !== 'unit') return o.kind;
    }
    return 'unit';
  }

  responsible(userId: string, service: Svc): string {
    const chain = this.ancestors(this.users.get(userId)!.employer);
    for (const org of chain) if (this.mandates.some((m) => m.active && m.service === service && m.org === org)) return org;
    return this.owner[service];
  }

  /** The administrator roles in force for a user. */
  roles(userId: string): { service: Svc; issuer: string; authority: boolean }[] {
    return this.admins
      .filter((a) => a.user === userId && a.active)
      .filter((a) => a.org === this.owner[a.service] || this.mandates.some((m) => m.active && m.service === a.service && m.org === a.org))
      .map((a) => ({ service: a.service, issuer: a.org, authority: a.org === this.owner[a.service] }));
  }

  orderScopes(userId: string): { service: Svc; scope: string }[] {
    return this.appointments.filter((a) => a.user === userId && a.state === 'approved' && a.current).map((a) => ({ service: a.service, scope: a.scope }));
  }

  administers(role: { service: Svc; issuer: string; authority: boolean }, personId: string): boolean {
    if (this.responsible(personId, role.service) !== role.issuer) return false;
    if (!role.authority) return true;
    const employer = this.users.get(personId)!.employer;
    return this.under(employer, this.owner[role.service]) || ELIGIBLE[role.service].includes(this.legalKind(employer));
  }

  canReadUser(actor: string, person: string): boolean {
    if (actor === person) return true;
    if (this.roles(actor).some((r) => this.administers(r, person))) return true;
    return this.orderScopes(actor).some((o) => this.under(this.users.get(person)!.employer, o.scope));
  }

  canWriteUser(actor: string, person: string): boolean {
    return actor === person || this.roles(actor).some((r) => this.administers(r, person));
  }

  canReadGrant(actor: string, g: MGrant): boolean {
    if (g.user === actor) return true;
    if (this.roles(actor).some((r) => r.service === g.service && this.administers(r, g.user))) return true;
    return this.orderScopes(actor).some((o) => o.service === g.service && this.under(this.users.get(g.user)!.employer, o.scope));
  }

  canReadOrg(actor: string, org: string): boolean {
    const me = this.users.get(actor)!;
    if ([me.employer, ...me.placements].some((o) => this.ancestors(o).includes(org))) return true;
    for (const r of this.roles(actor)) {
      if (!r.authority && this.under(org, r.issuer)) return true;
      if (r.authority && (this.under(org, this.owner[r.service]) || ELIGIBLE[r.service].includes(this.legalKind(org)))) return true;
    }
    return this.orderScopes(actor).some((o) => this.under(org, o.scope));
  }

  canReadMandate(actor: string, m: MMandate): boolean {
    return this.roles(actor).some((r) => r.service === m.service && (r.authority || this.under(m.org, r.issuer)));
  }

  canEndMandate(actor: string, m: MMandate): boolean {
    return this.roles(actor).some((r) => r.service === m.service && r.authority);
  }

  canDecideAppointment(actor: string, a: MAppointment): boolean {
    return this.roles(actor).some((r) => r.service === a.service && this.administers(r, a.user));
  }

  canReadAppointment(actor: string, a: MAppointment): boolean {
    return a.user === actor || this.canDecideAppointment(actor, a);
  }
}
