import { useEffect, useState } from 'preact/hooks';
import { html } from '../lib.js';
import { gql } from '../api.js';
import { t } from '../i18n.js';
import { change, OrganisationPicker, Problems, SearchBox, Status, today, useDebounced, useQuery } from './common.js';
import { UnitsPanel } from './admin-units.js';
import { MandatesPanel, OrderersPanel, RoutinesPanel } from './admin-delegation.js';

const PAGE_SIZE = 20;
// People come a page at a time from the server, searched there, whatever the size of the tree.
const PEOPLE = `query People($after: String, $search: String) {
  users(first: ${PAGE_SIZE}, after: $after, search: $search) { totalCount pageInfo { hasNextPage endCursor }
    nodes { id displayName email employer { id name } employments { validFrom validTo } } }
}`;
const CREATE = 'mutation($input: UserCreateInput!) { userCreate(input: $input) { user { id displayName } userErrors { code field message } } }';
const END = 'mutation($id: ID!, $input: UserEmploymentEndInput!) { userEmploymentEnd(id: $id, input: $input) { user { id } userErrors { code field message } } }';
const MOVE = 'mutation($id: ID!, $input: UserEmploymentMoveInput!) { userEmploymentMove(id: $id, input: $input) { user { id } userErrors { code field message } } }';

function EndEmployment({ person, onDone }) {
  const [problems, setProblems] = useState([]);
  const id = `end-${person.id}`;
  const submit = async (e) => {
    e.preventDefault();
    const f = new FormData(e.target);
    // "Last day" is a whole day: the employment ends when the day after it begins (UTC).
    const endDate = new Date(new Date(`${f.get('endDate')}T00:00:00Z`).getTime() + 86_400_000).toISOString();
    if (await change(END, { id: person.id, input: { endDate, reason: f.get('reason') } }, 'userEmploymentEnd', setProblems)) onDone(t('admin.ended', { name: person.displayName }));
  };
  return html`<form class="inline" onSubmit=${submit} aria-label=${t('admin.endFor', { name: person.displayName })}>
    <div class="field"><label for=${`${id}-date`}>${t('admin.endDate')}</label><input id=${`${id}-date`} name="endDate" type="date" required value=${today()} /></div>
    <div class="field"><label for=${`${id}-reason`}>${t('admin.reason')}</label><input id=${`${id}-reason`} name="reason" required maxlength="2000" /></div>
    <${Problems} messages=${problems} />
    <button type="submit" class="danger">${t('admin.end')}</button></form>`;
}

function MoveEmployment({ person, onDone }) {
  const [problems, setProblems] = useState([]);
  const [employer, setEmployer] = useState(null);
  const id = `move-${person.id}`;
  const submit = async (e) => {
    e.preventDefault();
    if (!employer) return setProblems([t('admin.pickEmployer')]);
    const f = new FormData(e.target);
    // Today means now (a move dated before the employment began is refused); another day, from its start (UTC).
    const date = f.get('date') === today() ? new Date().toISOString() : new Date(`${f.get('date')}T00:00:00Z`).toISOString();
    const input = { employerId: employer.id, date, reason: f.get('reason') };
    if (await change(MOVE, { id: person.id, input }, 'userEmploymentMove', setProblems)) onDone(t('admin.moved', { name: person.displayName, employer: employer.name }));
  };
  return html`<form class="inline" onSubmit=${submit} aria-label=${t('admin.moveFor', { name: person.displayName })}>
    <${OrganisationPicker} id=${`${id}-employer`} label=${t('admin.newEmployer')} exclude=${person.employer.id} onPick=${setEmployer} />
    <div class="field"><label for=${`${id}-date`}>${t('admin.moveDate')}</label><input id=${`${id}-date`} name="date" type="date" required value=${today()} /></div>
    <div class="field"><label for=${`${id}-reason`}>${t('admin.reason')}</label><input id=${`${id}-reason`} name="reason" required maxlength="2000" /></div>
    <${Problems} messages=${problems} />
    <button type="submit">${t('admin.move')}</button></form>`;
}

