import { html } from '../lib.js';
import { gql } from '../api.js';
import { t } from '../i18n.js';
import { Status, useQuery, validity } from './common.js';

const ACCESS = `query Access {
  me { id displayName email employer { name }
    grants(first: 50) { totalCount nodes { id state usable validFrom validTo service { id code name } role { name } scope { name } subAreas { name } issuedBy { name } } } }
  services(first: 7) { nodes { id code name } }
}`;

/** The responsible issuer and support contact per service, in one request (two aliases per service). */
async function loadAccess() {
  const data = await gql(ACCESS);
  if (!data.me) return { ...data, issuers: [] };
  const services = data.services.nodes;
  const fields = services.map((_, i) => `i${i}: responsibleIssuer(service: $s${i}) { name } c${i}: supportContact(service: $s${i}) { email phone instructions }`).join(' ');
  const vars = services.map((_, i) => `$s${i}: ID!`).join(', ');
  const issuers = services.length
    ? await gql(`query Issuers(${vars}) { me { ${fields} } }`, Object.fromEntries(services.map((s, i) => [`s${i}`, s.id])))
    : { me: {} };
  return { ...data, issuers: services.map((s, i) => ({ service: s, issuer: issuers.me[`i${i}`], contact: issuers.me[`c${i}`] })) };
}

export function AccessPage() {
  const [data, error] = useQuery(loadAccess);
  const me = data?.me;
  return html`<h1 tabindex="-1">${t('access.title')}</h1>
    <${Status} data=${data} error=${error} />
    ${me && html`
      <p>${me.displayName} · ${me.email ?? ''} · ${t('access.employer')}: ${me.employer.name}</p>
      <section aria-labelledby="grants-title">
        <h2 id="grants-title">${t('access.grants')}</h2>
        ${me.grants.nodes.length === 0 ? html`<p>${t('access.none')}</p>` : html`<table class="list" data-testid="my-grants">
          <thead><tr><th scope="col">${t('access.service')}</th><th scope="col">${t('access.role')}</th><th scope="col">${t('access.scope')}</th>
            <th scope="col">${t('access.subAreas')}</th><th scope="col">${t('access.state')}</th><th scope="col">${t('access.validity')}</th></tr></thead>
          <tbody>${me.grants.nodes.map((g) => html`<tr>
            <td>${g.service.code}</td><td>${g.role.name}</td><td>${g.scope.name}</td><td>${g.subAreas.map((a) => a.name).join(', ')}</td>
            <td>${t(`state.${g.state}`)}</td><td>${validity(g.validFrom, g.validTo)}</td></tr>`)}</tbody>
        </table>`}
      </section>
      <section aria-labelledby="issuers-title">
        <h2 id="issuers-title">${t('access.issuer')}</h2>
        <dl class="issuers" data-testid="issuers">${data.issuers.map(({ service, issuer, contact }) => html`
          <dt>${service.name} (${service.code})</dt>
          <dd>${issuer ? issuer.name : t('access.noIssuer')}
            ${contact && (contact.email || contact.phone || contact.instructions) && html`<br />${t('access.support')}:
              ${contact.email && html` <a href=${`mailto:${contact.email}`}>${contact.email}</a>`} ${contact.phone ?? ''} ${contact.instructions ?? ''}`}</dd>`)}
        </dl>
      </section>`}`;
}
