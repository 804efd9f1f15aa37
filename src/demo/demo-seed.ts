import type { Em } from '../db/orm.js';
import { Grant } from '../grants/grant.entity.js';
import { FederatedIdentity } from '../identities/federated-identity.entity.js';
import { Organisation } from '../organisations/organisation.entity.js';
import { createOrganisation } from '../organisations/organisation.service.js';
import { Service, ServiceRole, SubArea } from '../services/service.entity.js';
import { Placement, ProfileState, User } from '../users/user.entity.js';
import { Client, ClientCredential } from '../clients/client.entity.js';
import { demoAuthorityAdministrators, demoClients, demoRegistrationNumber, demoServices, demoUsers, flattenDemoOrganisations } from './demo-data.js';
import { IssuerAdministrator } from '../issuers/issuer-mandate.entity.js';
import { Routine } from '../routines/routine.entity.js';
import { seedRoutines } from '../routines/routine.seed.js';

/** Loads the demo dataset into an empty database; does nothing when any organisation exists. */
export async function seedDemo(em: Em, devIssuer: string): Promise<boolean> {
  return em.transactional(async (tx) => {
    if ((await tx.count(Organisation, {})) > 0) return false;
    const orgs = new Map<string, Organisation>();
    for (const { org, parent } of flattenDemoOrganisations()) {
      const created = createOrganisation(tx, {
        kind: org.kind,
        name: org.name,
        registrationNumber: org.registrationNumber ?? null,
        parent: parent ? orgs.get(parent)! : null,
      });
      orgs.set(org.key, created);
    }
    const services = new Map<string, { service: Service; roles: Map<string, ServiceRole>; subAreas: Map<string, SubArea> }>();
    for (const def of demoServices) {
      const service = tx.create(Service, { code: def.code, name: def.name, description: def.description, owner: orgs.get(def.owner)! });
      const roles = new Map(def.roles.map((r) => [r.code, tx.create(ServiceRole, { ...r, service })]));
      const subAreas = new Map(def.subAreas.map((a) => [a.code, tx.create(SubArea, { ...a, service })]));
      services.set(def.code, { service, roles, subAreas });
    }
    for (const r of seedRoutines) {
      tx.create(Routine, { service: services.get(r.service)!.service, organisationKind: r.kind, effectiveFrom: new Date(`${r.from}T00:00:00Z`), name: r.name, rules: r.rules });
    }
    const validFrom = new Date('2024-04-21T00:00:00Z');
    const users = new Map<string, User>();
    for (const def of demoUsers) {
      const user = tx.create(User, {
        employer: orgs.get(def.employer)!,
        givenName: def.givenName,
        familyName: def.familyName,
        email: def.email,
        phone: def.phone ?? null,
        profileState: ProfileState.COMPLETE,
      });
      users.set(def.email, user);
      tx.create(FederatedIdentity, {
        user,
        issuer: devIssuer,
        subject: def.email,
        registrationNumber: demoRegistrationNumber(def.employer) ?? null,
        assuranceLevel: def.assuranceLevel,
      });
      if (def.placedAt) tx.create(Placement, { user, organisation: orgs.get(def.placedAt)!, validFrom });
      for (const g of def.grants) {
        const svc = services.get(g.service)!;
        const grant = tx.create(Grant, {
          user,
          service: svc.service,
          role: svc.roles.get(g.role)!,
          scope: orgs.get(g.scope)!,
          validFrom,
          issuedBy: svc.service.owner,
        });
        for (const code of g.subAreas ?? []) grant.subAreas.add(svc.subAreas.get(code)!);
      }
    }
    for (const a of demoAuthorityAdministrators) {
      const service = services.get(a.service)!.service;
      tx.create(IssuerAdministrator, { user: users.get(a.email)!, service, organisation: service.owner });
    }
    for (const c of demoClients) {
      const client = tx.create(Client, {
        name: c.name,
        service: c.service ? services.get(c.service)!.service : null,
        organisation: c.organisation ? orgs.get(c.organisation)! : null,
      });
      tx.create(ClientCredential, { client, issuer: devIssuer, oauthClientId: c.name });
    }
    return true;
  });
}
