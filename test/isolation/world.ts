import fc from 'fast-check';
import { Document, DocumentKind } from '../../src/documents/document.entity.js';
import { Grant, GrantState } from '../../src/grants/grant.entity.js';
import { FederatedIdentity } from '../../src/identities/federated-identity.entity.js';
import { AdministratorState, IssuerAdministrator, IssuerMandate, MandateState } from '../../src/issuers/issuer-mandate.entity.js';
import { AppointmentState, OrdererAppointment } from '../../src/orderers/orderer-appointment.entity.js';
import { Organisation, OrganisationKind } from '../../src/organisations/organisation.entity.js';
import { createOrganisation } from '../../src/organisations/organisation.service.js';
import { Routine } from '../../src/routines/routine.entity.js';
import { Service, ServiceRole } from '../../src/services/service.entity.js';
import { Placement, ProfileState, User } from '../../src/users/user.entity.js';
import { demo, type TestHub } from '../support/hub.js';
import { Model, type Kind, type MAppointment, type MMandate, type Svc } from './model.js';

/** The shape of a random world, as plain numbers; `build` turns it into rows and a model. */
export const worldArb = fc.record({
  roots: fc.array(fc.constantFrom<Kind>('agency', 'municipality', 'region', 'coordination_association', 'supplier'), { minLength: 2, maxLength: 4 }),
  units: fc.array(fc.nat(1000), { minLength: 4, maxLength: 14 }),
  users: fc.array(fc.record({ employer: fc.nat(1000), placed: fc.option(fc.nat(1000), { nil: null }) }), { minLength: 6, maxLength: 14 }),
  grants: fc.array(fc.record({ user: fc.nat(1000), vias: fc.boolean() }), { minLength: 4, maxLength: 20 }),
  mandates: fc.array(fc.record({ org: fc.nat(1000), vias: fc.boolean(), status: fc.constantFrom('active', 'active', 'ended', 'future', 'expired'), admin: fc.nat(1000) }), { maxLength: 5 }),
  appointments: fc.array(
    fc.record({ user: fc.nat(1000), scope: fc.nat(1000), vias: fc.boolean(), state: fc.constantFrom<MAppointment['state']>('requested', 'approved', 'approved', 'rejected', 'revoked'), current: fc.boolean() }),
    { maxLength: 6 },
  ),
});
export type WorldShape = typeof worldArb extends fc.Arbitrary<infer T> ? T : never;

export interface World {
  model: Model;
  /** Emails of the actors by model user id. */
  emails: Map<string, string>;
  ids: { users: string[]; grants: string[]; orgs: string[]; mandates: string[]; appointments: string[] };
}

let run = 0;

