import { useState } from 'preact/hooks';
import { html } from '../lib.js';
import { gql, problemsOf, upload } from '../api.js';
import { t } from '../i18n.js';
import { Problems, Status, useQuery } from './common.js';

const OPTIONS = `query RegisterOptions {
  session { registered }
  me { id givenName familyName email phone profileComplete grants(first: 1, state: ACTIVE) { totalCount } }
  selfRegistrationOrganisations { id name kind }
  services(first: 20) { nodes { id code name subAreas { id name } roles { id code name quotaOfMyOrganisation { used limit full } } } }
}`;
const RULES = `query Rules($kind: OrganisationKind) { services(first: 20) { nodes { id routineInForce(organisationKind: $kind) { rules { selfRegistration roles { role attachments attachmentsPerSubArea } } } } } }`;
const MINE = `{ orders(first: 20) { nodes { id state submittedAt decisionReason service { code } role { name } subAreas { name } } } }`;
const SUBMIT = `mutation($input: SelfRegistrationSubmitInput!) { selfRegistrationSubmit(input: $input) { order { id state } userErrors { code field message } } }`;
const PROFILE = `mutation($input: ProfileCompleteInput!) { profileComplete(input: $input) { user { id profileComplete } userErrors { code field message } } }`;

async function loadOptions() {
  const data = await gql(OPTIONS);
  const kind = data.selfRegistrationOrganisations[0]?.kind ?? null;
  const rules = await gql(RULES, { kind });
  const byService = new Map(rules.services.nodes.map((s) => [s.id, s.routineInForce?.rules]));
  const services = data.services.nodes.filter((s) => byService.get(s.id)?.selfRegistration).map((s) => ({ ...s, rules: byService.get(s.id) }));
  const mine = data.me ? (await gql(MINE)).orders.nodes : [];
  return { ...data, services, mine };
}

function Field({ id, label, ...props }) {
  return html`<div class="field"><label for=${id}>${label}</label><input id=${id} name=${id} ...${props} /></div>`;
}

function ProfileForm({ me, onDone }) {
  const [problems, setProblems] = useState([]);
  const submit = async (e) => {
    e.preventDefault();
    const f = new FormData(e.target);
    const input = { givenName: f.get('givenName'), familyName: f.get('familyName'), email: f.get('email'), phone: f.get('phone') };
    try {
      const payload = (await gql(PROFILE, { input })).profileComplete;
      const messages = problemsOf(payload);
      messages.length ? setProblems(messages) : onDone();
    } catch (err) {
      setProblems([err.message]);
    }
  };
  return html`<section aria-labelledby="profile-title"><h2 id="profile-title">${t('profile.title')}</h2><p>${t('profile.intro')}</p>
    <form onSubmit=${submit}>
      <${Field} id="givenName" label=${t('register.givenName')} required autocomplete="given-name" value=${me.givenName} />
      <${Field} id="familyName" label=${t('register.familyName')} required autocomplete="family-name" value=${me.familyName} />
      <${Field} id="email" label=${t('register.email')} type="email" required autocomplete="email" value=${me.email ?? ''} />
      <${Field} id="phone" label=${t('register.phone')} type="tel" required autocomplete="tel" value=${me.phone ?? ''} />
      <${Problems} messages=${problems} />
      <button type="submit">${t('profile.save')}</button>
    </form></section>`;
}