function PeoplePanel() {
  const [after, setAfter] = useState(null);
  const [text, setText] = useState('');
  const search = useDebounced(text);
  useEffect(() => setAfter(null), [search]);
  const [data, error, reload] = useQuery(() => gql(PEOPLE, { after, search: search.trim() || null }), [after, search]);
  const [problems, setProblems] = useState([]);
  const [notice, setNotice] = useState('');
  const [open, setOpen] = useState(null);
  const [employer, setEmployer] = useState(null);
  const create = async (e) => {
    e.preventDefault();
    const form = e.target;
    if (!employer) return setProblems([t('admin.pickEmployer')]);
    const f = new FormData(form);
    const input = { givenName: f.get('givenName'), familyName: f.get('familyName'), email: f.get('email'), employerId: employer.id };
    const payload = await change(CREATE, { input }, 'userCreate', setProblems);
    if (!payload) return;
    setNotice(t('admin.added', { name: payload.user.displayName }));
    form.reset();
    reload();
  };
  const done = (message) => {
    setOpen(null);
    setNotice(message);
    reload();
  };
  return html`<p role="status" class="notice">${notice}</p>
    <section aria-labelledby="add-title"><h2 id="add-title">${t('admin.add')}</h2>
      <form onSubmit=${create}>
        <div class="field"><label for="new-given">${t('register.givenName')}</label><input id="new-given" name="givenName" required maxlength="100" /></div>
        <div class="field"><label for="new-family">${t('register.familyName')}</label><input id="new-family" name="familyName" required maxlength="100" /></div>
        <div class="field"><label for="new-email">${t('register.email')}</label><input id="new-email" name="email" type="email" required /></div>
        <${OrganisationPicker} id="new-employer" label=${t('access.employer')} onPick=${setEmployer} />
        <${Problems} messages=${problems} />
        <button type="submit">${t('admin.addButton')}</button>
      </form></section>
    <section aria-labelledby="people-title"><h2 id="people-title">${t('admin.people', { n: data?.users.totalCount ?? '…' })}</h2>
      <${SearchBox} id="people-search" label=${t('search.people')} value=${text} onSearch=${setText} />
      <${Status} data=${data} error=${error} />
      ${data && html`<table class="list" data-testid="people"><thead><tr><th scope="col">${t('decide.person')}</th><th scope="col">${t('access.employer')}</th>
        <th scope="col">${t('admin.employment')}</th><th scope="col"><span class="sr-only">${t('admin.actions')}</span></th></tr></thead>
      <tbody>${data.users.nodes.map((u) => {
        // Newest first, as the API gives them.
        const current = u.employments[0];
        const action = open?.id === u.id ? open.action : null;
        return html`<tr><td>${u.displayName} <span class="muted">${u.email ?? ''}</span></td><td>${u.employer.name}</td>
          <td>${current ? (current.validTo ? t('validity.range', { from: current.validFrom.slice(0, 10), to: current.validTo.slice(0, 10) }) : t('validity.from', { from: current.validFrom.slice(0, 10) })) : ''}</td>
          <td>${action === 'end' ? html`<${EndEmployment} person=${u} onDone=${done} />`
            : action === 'move' ? html`<${MoveEmployment} person=${u} onDone=${done} />`
            : !current?.validTo && html`<div class="actions">
              <button type="button" class="secondary" onClick=${() => setOpen({ id: u.id, action: 'move' })}>${t('admin.moveFor', { name: u.displayName })}</button>
              <button type="button" class="secondary" onClick=${() => setOpen({ id: u.id, action: 'end' })}>${t('admin.endFor', { name: u.displayName })}</button></div>`}</td></tr>`;
      })}</tbody></table>
      <div class="actions">
        ${after && html`<button type="button" class="secondary" onClick=${() => setAfter(null)}>${t('order.first')}</button>`}
        ${data.users.pageInfo.hasNextPage && html`<button type="button" class="secondary" onClick=${() => setAfter(data.users.pageInfo.endCursor)}>${t('more')}</button>`}
      </div>`}</section>`;
}

const PANELS = [
  { key: 'people', label: 'admin.tab.people', Panel: PeoplePanel },
  { key: 'units', label: 'admin.tab.units', Panel: UnitsPanel },
  { key: 'orderers', label: 'admin.tab.orderers', Panel: OrderersPanel },
  { key: 'mandates', label: 'admin.tab.mandates', Panel: MandatesPanel },
  { key: 'routines', label: 'admin.tab.routines', Panel: RoutinesPanel },
];

/** People, units, orderer appointments, mandates and routines, each as far as the API lets the person go. */
export function AdministerPage() {
  const [panel, setPanel] = useState('people');
  const current = PANELS.find((p) => p.key === panel);
  return html`<h1 tabindex="-1">${t('admin.title')}</h1>
    <nav aria-label=${t('admin.sections')} class="sub"><ul>
      ${PANELS.map((p) => html`<li><button type="button" class=${p.key === panel ? '' : 'secondary'} aria-pressed=${p.key === panel ? 'true' : 'false'}
        onClick=${() => setPanel(p.key)}>${t(p.label)}</button></li>`)}
    </ul></nav>
    <${current.Panel} key=${current.key} />`;
}
