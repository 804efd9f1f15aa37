import { useEffect, useState } from 'preact/hooks';
import { html } from '../lib.js';
import { gql } from '../api.js';
import { t } from '../i18n.js';
import { change, Problems, SearchBox, Status, useDebounced, useQuery, validity } from './common.js';

const PAGE_SIZE = 20;
const APPOINTMENTS = `query Appointments($after: String, $state: AppointmentState) {
  ordererAppointments(first: ${PAGE_SIZE}, after: $after, state: $state) { totalCount pageInfo { hasNextPage endCursor }
    nodes { id state validFrom validTo createdAt user { displayName email } scope { name } service { code } } }
}`;
const APPOINTMENT_PAYLOAD = '{ ordererAppointment { id state } userErrors { code field message } }';
const DECIDE = {
  approve: `mutation($id: ID!, $input: OrdererAppointmentDecisionInput) { result: ordererAppointmentApprove(id: $id, input: $input) ${APPOINTMENT_PAYLOAD} }`,
  reject: `mutation($id: ID!, $input: OrdererAppointmentDecisionInput!) { result: ordererAppointmentReject(id: $id, input: $input) ${APPOINTMENT_PAYLOAD} }`,
  revoke: `mutation($id: ID!, $input: OrdererAppointmentDecisionInput!) { result: ordererAppointmentRevoke(id: $id, input: $input) ${APPOINTMENT_PAYLOAD} }`,
};
const STATES = ['REQUESTED', 'APPROVED', 'REJECTED', 'REVOKED'];
const DONE = { approve: 'orderers.approved', reject: 'orderers.rejected', revoke: 'orderers.revoked' };

function Appointment({ a, onDone }) {
  const [problems, setProblems] = useState([]);
  const id = `appointment-${a.id}`;
  const act = (action) => async (e) => {
    const form = e.target.closest('form');
    const reason = new FormData(form).get('reason') || null;
    if (action !== 'approve' && !reason) return setProblems([t('admin.reasonNeeded')]);
    if (await change(DECIDE[action], { id: a.id, input: reason ? { reason } : null }, 'result', setProblems)) onDone(t(DONE[action], { name: a.user.displayName }));
  };
  return html`<tr><td>${a.user.displayName} <span class="muted">${a.user.email ?? ''}</span></td><td>${a.scope.name}</td><td>${a.service.code}</td>
    <td>${t(`appointment.${a.state}`)}</td><td>${validity(a.validFrom, a.validTo)}</td>
    <td>${(a.state === 'REQUESTED' || a.state === 'APPROVED') && html`<form onSubmit=${(e) => e.preventDefault()} aria-label=${t('orderers.decideFor', { name: a.user.displayName })}>
      <div class="field"><label for=${`${id}-reason`}>${t('admin.reason')}</label><input id=${`${id}-reason`} name="reason" maxlength="2000" /></div>
      <${Problems} messages=${problems} />
      <div class="actions">${a.state === 'REQUESTED'
        ? html`<button type="button" onClick=${act('approve')}>${t('orderers.approve')}</button><button type="button" class="danger" onClick=${act('reject')}>${t('orderers.reject')}</button>`
        : html`<button type="button" class="danger" onClick=${act('revoke')}>${t('orderers.revoke')}</button>`}</div></form>`}</td></tr>`;
}