function RegistrationForm({ data, onDone }) {
  const organisation = data.selfRegistrationOrganisations[0];
  const [serviceId, setServiceId] = useState(data.services[0]?.id);
  const service = data.services.find((s) => s.id === serviceId);
  const [roleId, setRoleId] = useState(service?.roles[0]?.id);
  const role = service?.roles.find((r) => r.id === roleId) ?? service?.roles[0];
  const rule = service?.rules.roles.find((r) => r.role === role?.code);
  const [areas, setAreas] = useState(new Set());
  const [problems, setProblems] = useState([]);
  const [busy, setBusy] = useState(false);
  if (!organisation) return html`<p>${t('register.noOrganisation')}</p>`;
  if (!service) return null;
  const perArea = rule?.attachmentsPerSubArea && rule.attachments.includes('CV');
  const approval = rule?.attachments.includes('MANAGER_APPROVAL');
  const submit = async (e) => {
    e.preventDefault();
    const f = new FormData(e.target);
    const chosen = service.subAreas.filter((a) => areas.has(a.id));
    const attachments = [];
    const files = {};
    const add = (kind, file, subArea) => {
      if (!file || !file.size) return;
      files[`input.attachments.${attachments.length}.file`] = file;
      attachments.push({ kind, file: null, ...(subArea ? { subArea } : {}) });
    };
    if (perArea) for (const a of chosen) add('CV', f.get(`cv-${a.id}`), a.id);
    if (approval) add('MANAGER_APPROVAL', f.get('approval'));
    const input = {
      organisation: organisation.id, service: service.id, role: role.id, subAreas: chosen.map((a) => a.id),
      givenName: f.get('givenName'), familyName: f.get('familyName'), email: f.get('email'), phone: f.get('phone'), attachments,
    };
    setBusy(true);
    try {
      const payload = (await upload(SUBMIT, { input }, files)).selfRegistrationSubmit;
      const messages = problemsOf(payload);
      messages.length ? setProblems(messages) : onDone();
    } catch (err) {
      if (!err.stepUp) setProblems([err.message]);
    } finally {
      setBusy(false);
    }
  };
  const quota = role?.quotaOfMyOrganisation;
  return html`<form onSubmit=${submit}>
    <p><strong>${t('register.organisation')}:</strong> ${organisation.name}</p>
    <div class="field"><label for="service">${t('register.service')}</label>
      <select id="service" value=${serviceId} onChange=${(e) => { setServiceId(e.target.value); setRoleId(undefined); }}>
        ${data.services.map((s) => html`<option value=${s.id}>${s.name}</option>`)}</select></div>
    <div class="field"><label for="role">${t('register.role')}</label>
      <select id="role" value=${role?.id} onChange=${(e) => setRoleId(e.target.value)}>
        ${service.roles.map((r) => html`<option value=${r.id}>${r.name}</option>`)}</select></div>
    ${quota && html`<p data-testid="quota" class=${quota.full ? 'error' : ''}>${quota.full ? t('register.quotaFull', quota) : t('register.quota', quota)}</p>`}
    <${Field} id="givenName" label=${t('register.givenName')} required autocomplete="given-name" />
    <${Field} id="familyName" label=${t('register.familyName')} required autocomplete="family-name" />
    <${Field} id="email" label=${t('register.email')} type="email" required autocomplete="email" />
    <${Field} id="phone" label=${t('register.phone')} type="tel" required autocomplete="tel" />
    ${service.subAreas.length > 0 && html`<fieldset><legend>${t('register.subAreas')}</legend>
      ${service.subAreas.map((a) => html`<div class="check"><input type="checkbox" id=${`area-${a.id}`} checked=${areas.has(a.id)}
        onChange=${(e) => { const next = new Set(areas); e.target.checked ? next.add(a.id) : next.delete(a.id); setAreas(next); }} />
        <label for=${`area-${a.id}`}>${a.name}</label></div>`)}</fieldset>`}
    ${perArea && service.subAreas.filter((a) => areas.has(a.id)).map((a) => html`<${Field} id=${`cv-${a.id}`} label=${t('register.cvFor', { name: a.name })} type="file" required accept=".pdf,.docx,application/pdf" />`)}
    ${approval && html`<${Field} id="approval" label=${t('register.approval')} type="file" required accept=".pdf,application/pdf" />`}
    <${Problems} messages=${problems} />
    <button type="submit" disabled=${busy}>${t('register.submit')}</button>
  </form>`;
}

export function RegisterPage({ reload: reloadSession }) {
  const [data, error, reload] = useQuery(loadOptions);
  const [sent, setSent] = useState(false);
  const needsProfile = data?.me && !data.me.profileComplete && data.me.grants.totalCount > 0;
  return html`<h1 tabindex="-1">${t('register.title')}</h1>
    <${Status} data=${data} error=${error} />
    <p role="status" class="notice">${sent ? t('register.sent') : ''}</p>
    ${data && needsProfile && html`<${ProfileForm} me=${data.me} onDone=${() => { reload(); reloadSession(); location.hash = '#/access'; }} />`}
    ${data && !needsProfile && html`<${RegistrationForm} data=${data} onDone=${() => { location.hash = '#/register'; setSent(true); reload(); reloadSession(); }} />`}
    ${data && html`<section aria-labelledby="mine-title"><h2 id="mine-title">${t('register.state')}</h2>
      ${data.mine.length === 0 ? html`<p>${t('register.noneYet')}</p>` : html`<ul class="plain" data-testid="my-registrations">${data.mine.map((o) => html`<li>
        ${o.service.code} · ${o.role.name}${o.subAreas.length ? ` (${o.subAreas.map((a) => a.name).join(', ')})` : ''}: <strong>${t(`state.${o.state}`)}</strong>
        ${o.decisionReason ? ` — ${o.decisionReason}` : ''}</li>`)}</ul>`}</section>`}`;
}
