import { useState } from 'preact/hooks';
import { html } from '../lib.js';
import { gql, problemsOf } from '../api.js';
import { t } from '../i18n.js';
import { Problems, Status, useQuery } from './common.js';

const PAGE_SIZE = 20;
// People and organisations come a page at a time from the server, whatever the size of the tree.
const PEOPLE = `query People($after: String) {
  users(first: ${PAGE_SIZE}, after: $after) { totalCount pageInfo { hasNextPage endCursor }
    nodes { id displayName email employer { name } employments { validFrom validTo } } }
  organisations(first: 50) { nodes { id name } }
}`;
const CREATE = 'mutation($input: UserCreateInput!) { userCreate(input: $input) { user { id displayName } userErrors { code field message } } }';
const END = 'mutation($id: ID!, $input: UserEmploymentEndInput!) { userEmploymentEnd(id: $id, input: $input) { user { id } userErrors { code field message } } }';

function today() {
  return new Date().toISOString().slice(0, 10);
}

function EndEmployment({ person, onDone }) {
  const [problems, setProblems] = useState([]);
  const id = `end-${person.id}`;
  const submit = async (e) => {
    e.preventDefault();
    const f = new FormData(e.target);
    try {
      // "Last day" is a whole day: the employment ends when the day after it begins (UTC).
      const endDate = new Date(new Date(`${f.get('endDate')}T00:00:00Z`).getTime() + 86_400_000).toISOString();
      const payload = (await gql(END, { id: person.id, input: { endDate, reason: f.get('reason') } })).userEmploymentEnd;
      const messages = problemsOf(payload);
      messages.length ? setProblems(messages) : onDone(person);
    } catch (err) {
      if (!err.stepUp) setProblems([err.message]);
    }
  };
  return html`<form class="inline" onSubmit=${submit} aria-label=${t('admin.endFor', { name: person.displayName })}>
    <div class="field"><label for=${`${id}-date`}>${t('admin.endDate')}</label><input id=${`${id}-date`} name="endDate" type="date" required value=${today()} /></div>
    <div class="field"><label for=${`${id}-reason`}>${t('admin.reason')}</label><input id=${`${id}-reason`} name="reason" required maxlength="2000" /></div>
    <${Problems} messages=${problems} />
    <button type="submit" class="danger">${t('admin.end')}</button></form>`;
}

export function AdministerPage() {
  const [after, setAfter] = useState(null);
  const [data, error, reload] = useQuery(() => gql(PEOPLE, { after }), [after]);
  const [problems, setProblems] = useState([]);
  const [notice, setNotice] = useState('');
  const [ending, setEnding] = useState(null);
  const create = async (e) => {
    e.preventDefault();
    const form = e.target;
    const f = new FormData(form);
    const input = { givenName: f.get('givenName'), familyName: f.get('familyName'), email: f.get('email'), employerId: f.get('employer') };
    setProblems([]);
    try {
      const payload = (await gql(CREATE, { input })).userCreate;
      const messages = problemsOf(payload);
      if (messages.length) return setProblems(messages);
      setNotice(t('admin.added', { name: payload.user.displayName }));
      form.reset();
      reload();
    } catch (err) {
      if (!err.stepUp) setProblems([err.message]);
    }
  };
  const ended = (person) => {
    setEnding(null);
    setNotice(t('admin.ended', { name: person.displayName }));
    reload();
  };
  return html`<h1 tabindex="-1">${t('admin.title')}</h1>
    <p role="status" class="notice">${notice}</p>
    <${Status} data=${data} error=${error} />
    ${data && html`
      <section aria-labelledby="add-title"><h2 id="add-title">${t('admin.add')}</h2>
        <form onSubmit=${create}>
          <div class="field"><label for="new-given">${t('register.givenName')}</label><input id="new-given" name="givenName" required maxlength="100" /></div>
          <div class="field"><label for="new-family">${t('register.familyName')}</label><input id="new-family" name="familyName" required maxlength="100" /></div>
          <div class="field"><label for="new-email">${t('register.email')}</label><input id="new-email" name="email" type="email" required /></div>
          <div class="field"><label for="new-employer">${t('access.employer')}</label>
            <select id="new-employer" name="employer">${data.organisations.nodes.map((o) => html`<option value=${o.id}>${o.name}</option>`)}</select></div>
          <${Problems} messages=${problems} />
          <button type="submit">${t('admin.addButton')}</button>
        </form></section>
      <section aria-labelledby="people-title"><h2 id="people-title">${t('admin.people', { n: data.users.totalCount })}</h2>
        <table class="list" data-testid="people"><thead><tr><th scope="col">${t('decide.person')}</th><th scope="col">${t('access.employer')}</th>
          <th scope="col">${t('admin.employment')}</th><th scope="col"><span class="sr-only">${t('admin.actions')}</span></th></tr></thead>
        <tbody>${data.users.nodes.map((u) => {
          const current = u.employments[u.employments.length - 1];
          return html`<tr><td>${u.displayName} <span class="muted">${u.email ?? ''}</span></td><td>${u.employer.name}</td>
            <td>${current ? (current.validTo ? t('validity.range', { from: current.validFrom.slice(0, 10), to: current.validTo.slice(0, 10) }) : t('validity.from', { from: current.validFrom.slice(0, 10) })) : ''}</td>
            <td>${ending === u.id ? html`<${EndEmployment} person=${u} onDone=${ended} />`
              : !current?.validTo && html`<button type="button" class="secondary" onClick=${() => setEnding(u.id)}>${t('admin.endFor', { name: u.displayName })}</button>`}</td></tr>`;
        })}</tbody></table>
        <div class="actions">
          ${after && html`<button type="button" class="secondary" onClick=${() => setAfter(null)}>${t('order.first')}</button>`}
          ${data.users.pageInfo.hasNextPage && html`<button type="button" class="secondary" onClick=${() => setAfter(data.users.pageInfo.endCursor)}>${t('more')}</button>`}
        </div></section>`}`;
}
