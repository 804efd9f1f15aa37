import { useEffect, useState } from 'preact/hooks';
import { ageOf, html } from '../lib.js';
import { download, gql, problemsOf } from '../api.js';
import { t } from '../i18n.js';
import { Problems, Status, validity } from './common.js';

const PAGE_SIZE = 20;
const INBOX = `query Inbox($after: String) {
  orders(toDecide: true, first: ${PAGE_SIZE}, after: $after) {
    totalCount pageInfo { hasNextPage endCursor }
    nodes { id kind state submittedAt validFrom validTo justification
      person { displayName email employer { name } } orderedBy { displayName }
      service { code name } role { name } scope { name } subAreas { id name }
      supportingDocuments { replacedAt subArea { name } document { id filename contentType size downloadPath } } }
  }
}`;
const DECISION = {
  approve: 'mutation($id: ID!, $input: OrderDecisionInput) { orderApprove(id: $id, input: $input) { order { id state } userErrors { code field message } } }',
  reject: 'mutation($id: ID!, $input: OrderDecisionInput!) { orderReject(id: $id, input: $input) { order { id state } userErrors { code field message } } }',
  sendBack: 'mutation($id: ID!, $input: OrderDecisionInput!) { orderSendBack(id: $id, input: $input) { order { id state } userErrors { code field message } } }',
};
const FIELD = { approve: 'orderApprove', reject: 'orderReject', sendBack: 'orderSendBack' };

function Attachment({ doc, label }) {
  const [url, setUrl] = useState(null);
  const [failed, setFailed] = useState(null);
  const open = async () => {
    try {
      setUrl(await download(doc.downloadPath));
    } catch (e) {
      setFailed(e.message);
    }
  };
  return html`<li>
    <button type="button" class="link" onClick=${open}>${t('decide.open', { name: doc.filename })}</button> ${label}
    ${failed && html`<span role="alert" class="error">${failed}</span>`}
    ${url && (doc.contentType.startsWith('image/')
      ? html`<img class="preview" src=${url} alt=${doc.filename} />`
      : html` <a href=${url} target="_blank" rel="noopener">${t('decide.view', { name: doc.filename })}</a> · <a href=${url} download=${doc.filename}>${t('decide.download')}</a>`)}
  </li>`;
}

function OrderCard({ order, onDecided }) {
  const [reason, setReason] = useState('');
  const [approved, setApproved] = useState(() => new Set(order.subAreas.map((a) => a.id)));
  const [problems, setProblems] = useState([]);
  const [busy, setBusy] = useState(false);
  const age = ageOf(order.submittedAt);
  const decide = async (action) => {
    setBusy(true);
    setProblems([]);
    const rejectedSubAreas = order.subAreas.filter((a) => !approved.has(a.id)).map((a) => a.id);
    const input = { ...(reason.trim() ? { reason: reason.trim() } : {}), ...(action === 'approve' && rejectedSubAreas.length ? { rejectedSubAreas } : {}) };
    try {
      const payload = (await gql(DECISION[action], { id: order.id, input }))[FIELD[action]];
      const messages = problemsOf(payload);
      if (messages.length) setProblems(messages);
      else onDecided(order, payload.order.state);
    } catch (e) {
      if (!e.stepUp) setProblems([e.message]);
    } finally {
      setBusy(false);
    }
  };
  const titleId = `order-${order.id}`;
  return html`<article class="card" aria-labelledby=${titleId} data-testid="order">
    <h2 id=${titleId}>${order.person.displayName} — ${order.service.code}: ${order.role.name}</h2>
    <dl class="facts">
      <dt>${t('decide.person')}</dt><dd>${order.person.email ?? ''} · ${order.person.employer.name}</dd>
      <dt>${t('decide.kind')}</dt><dd>${order.kind === 'SELF_REGISTRATION' ? t('decide.selfRegistration') : `${t('decide.orderedBy')} ${order.orderedBy.displayName}`}</dd>
      <dt>${t('access.scope')}</dt><dd>${order.scope.name}</dd>
      <dt>${t('access.validity')}</dt><dd>${validity(order.validFrom, order.validTo)}</dd>
      <dt>${t('decide.age')}</dt><dd data-testid="age">${t(`age.${age.unit}`, { n: age.n })}</dd>
      ${order.justification && html`<dt>${t('decide.justification')}</dt><dd>${order.justification}</dd>`}
    </dl>
    ${order.supportingDocuments.length > 0 && html`<h3>${t('decide.attachments')}</h3><ul class="plain">
      ${order.supportingDocuments.filter((d) => !d.replacedAt).map((d) => html`<${Attachment} doc=${d.document} label=${d.subArea ? `(${d.subArea.name})` : ''} />`)}</ul>`}
    ${order.subAreas.length > 0 && html`<fieldset><legend>${t('access.subAreas')}</legend>
      ${order.subAreas.map((a) => html`<div class="check"><input type="checkbox" id=${`${titleId}-${a.id}`} checked=${approved.has(a.id)}
        onChange=${(e) => { const next = new Set(approved); e.target.checked ? next.add(a.id) : next.delete(a.id); setApproved(next); }} />
        <label for=${`${titleId}-${a.id}`}>${t('decide.approveArea', { name: a.name })}</label></div>`)}
    </fieldset>`}
    <div class="field"><label for=${`${titleId}-reason`}>${t('decide.reason')}</label>
      <textarea id=${`${titleId}-reason`} rows="2" maxlength="2000" value=${reason} onInput=${(e) => setReason(e.target.value)}></textarea></div>
    <${Problems} messages=${problems} />
    <div class="actions">
      <button type="button" disabled=${busy} onClick=${() => decide('approve')}>${t('decide.approve')}</button>
      <button type="button" class="secondary" disabled=${busy} onClick=${() => decide('sendBack')}>${t('decide.sendBack')}</button>
      <button type="button" class="danger" disabled=${busy} onClick=${() => decide('reject')}>${t('decide.reject')}</button>
    </div>
  </article>`;
}

export function DecidePage() {
  const [orders, setOrders] = useState(undefined);
  const [page, setPage] = useState(null);
  const [error, setError] = useState(null);
  const [done, setDone] = useState('');
  const load = async (after = null) => {
    try {
      const data = await gql(INBOX, { after });
      setOrders((before) => [...(after ? before : []), ...data.orders.nodes]);
      setPage(data.orders);
    } catch (e) {
      setError(e);
      setOrders(null);
    }
  };
  if (orders === undefined && !error) void load();
  // Once the inbox is on the page: what `npm run bench:console` times (a performance mark).
  useEffect(() => {
    if (orders && page) performance.mark('console:inbox-shown');
  }, [Boolean(orders && page)]);
  const decided = (order, state) => {
    setOrders((list) => list.filter((o) => o.id !== order.id));
    setPage((p) => ({ ...p, totalCount: p.totalCount - 1 }));
    setDone(t('decide.done', { name: order.person.displayName, state: t(`state.${state}`) }));
  };
  return html`<h1 tabindex="-1">${t('decide.title')}</h1>
    <p role="status" class="notice">${done}</p>
    <${Status} data=${orders} error=${error} />
    ${orders && page && html`<p data-testid="waiting">${t('decide.count', { n: page.totalCount })}</p>
      ${orders.length === 0 ? html`<p>${t('decide.none')}</p>` : orders.map((o) => html`<${OrderCard} key=${o.id} order=${o} onDecided=${decided} />`)}
      ${page.pageInfo.hasNextPage && html`<button type="button" class="secondary" onClick=${() => load(page.pageInfo.endCursor)}>${t('more')}</button>`}`}`;
}