/** Orderer appointments of the people the person administers: approve or reject a request, revoke an appointment. */
export function OrderersPanel() {
  const [state, setState] = useState('');
  const [after, setAfter] = useState(null);
  const [notice, setNotice] = useState('');
  useEffect(() => setAfter(null), [state]);
  const [data, error, reload] = useQuery(() => gql(APPOINTMENTS, { after, state: state || null }), [after, state]);
  const done = (message) => {
    setNotice(message);
    reload();
  };
  return html`<section aria-labelledby="orderers-title"><h2 id="orderers-title">${t('orderers.title', { n: data?.ordererAppointments.totalCount ?? '…' })}</h2>
    <p role="status" class="notice">${notice}</p>
    <div class="field"><label for="appointment-state">${t('orderers.state')}</label>
      <select id="appointment-state" value=${state} onChange=${(e) => setState(e.target.value)}>
        <option value="">${t('orderers.all')}</option>${STATES.map((s) => html`<option value=${s}>${t(`appointment.${s}`)}</option>`)}</select></div>
    <${Status} data=${data} error=${error} />
    ${data && html`<table class="list" data-testid="appointments"><thead><tr><th scope="col">${t('decide.person')}</th><th scope="col">${t('orderers.scope')}</th>
      <th scope="col">${t('register.service')}</th><th scope="col">${t('orderers.state')}</th><th scope="col">${t('orderers.validity')}</th>
      <th scope="col"><span class="sr-only">${t('admin.actions')}</span></th></tr></thead>
      <tbody>${data.ordererAppointments.nodes.map((a) => html`<${Appointment} key=${a.id} a=${a} onDone=${done} />`)}</tbody></table>
      <div class="actions">
        ${after && html`<button type="button" class="secondary" onClick=${() => setAfter(null)}>${t('order.first')}</button>`}
        ${data.ordererAppointments.pageInfo.hasNextPage && html`<button type="button" class="secondary" onClick=${() => setAfter(data.ordererAppointments.pageInfo.endCursor)}>${t('more')}</button>`}
      </div>`}</section>`;
}

const MANDATES = `query Mandates($after: String) {
  issuerMandates(first: ${PAGE_SIZE}, after: $after) { totalCount pageInfo { hasNextPage endCursor }
    nodes { id state validFrom validTo agreementReference organisation { id name } service { code }
      supportContact { email phone instructions } administrators { id displayName email } } }
}`;
const MANDATE_PAYLOAD = '{ issuerMandate { id } userErrors { code field message } }';
const UPDATE = `mutation($id: ID!, $input: IssuerMandateUpdateInput!) { result: issuerMandateUpdate(id: $id, input: $input) ${MANDATE_PAYLOAD} }`;
const END = `mutation($id: ID!, $input: IssuerMandateEndInput!) { result: issuerMandateEnd(id: $id, input: $input) ${MANDATE_PAYLOAD} }`;
const ADMIN_ADD = `mutation($id: ID!, $input: IssuerMandateAdministratorInput!) { result: issuerMandateAdministratorAdd(id: $id, input: $input) ${MANDATE_PAYLOAD} }`;
const ADMIN_REMOVE = `mutation($id: ID!, $input: IssuerMandateAdministratorInput!) { result: issuerMandateAdministratorRemove(id: $id, input: $input) ${MANDATE_PAYLOAD} }`;
const HOLDER_PEOPLE = `query Holder($organisation: ID!, $search: String) { users(organisation: $organisation, search: $search, first: 20) { nodes { id displayName email } } }`;

/** A person of one organisation, chosen from a search on the hub. */
function PersonPicker({ id, organisation, onPick }) {
  const [text, setText] = useState('');
  const search = useDebounced(text);
  const [data] = useQuery(() => gql(HOLDER_PEOPLE, { organisation, search: search.trim() || null }), [search]);
  const nodes = data?.users.nodes ?? [];
  const [chosen, setChosen] = useState('');
  const value = nodes.some((u) => u.id === chosen) ? chosen : nodes[0]?.id ?? '';
  useEffect(() => onPick(value || null), [value]);
  return html`<${SearchBox} id=${`${id}-search`} label=${t('search.people')} value=${text} onSearch=${setText} />
    <div class="field"><label for=${id}>${t('mandates.person')}</label>
      <select id=${id} value=${value} onChange=${(e) => setChosen(e.target.value)}>${nodes.map((u) => html`<option value=${u.id}>${u.displayName} (${u.email ?? ''})</option>`)}</select></div>`;
}

