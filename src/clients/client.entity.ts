import { defineEntity, p } from '@mikro-orm/core';
import { uuidv7 } from '../db/ids.js';
import { Organisation } from '../organisations/organisation.entity.js';
import { Service } from '../services/service.entity.js';
import { User } from '../users/user.entity.js';

/**
 * A system acting for a service (its back end reading who may use it) or for an organisation (an
 * agency's HR system or identity provider). Exactly one of `service` and `organisation` is set
 * (check clients_acts_for_one); it reaches no more than that service or that organisation's subtree.
 */
export const ClientSchema = defineEntity({
  name: 'Client',
  tableName: 'clients',
  properties: {
    id: p.uuid().primary().onCreate(() => uuidv7()),
    name: p.string().length(100).unique('clients_name_unique'),
    service: () => p.manyToOne(Service).nullable().index(),
    organisation: () => p.manyToOne(Organisation).nullable().index(),
    suspendedAt: p.datetime().nullable(),
    suspendReason: p.text().nullable(),
    createdBy: () => p.manyToOne(User).nullable(),
    createdAt: p.datetime().onCreate(() => new Date()),
  },
  checks: [{ name: 'clients_acts_for_one', expression: '(service_id is null) <> (organisation_id is null)' }],
});
export class Client extends ClientSchema.class {}
ClientSchema.setClass(Client);

/** The OAuth `client_id` (or `azp`) a trusted issuer puts in the client's client-credentials tokens. */
export const ClientCredentialSchema = defineEntity({
  name: 'ClientCredential',
  tableName: 'client_credentials',
  properties: {
    id: p.uuid().primary().onCreate(() => uuidv7()),
    client: () => p.manyToOne(Client).index(),
    issuer: p.string().length(500),
    oauthClientId: p.string().length(255),
    createdAt: p.datetime().onCreate(() => new Date()),
  },
  uniques: [{ name: 'client_credentials_issuer_client_unique', properties: ['issuer', 'oauthClientId'] }],
});
export class ClientCredential extends ClientCredentialSchema.class {}
ClientCredentialSchema.setClass(ClientCredential);