export async function build(hub: TestHub, shape: WorldShape): Promise<World> {
  run++;
  const em = hub.db.orm.em.fork();
  return em.transactional(async (tx) => {
    const services = { SUS: await tx.findOneOrFail(Service, { code: 'SUS' }), VIAS: await tx.findOneOrFail(Service, { code: 'VIAS' }) };
    const roles = { SUS: await tx.findOneOrFail(ServiceRole, { service: services.SUS, code: 'registrar' }), VIAS: await tx.findOneOrFail(ServiceRole, { service: services.VIAS, code: 'specialist' }) };
    const routines = { SUS: await tx.findOneOrFail(Routine, { service: services.SUS, organisationKind: null }), VIAS: await tx.findOneOrFail(Routine, { service: services.VIAS, organisationKind: null }) };
    const karin = await tx.findOneOrFail(User, { email: demo.karin }, { populate: ['employer'] });
    const sofie = await tx.findOneOrFail(User, { email: demo.sofie }, { populate: ['employer'] });
    const document = tx.create(Document, { kind: DocumentKind.AGREEMENT, filename: 'a.pdf', contentType: 'application/pdf', size: 5, sha256: '0'.repeat(64), content: Buffer.from('%PDF-') });

    const orgs = new Map<string, { id: string; parent: string | null; kind: Kind }>();
    const rows: Organisation[] = [];
    // The authorities' own chains, so their administrators are in the model too.
    for (const u of [karin, sofie]) {
      for (const o of await tx.find(Organisation, { path: { $in: u.employer.path.split('/').filter(Boolean).map((_, i, a) => `${a.slice(0, i + 1).join('/')}/`) } })) {
        orgs.set(o.id, { id: o.id, parent: o.parent?.id ?? null, kind: o.kind as Kind });
      }
    }
    for (const [i, kind] of shape.roots.entries()) {
      const o = createOrganisation(tx, { kind: kind as OrganisationKind, name: `Run ${run} root ${i}`, registrationNumber: `R${run}-${i}`, parent: null });
      rows.push(o);
    }
    for (const [i, pick] of shape.units.entries()) {
      const parent = rows[pick % rows.length];
      rows.push(createOrganisation(tx, { kind: OrganisationKind.UNIT, name: `Run ${run} unit ${i}`, registrationNumber: null, parent }));
    }
    for (const o of rows) orgs.set(o.id, { id: o.id, parent: o.parent?.id ?? null, kind: o.kind as Kind });

    const users = new Map<string, { id: string; employer: string; placements: string[] }>();
    const emails = new Map<string, string>();
    const userRows: User[] = [];
    for (const [i, u] of shape.users.entries()) {
      const employer = rows[u.employer % rows.length];
      const email = `run${run}-user${i}@iso.example`;
      const user = tx.create(User, { employer, givenName: 'Iso', familyName: `Run${run} ${i}`, email, profileState: ProfileState.COMPLETE });
      tx.create(FederatedIdentity, { user, issuer: hub.app.devIssuer!.issuer, subject: email });
      const placements: string[] = [];
      if (u.placed !== null) {
        const at = rows[u.placed % rows.length];
        tx.create(Placement, { user, organisation: at, validFrom: new Date(Date.now() - 86_400_000) });
        placements.push(at.id);
      }
      userRows.push(user);
      users.set(user.id, { id: user.id, employer: employer.id, placements });
      emails.set(user.id, email);
    }
    for (const u of [karin, sofie]) {
      users.set(u.id, { id: u.id, employer: u.employer.id, placements: [] });
      emails.set(u.id, u.email!);
    }

    const grants = shape.grants.map((g) => {
      const service: Svc = g.vias ? 'VIAS' : 'SUS';
      const user = userRows[g.user % userRows.length];
      const row = tx.create(Grant, { user, service: services[service], role: roles[service], scope: user.employer, validFrom: new Date(), issuedBy: services[service].owner, state: GrantState.ACTIVE });
      return { id: row.id, user: user.id, service };
    });

    const now = Date.now();
    const mandates: MMandate[] = [];
    const admins = [
      { user: karin.id, org: services.SUS.owner.id, service: 'SUS' as Svc, active: true },
      { user: sofie.id, org: services.VIAS.owner.id, service: 'VIAS' as Svc, active: true },
    ];
    for (const m of shape.mandates) {
      const service: Svc = m.vias ? 'VIAS' : 'SUS';
      const org = rows[m.org % rows.length];
      if (mandates.some((x) => x.org === org.id && x.service === service)) continue;
      const validFrom = new Date(m.status === 'future' ? now + 86_400_000 : now - 10 * 86_400_000);
      const validTo = m.status === 'expired' ? new Date(now - 86_400_000) : null;
      const row = tx.create(IssuerMandate, {
        service: services[service],
        organisation: org,
        state: m.status === 'ended' ? MandateState.ENDED : MandateState.ACTIVE,
        agreementReference: 'ISO',
        agreementSignatory: 'ISO',
        agreementDocument: document,
        validFrom,
        validTo,
        routine: routines[service],
        grantedBy: karin,
      });
      mandates.push({ id: row.id, org: org.id, service, active: m.status === 'active' });
      // The administrator is someone employed inside the organisation, if there is anyone.
      const inside = userRows.filter((u) => rows.find((r) => r.id === users.get(u.id)!.employer)!.path.startsWith(org.path));
      if (inside.length) {
        const admin = inside[m.admin % inside.length];
        tx.create(IssuerAdministrator, { user: admin, service: services[service], organisation: org, state: AdministratorState.ACTIVE });
        admins.push({ user: admin.id, org: org.id, service, active: true });
      }
    }

    const appointments: MAppointment[] = [];
    for (const a of shape.appointments) {
      const service: Svc = a.vias ? 'VIAS' : 'SUS';
      const user = userRows[a.user % userRows.length];
      const scope = rows[a.scope % rows.length];
      const row = tx.create(OrdererAppointment, {
        user,
        service: services[service],
        scope,
        state: a.state as AppointmentState,
        validFrom: new Date(now - 5 * 86_400_000),
        validTo: a.current ? null : new Date(now - 86_400_000),
        requestForm: document,
        routine: routines[service],
        requestedBy: user,
      });
      appointments.push({ id: row.id, user: user.id, scope: scope.id, service, state: a.state, current: a.current });
    }

    const model = new Model(orgs, users, grants, mandates, admins, appointments, { SUS: services.SUS.owner.id, VIAS: services.VIAS.owner.id });
    return {
      model,
      emails,
      ids: {
        users: userRows.map((u) => u.id),
        grants: grants.map((g) => g.id),
        orgs: rows.map((o) => o.id),
        mandates: mandates.map((m) => m.id),
        appointments: appointments.map((a) => a.id),
      },
    };
  });
}
