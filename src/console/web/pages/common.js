import { useEffect, useState } from 'preact/hooks';
import { html } from '../lib.js';
import { t } from '../i18n.js';
import { gql, problemsOf } from '../api.js';

/** Runs a query when the page opens; answers [data, error, reload]. */
export function useQuery(run, deps = []) {
  const [state, setState] = useState({ data: undefined, error: null });
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    run().then(
      (data) => live && setState({ data, error: null }),
      (error) => live && setState({ data: null, error }),
    );
    return () => {
      live = false;
    };
  }, [...deps, tick]);
  return [state.data, state.error, () => setTick((n) => n + 1)];
}

export function Status({ data, error }) {
  if (error) return html`<p role="alert" class="error">${t('error', { message: error.message })}</p>`;
  if (data === undefined) return html`<p>${t('loading')}</p>`;
  return null;
}

export function Problems({ messages }) {
  if (!messages?.length) return null;
  return html`<div role="alert" class="error"><p>${t('problems')}</p><ul>${messages.map((m) => html`<li>${m}</li>`)}</ul></div>`;
}

export function validity(from, to) {
  return to ? t('validity.range', { from: from.slice(0, 10), to: to.slice(0, 10) }) : t('validity.from', { from: from.slice(0, 10) });
}

/** The value once it has stopped changing for `ms`: a search box asks the hub once per pause, not per key. */
export function useDebounced(value, ms = 300) {
  const [settled, setSettled] = useState(value);
  useEffect(() => {
    const timer = setTimeout(() => setSettled(value), ms);
    return () => clearTimeout(timer);
  }, [value, ms]);
  return settled;
}

/** A labelled search box; `onSearch` gets the text as typed (the page debounces it). */
export function SearchBox({ id, label, value, onSearch }) {
  return html`<div class="field"><label for=${id}>${label}</label>
    <input id=${id} type="search" maxlength="200" autocomplete="off" value=${value} onInput=${(e) => onSearch(e.target.value)} /></div>`;
}

const ORGANISATIONS = `query Pick($search: String) { organisations(search: $search, first: 20) { totalCount nodes { id name registrationNumber kind } } }`;

/**
 * An organisation chosen from a search on the hub (never the whole tree): a search box, then a
 * list of the first matches. `onPick` gets the organisation, or null when nothing is chosen.
 */
export function OrganisationPicker({ id, label, name, onPick, exclude }) {
  const [text, setText] = useState('');
  const search = useDebounced(text);
  const [data, error] = useQuery(() => gql(ORGANISATIONS, { search }), [search]);
  const nodes = (data?.organisations.nodes ?? []).filter((o) => o.id !== exclude);
  const [chosen, setChosen] = useState('');
  const value = nodes.some((o) => o.id === chosen) ? chosen : nodes[0]?.id ?? '';
  useEffect(() => onPick?.(nodes.find((o) => o.id === value) ?? null), [value, data]);
  return html`<fieldset><legend>${label}</legend>
    <${SearchBox} id=${`${id}-search`} label=${t('search.organisation')} value=${text} onSearch=${setText} />
    <div class="field"><label for=${id}>${t('search.matches', { n: data?.organisations.totalCount ?? 0 })}</label>
      <select id=${id} name=${name} required value=${value} onChange=${(e) => setChosen(e.target.value)}>
        ${nodes.map((o) => html`<option value=${o.id}>${o.name}${o.registrationNumber ? ` (${o.registrationNumber})` : ''}</option>`)}
      </select></div>
    ${error && html`<p role="alert" class="error">${t('error', { message: error.message })}</p>`}
  </fieldset>`;
}

export function today() {
  return new Date().toISOString().slice(0, 10);
}

/** Runs a mutation: its payload, or null with the userErrors (or the error) shown; a step-up is asked for by the app. */
export async function change(query, variables, field, setProblems) {
  setProblems([]);
  try {
    const payload = (await gql(query, variables))[field];
    const messages = problemsOf(payload);
    if (messages.length) setProblems(messages);
    return messages.length ? null : payload;
  } catch (err) {
    if (!err.stepUp) setProblems([err.message]);
    return null;
  }
}