function Mandate({ m, onDone }) {
  const [problems, setProblems] = useState([]);
  const [person, setPerson] = useState(null);
  const id = `mandate-${m.id}`;
  const run = async (query, input, message) => {
    if (await change(query, { id: m.id, input }, 'result', setProblems)) onDone(message);
  };
  const update = (e) => {
    e.preventDefault();
    const f = new FormData(e.target);
    const validTo = f.get('validTo') ? new Date(`${f.get('validTo')}T00:00:00Z`).toISOString() : null;
    const input = { reason: f.get('reason'), validTo, supportEmail: f.get('supportEmail') || null, supportPhone: f.get('supportPhone') || null, supportInstructions: f.get('supportInstructions') || null };
    return run(UPDATE, input, t('mandates.updated', { name: m.organisation.name }));
  };
  const admins = (query, userId, message) => (e) => {
    const reason = new FormData(e.target.closest('form')).get('reason');
    if (!reason) return setProblems([t('admin.reasonNeeded')]);
    if (!userId) return setProblems([t('mandates.pickPerson')]);
    return run(query, { person: userId, reason }, message);
  };
  const end = (e) => {
    e.preventDefault();
    return run(END, { reason: new FormData(e.target).get('reason') }, t('mandates.ended', { name: m.organisation.name }));
  };
  const active = m.state === 'ACTIVE';
  return html`<article class="card" data-testid="mandate" aria-labelledby=${`${id}-title`}>
    <h3 id=${`${id}-title`}>${m.organisation.name} · ${m.service.code}</h3>
    <dl class="facts"><dt>${t('orderers.state')}</dt><dd>${t(`mandate.${m.state}`)}</dd>
      <dt>${t('orderers.validity')}</dt><dd>${validity(m.validFrom, m.validTo)}</dd>
      <dt>${t('mandates.agreement')}</dt><dd>${m.agreementReference}</dd>
      <dt>${t('access.support')}</dt><dd>${[m.supportContact.email, m.supportContact.phone, m.supportContact.instructions].filter(Boolean).join(' · ') || '—'}</dd>
      <dt>${t('mandates.administrators')}</dt><dd>${m.administrators.map((a) => a.displayName).join(', ') || '—'}</dd></dl>
    <${Problems} messages=${problems} />
    ${active && html`<div class="grid">
      <form onSubmit=${update} aria-labelledby=${`${id}-update`}><h4 id=${`${id}-update`}>${t('mandates.update')}</h4>
        <div class="field"><label for=${`${id}-to`}>${t('mandates.validTo')}</label><input id=${`${id}-to`} name="validTo" type="date" value=${m.validTo?.slice(0, 10) ?? ''} /></div>
        <div class="field"><label for=${`${id}-email`}>${t('mandates.supportEmail')}</label><input id=${`${id}-email`} name="supportEmail" type="email" value=${m.supportContact.email ?? ''} /></div>
        <div class="field"><label for=${`${id}-phone`}>${t('mandates.supportPhone')}</label><input id=${`${id}-phone`} name="supportPhone" type="tel" value=${m.supportContact.phone ?? ''} /></div>
        <div class="field"><label for=${`${id}-instructions`}>${t('mandates.instructions')}</label><textarea id=${`${id}-instructions`} name="supportInstructions" rows="2" maxlength="4000">${m.supportContact.instructions ?? ''}</textarea></div>
        <div class="field"><label for=${`${id}-reason`}>${t('admin.reason')}</label><input id=${`${id}-reason`} name="reason" required maxlength="2000" /></div>
        <button type="submit">${t('mandates.save')}</button></form>
      <form onSubmit=${(e) => e.preventDefault()} aria-labelledby=${`${id}-admins`}><h4 id=${`${id}-admins`}>${t('mandates.administrators')}</h4>
        <${PersonPicker} id=${`${id}-person`} organisation=${m.organisation.id} onPick=${setPerson} />
        <div class="field"><label for=${`${id}-admin-reason`}>${t('admin.reason')}</label><input id=${`${id}-admin-reason`} name="reason" maxlength="2000" /></div>
        <div class="actions"><button type="button" onClick=${admins(ADMIN_ADD, person, t('mandates.adminAdded', { name: m.organisation.name }))}>${t('mandates.addAdmin')}</button></div>
        <ul class="plain">${m.administrators.map((a) => html`<li>${a.displayName}
          <button type="button" class="secondary" onClick=${admins(ADMIN_REMOVE, a.id, t('mandates.adminRemoved', { name: a.displayName }))}>${t('mandates.removeAdmin', { name: a.displayName })}</button></li>`)}</ul></form>
      <form onSubmit=${end} aria-labelledby=${`${id}-end`}><h4 id=${`${id}-end`}>${t('mandates.end')}</h4>
        <div class="field"><label for=${`${id}-end-reason`}>${t('admin.reason')}</label><input id=${`${id}-end-reason`} name="reason" required maxlength="2000" /></div>
        <button type="submit" class="danger">${t('mandates.endButton')}</button></form>
    </div>`}
  </article>`;
}

