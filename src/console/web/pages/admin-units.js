import { useState } from 'preact/hooks';
import { html } from '../lib.js';
import { gql } from '../api.js';
import { t } from '../i18n.js';
import { change, OrganisationPicker, Problems, Status, useQuery } from './common.js';

const ORGANISATION = `query Unit($id: ID!) { node(id: $id) { ... on Organisation { id name kind registrationNumber closedAt
  parent { id name } children(first: 50) { totalCount nodes { id name kind closedAt } } } } }`;
const PAYLOAD = '{ organisation { id name } userErrors { code field message } }';
const CREATE = `mutation($input: OrganisationCreateInput!) { organisationCreate(input: $input) ${PAYLOAD} }`;
const RENAME = `mutation($id: ID!, $input: OrganisationRenameInput!) { organisationRename(id: $id, input: $input) ${PAYLOAD} }`;
const MOVE = `mutation($id: ID!, $input: OrganisationMoveInput!) { organisationMove(id: $id, input: $input) ${PAYLOAD} }`;
const CLOSE = `mutation($id: ID!, $input: OrganisationCloseInput) { organisationClose(id: $id, input: $input) ${PAYLOAD} }`;

/** One organisation's details and what may be done to it: a unit below, rename, move, close. The hub decides who may. */
function Unit({ id, onChanged }) {
  const [data, error, reload] = useQuery(() => gql(ORGANISATION, { id }), [id]);
  const [problems, setProblems] = useState([]);
  const [notice, setNotice] = useState('');
  const [parent, setParent] = useState(null);
  const org = data?.node;
  const done = (message, form) => {
    setNotice(message);
    form?.reset();
    reload();
    onChanged?.();
  };
  const create = async (e) => {
    e.preventDefault();
    const form = e.target;
    const name = new FormData(form).get('name');
    const payload = await change(CREATE, { input: { kind: 'UNIT', name, parentId: id } }, 'organisationCreate', setProblems);
    if (payload) done(t('units.created', { name: payload.organisation.name }), form);
  };
  const rename = async (e) => {
    e.preventDefault();
    const name = new FormData(e.target).get('name');
    const payload = await change(RENAME, { id, input: { name } }, 'organisationRename', setProblems);
    if (payload) done(t('units.renamed', { name: payload.organisation.name }));
  };
  const move = async (e) => {
    e.preventDefault();
    if (!parent) return setProblems([t('units.pickParent')]);
    const payload = await change(MOVE, { id, input: { parentId: parent.id } }, 'organisationMove', setProblems);
    if (payload) done(t('units.moved', { name: payload.organisation.name, parent: parent.name }));
  };
  const close = async (e) => {
    e.preventDefault();
    const reason = new FormData(e.target).get('reason');
    const payload = await change(CLOSE, { id, input: { reason } }, 'organisationClose', setProblems);
    if (payload) done(t('units.closed', { name: payload.organisation.name }));
  };
  if (!org) return html`<${Status} data=${data} error=${error} />`;
  return html`<section aria-labelledby="unit-title" class="card" data-testid="unit">
    <h2 id="unit-title">${org.name}</h2>
    <p role="status" class="notice">${notice}</p>
    <dl class="facts"><dt>${t('units.kind')}</dt><dd>${t(`kind.${org.kind}`)}</dd>
      ${org.registrationNumber && html`<dt>${t('units.registrationNumber')}</dt><dd>${org.registrationNumber}</dd>`}
      <dt>${t('units.parent')}</dt><dd>${org.parent?.name ?? '—'}</dd>
      ${org.closedAt && html`<dt>${t('units.closedAt')}</dt><dd>${org.closedAt.slice(0, 10)}</dd>`}</dl>
    <h3>${t('units.children', { n: org.children.totalCount })}</h3>
    <ul data-testid="children">${org.children.nodes.map((c) => html`<li>${c.name}${c.closedAt ? html` <span class="muted">(${t('units.closedShort')})</span>` : ''}</li>`)}</ul>
    <${Problems} messages=${problems} />
    ${!org.closedAt && html`<div class="grid">
      <form onSubmit=${create} aria-labelledby="create-unit-title"><h3 id="create-unit-title">${t('units.create')}</h3>
        <div class="field"><label for="unit-new-name">${t('units.name')}</label><input id="unit-new-name" name="name" required maxlength="200" /></div>
        <button type="submit">${t('units.createButton')}</button></form>
      <form onSubmit=${rename} aria-labelledby="rename-unit-title"><h3 id="rename-unit-title">${t('units.rename')}</h3>
        <div class="field"><label for="unit-rename">${t('units.newName')}</label><input id="unit-rename" name="name" required maxlength="200" value=${org.name} /></div>
        <button type="submit">${t('units.renameButton')}</button></form>
      <form onSubmit=${move} aria-labelledby="move-unit-title"><h3 id="move-unit-title">${t('units.move')}</h3>
        <${OrganisationPicker} id="unit-parent" label=${t('units.newParent')} exclude=${id} onPick=${setParent} />
        <button type="submit">${t('units.moveButton')}</button></form>
      <form onSubmit=${close} aria-labelledby="close-unit-title"><h3 id="close-unit-title">${t('units.close')}</h3>
        <div class="field"><label for="unit-close-reason">${t('admin.reason')}</label><input id="unit-close-reason" name="reason" maxlength="2000" /></div>
        <button type="submit" class="danger">${t('units.closeButton')}</button></form>
    </div>`}
  </section>`;
}

export function UnitsPanel() {
  const [picked, setPicked] = useState(null);
  return html`<section aria-labelledby="units-title"><h2 id="units-title">${t('units.title')}</h2>
    <p>${t('units.intro')}</p>
    <${OrganisationPicker} id="unit-pick" label=${t('units.pick')} onPick=${setPicked} />
    ${picked && html`<${Unit} key=${picked.id} id=${picked.id} />`}
  </section>`;
}
