import { useEffect, useState } from 'preact/hooks';
import { html } from '../lib.js';
import { gql, problemsOf, upload } from '../api.js';
import { t } from '../i18n.js';
import { Problems, SearchBox, Status, useDebounced, useQuery } from './common.js';

const PAGE_SIZE = 20;
// The people the API lets this person see (an orderer: the employees of their scope), paged on the server.
const STAFF = `query Staff($after: String, $search: String) {
  users(first: ${PAGE_SIZE}, after: $after, search: $search) { totalCount pageInfo { hasNextPage endCursor }
    nodes { id displayName email employer { name } grants(first: 5, state: ACTIVE) { nodes { id service { code } role { name } } } } }
  services(first: 20) { nodes { id code name roles { id name } subAreas { id name } } }
}`;
const BULK = `mutation($input: OrderBulkCreateInput!) {
  orderBulkCreate(input: $input) { userErrors { code field message } results { person order { id state } userErrors { code field message } } }
}`;

export function OrderPage() {
  const [after, setAfter] = useState(null);
  const [text, setText] = useState('');
  // Searched on the hub, a pause after the last key; a new search starts at its first page.
  const search = useDebounced(text);
  useEffect(() => setAfter(null), [search]);
  const [data, error, reload] = useQuery(() => gql(STAFF, { after, search: search.trim() || null }), [after, search]);
  const [chosen, setChosen] = useState(new Set());
  const [serviceId, setServiceId] = useState(null);
  const [problems, setProblems] = useState([]);
  const [result, setResult] = useState('');
  const services = data?.services.nodes ?? [];
  const service = services.find((s) => s.id === serviceId) ?? services[0];
  const toggle = (id, on) => {
    const next = new Set(chosen);
    on ? next.add(id) : next.delete(id);
    setChosen(next);
  };
  const submit = async (e) => {
    e.preventDefault();
    const f = new FormData(e.target);
    const file = f.get('orderForm');
    setProblems([]);
    const input = { people: [...chosen], service: service.id, role: f.get('role'), justification: f.get('justification') || undefined, attachments: file?.size ? [{ kind: 'ORDER_FORM', file: null }] : [] };
    try {
      const payload = (await upload(BULK, { input }, file?.size ? { 'input.attachments.0.file': file } : {})).orderBulkCreate;
      const messages = [...problemsOf(payload), ...(payload.results ?? []).flatMap((r) => problemsOf(r))];
      if (messages.length) setProblems(messages);
      const placed = (payload.results ?? []).filter((r) => r.order).length;
      setResult(t('order.placed', { n: placed }));
      if (placed) {
        setChosen(new Set());
        reload();
      }
    } catch (err) {
      if (!err.stepUp) setProblems([err.message]);
    }
  };
  return html`<h1 tabindex="-1">${t('order.title')}</h1>
    <p role="status" class="notice">${result}</p>
    <${SearchBox} id="staff-search" label=${t('search.people')} value=${text} onSearch=${setText} />
    <${Status} data=${data} error=${error} />
    ${data && html`
      <section aria-labelledby="staff-title"><h2 id="staff-title">${t('order.staff', { n: data.users.totalCount })}</h2>
        <table class="list" data-testid="staff"><thead><tr><th scope="col">${t('order.pick')}</th><th scope="col">${t('decide.person')}</th>
          <th scope="col">${t('access.employer')}</th><th scope="col">${t('access.grants')}</th></tr></thead>
        <tbody>${data.users.nodes.map((u) => html`<tr>
          <td><input type="checkbox" id=${`pick-${u.id}`} checked=${chosen.has(u.id)} onChange=${(e) => toggle(u.id, e.target.checked)} /></td>
          <td><label for=${`pick-${u.id}`}>${u.displayName}</label> <span class="muted">${u.email ?? ''}</span></td>
          <td>${u.employer.name}</td>
          <td>${u.grants.nodes.map((g) => `${g.service.code}: ${g.role.name}`).join(', ')}</td></tr>`)}</tbody></table>
        <div class="actions">
          ${after && html`<button type="button" class="secondary" onClick=${() => setAfter(null)}>${t('order.first')}</button>`}
          ${data.users.pageInfo.hasNextPage && html`<button type="button" class="secondary" onClick=${() => setAfter(data.users.pageInfo.endCursor)}>${t('more')}</button>`}
        </div>
      </section>
      <section aria-labelledby="new-order-title"><h2 id="new-order-title">${t('order.new', { n: chosen.size })}</h2>
        <form onSubmit=${submit}>
          <div class="field"><label for="order-service">${t('register.service')}</label>
            <select id="order-service" value=${service?.id} onChange=${(e) => setServiceId(e.target.value)}>
              ${services.map((s) => html`<option value=${s.id}>${s.name}</option>`)}</select></div>
          <div class="field"><label for="order-role">${t('register.role')}</label>
            <select id="order-role" name="role">${service?.roles.map((r) => html`<option value=${r.id}>${r.name}</option>`)}</select></div>
          <div class="field"><label for="justification">${t('decide.justification')}</label><textarea id="justification" name="justification" rows="2" maxlength="4000"></textarea></div>
          <div class="field"><label for="orderForm">${t('order.form')}</label><input id="orderForm" name="orderForm" type="file" accept=".pdf,application/pdf" /></div>
          <${Problems} messages=${problems} />
          <button type="submit" disabled=${chosen.size === 0}>${t('order.submit')}</button>
        </form>
      </section>`}`;
}
