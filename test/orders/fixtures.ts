import { FederatedIdentity } from '../../src/identities/federated-identity.entity.js';
import { Organisation } from '../../src/organisations/organisation.entity.js';
import { ProfileState, User } from '../../src/users/user.entity.js';
import type { TestHub } from '../support/hub.js';

/** Creates people employed at an organisation who can sign in with the dev issuer (sub = email). */
export async function hire(hub: TestHub, organisationName: string, count: number, prefix: string): Promise<string[]> {
  const em = hub.db.orm.em.fork();
  return em.transactional(async (tx) => {
    const employer = await tx.findOneOrFail(Organisation, { name: organisationName });
    const emails: string[] = [];
    for (let i = 0; i < count; i++) {
      const email = `${prefix}${i}@example.org`;
      const user = tx.create(User, { employer, givenName: `${prefix}`, familyName: `Person ${String(i).padStart(4, '0')}`, email, profileState: ProfileState.COMPLETE });
      tx.create(FederatedIdentity, { user, issuer: hub.app.devIssuer!.issuer, subject: email });
      emails.push(email);
    }
    return emails;
  });
}