/** Issuer mandates the person may see (an authority: its service's; a holder: its own), maintained where the API lets them. */
export function MandatesPanel() {
  const [after, setAfter] = useState(null);
  const [notice, setNotice] = useState('');
  const [data, error, reload] = useQuery(() => gql(MANDATES, { after }), [after]);
  const done = (message) => {
    setNotice(message);
    reload();
  };
  return html`<section aria-labelledby="mandates-title"><h2 id="mandates-title">${t('mandates.title', { n: data?.issuerMandates.totalCount ?? '…' })}</h2>
    <p role="status" class="notice">${notice}</p>
    <${Status} data=${data} error=${error} />
    ${data?.issuerMandates.nodes.map((m) => html`<${Mandate} key=${m.id} m=${m} onDone=${done} />`)}
    ${data && html`<div class="actions">
      ${after && html`<button type="button" class="secondary" onClick=${() => setAfter(null)}>${t('order.first')}</button>`}
      ${data.issuerMandates.pageInfo.hasNextPage && html`<button type="button" class="secondary" onClick=${() => setAfter(data.issuerMandates.pageInfo.endCursor)}>${t('more')}</button>`}
    </div>`}</section>`;
}

const ROUTINES = `{ services(first: 20) { nodes { id code name routines(first: 10) { nodes { id name effectiveFrom organisationKind
  rules { decider selfRegistration orderingRequiresOrderer selfOrdering issuerThreshold grantsOnMove moveReviewDays eligibleOrganisationKinds } } } } } }`;

/** The services' routines, newest first as the API gives them: read here; a new one is published through the API (routineCreate). */
export function RoutinesPanel() {
  const [data, error] = useQuery(() => gql(ROUTINES), []);
  return html`<section aria-labelledby="routines-title"><h2 id="routines-title">${t('routines.title')}</h2>
    <${Status} data=${data} error=${error} />
    ${data?.services.nodes.map((s) => html`<table class="list" data-testid="routines"><caption>${s.name}</caption>
      <thead><tr><th scope="col">${t('routines.name')}</th><th scope="col">${t('routines.from')}</th><th scope="col">${t('units.kind')}</th>
        <th scope="col">${t('routines.rules')}</th></tr></thead>
      <tbody>${s.routines.nodes.map((r) => html`<tr><td>${r.name}</td><td>${r.effectiveFrom.slice(0, 10)}</td>
        <td>${r.organisationKind ? t(`kind.${r.organisationKind}`) : t('routines.allKinds')}</td>
        <td>${t('routines.summary', { decider: r.rules.decider, threshold: r.rules.issuerThreshold, move: r.rules.grantsOnMove })}
          ${r.rules.selfRegistration ? ` · ${t('routines.selfRegistration')}` : ''}${r.rules.orderingRequiresOrderer ? ` · ${t('routines.ordererNeeded')}` : ''}</td></tr>`)}</tbody></table>`)}
  </section>`;
}
