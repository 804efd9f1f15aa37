import { useEffect, useState } from 'preact/hooks';
import { html } from '../lib.js';
import { t } from '../i18n.js';

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
