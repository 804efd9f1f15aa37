import { useEffect, useRef, useState } from 'preact/hooks';
import { html } from '../lib.js';
import { download, gql } from '../api.js';
import { t } from '../i18n.js';
import { Status, useQuery } from './common.js';

const MONTHS = 12;
/**
 * One query per section, sent at once: each section shows as soon as its figures arrive, and the hub
 * and PostgreSQL work on them side by side instead of one slow report holding back the page.
 */
const QUERIES = {
  stats: `{ reports { grantStatistics { total byService { key label count } byRole { key label count } byState { key label count } } } }`,
  waiting: `{ reports { ordersWaiting { issuer { id name } waiting underOneDay oneToSevenDays sevenToThirtyDays overThirtyDays } } }`,
  workload: `query($from: DateTime!, $to: DateTime!) { reports { issuerWorkload(from: $from, to: $to) { issuer { id name } weekStart decided medianHoursToDecision } } }`,
  trend: `query($from: DateTime!, $to: DateTime!) { reports { grantTrend(from: $from, to: $to) { month issued ended } } }`,
  expiring: `{ reports { grantsExpiring(withinDays: 30, first: 10) { totalCount nodes { id validTo user { displayName } role { name } service { code } } } } }`,
};
const SECTIONS = Object.keys(QUERIES);

function range() {
  const to = new Date();
  const from = new Date(Date.UTC(to.getUTCFullYear(), to.getUTCMonth() - (MONTHS - 1), 1));
  return { from: from.toISOString(), to: to.toISOString() };
}

function Csv({ name, params = {} }) {
  const [failed, setFailed] = useState(null);
  const get = async () => {
    try {
      const url = await download(`/reports/${name}.csv?${new URLSearchParams(params)}`);
      const a = document.createElement('a');
      a.href = url;
      a.download = `${name}.csv`;
      a.click();
    } catch (e) {
      setFailed(e.message);
    }
  };
  return html`<button type="button" class="secondary" onClick=${get}>${t('dash.csv')}</button>${failed && html` <span role="alert" class="error">${failed}</span>`}`;
}

/** Bars drawn beside the figures (the table is what assistive technology reads; the bars are decoration). */
function Bars({ id, rows, caption }) {
  const max = Math.max(1, ...rows.map((r) => r.count));
  return html`<table class="list bars" data-testid=${id}><caption>${caption}</caption>
    <thead><tr><th scope="col">${t('dash.key')}</th><th scope="col">${t('dash.count')}</th><th scope="col"><span class="sr-only">${t('dash.bar')}</span></th></tr></thead>
    <tbody>${rows.map((r) => html`<tr><th scope="row">${r.label}</th><td class="num">${r.count}</td>
      <td aria-hidden="true"><span class="bar" style=${{ width: `${(100 * r.count) / max}%` }}></span></td></tr>`)}</tbody></table>`;
}

function Trend({ points }) {
  const ref = useRef();
  useEffect(() => {
    let chart;
    // uPlot only where the trend is drawn: the first page stays small.
    import('/console/vendor/uplot.mjs').then(({ default: UPlot }) => {
      if (!ref.current) return;
      const xs = points.map((p) => new Date(p.month).getTime() / 1000);
      chart = new UPlot(
        { width: Math.min(640, ref.current.clientWidth || 640), height: 220, series: [{}, { label: t('dash.issued'), stroke: '#0b4f8a', width: 2 }, { label: t('dash.ended'), stroke: '#a4161a', width: 2, dash: [6, 4] }] },
        [xs, points.map((p) => p.issued), points.map((p) => p.ended)],
        ref.current,
      );
    });
    return () => chart?.destroy();
  }, [points]);
  return html`<div ref=${ref} class="chart" role="img" aria-label=${t('dash.trendChart')}></div>`;
}

/** One section's figures: its own request, its own loading and error state. */
function useSection(name, params, shown) {
  const [data, error] = useQuery(() => gql(QUERIES[name], name === 'workload' || name === 'trend' ? params : {}));
  useEffect(() => {
    if (data) shown(name);
  }, [data]);
  return [data?.reports, error, data];
}

export function DashboardPage() {
  const [params] = useState(range);
  const [done] = useState(() => new Set());
  // Once every section's figures are on the page: what `npm run bench:console` times (a performance mark).
  const shown = (name) => {
    done.add(name);
    if (done.size === SECTIONS.length) performance.mark('console:dashboard-shown');
  };
  const [stats, statsError, statsData] = useSection('stats', params, shown);
  const [waiting, waitingError, waitingData] = useSection('waiting', params, shown);
  const [workload, workloadError, workloadData] = useSection('workload', params, shown);
  const [trend, trendError, trendData] = useSection('trend', params, shown);
  const [expiring, expiringError, expiringData] = useSection('expiring', params, shown);
  useEffect(() => {
    if (document.querySelector('link[data-uplot]')) return;
    const link = document.createElement('link');
    link.rel = 'stylesheet';
    link.href = '/console/vendor/uplot.css';
    link.dataset.uplot = '';
    document.head.append(link);
  }, []);
  return html`<h1 tabindex="-1">${t('dash.title')}</h1>
      <section aria-labelledby="stats-title"><h2 id="stats-title">${stats ? t('dash.grants', { n: stats.grantStatistics.total }) : t('dash.grants', { n: '…' })}</h2>
        <${Status} data=${statsData} error=${statsError} />
        ${stats && html`<div class="grid">
          <${Bars} id="by-service" rows=${stats.grantStatistics.byService} caption=${t('dash.byService')} />
          <${Bars} id="by-role" rows=${stats.grantStatistics.byRole} caption=${t('dash.byRole')} />
          <${Bars} id="by-state" rows=${stats.grantStatistics.byState.map((s) => ({ ...s, label: t(`state.${s.key.toUpperCase()}`) }))} caption=${t('dash.byState')} />
        </div>`}
        <${Csv} name="grant-statistics" /></section>
      <section aria-labelledby="waiting-title"><h2 id="waiting-title">${t('dash.waiting')}</h2>
        <${Status} data=${waitingData} error=${waitingError} />
        ${waiting && html`<table class="list" data-testid="orders-waiting"><thead><tr><th scope="col">${t('access.issuer')}</th><th scope="col">${t('dash.total')}</th>
          <th scope="col">${t('dash.under1')}</th><th scope="col">${t('dash.1to7')}</th><th scope="col">${t('dash.7to30')}</th><th scope="col">${t('dash.over30')}</th></tr></thead>
        <tbody>${waiting.ordersWaiting.map((w) => html`<tr><th scope="row">${w.issuer.name}</th><td class="num">${w.waiting}</td><td class="num">${w.underOneDay}</td>
          <td class="num">${w.oneToSevenDays}</td><td class="num">${w.sevenToThirtyDays}</td><td class="num">${w.overThirtyDays}</td></tr>`)}</tbody></table>`}
        <${Csv} name="orders-waiting" /></section>
      <section aria-labelledby="workload-title"><h2 id="workload-title">${t('dash.workload')}</h2>
        <${Status} data=${workloadData} error=${workloadError} />
        ${workload && html`<${Bars} id="workload" caption=${t('dash.decidedByIssuer')} rows=${Object.values(workload.issuerWorkload.reduce((acc, w) => {
          acc[w.issuer.id] ??= { key: w.issuer.id, label: w.issuer.name, count: 0 };
          acc[w.issuer.id].count += w.decided;
          return acc;
        }, {}))} />`}
        <${Csv} name="issuer-workload" params=${{ from: params.from, to: params.to }} /></section>
      <section aria-labelledby="trend-title"><h2 id="trend-title">${t('dash.trend')}</h2>
        <${Status} data=${trendData} error=${trendError} />
        ${trend && html`<${Trend} points=${trend.grantTrend} />
        <table class="list" data-testid="trend"><thead><tr><th scope="col">${t('dash.month')}</th><th scope="col">${t('dash.issued')}</th><th scope="col">${t('dash.ended')}</th></tr></thead>
          <tbody>${trend.grantTrend.map((p) => html`<tr><th scope="row">${p.month.slice(0, 7)}</th><td class="num">${p.issued}</td><td class="num">${p.ended}</td></tr>`)}</tbody></table>`}
        <${Csv} name="grant-trend" params=${{ from: params.from, to: params.to }} /></section>
      <section aria-labelledby="expiring-title"><h2 id="expiring-title">${expiring ? t('dash.expiring', { n: expiring.grantsExpiring.totalCount }) : t('dash.expiring', { n: '…' })}</h2>
        <${Status} data=${expiringData} error=${expiringError} />
        ${expiring && html`<ul class="plain" data-testid="expiring">${expiring.grantsExpiring.nodes.map((g) => html`<li>${g.validTo?.slice(0, 10)} · ${g.user.displayName} · ${g.service.code}: ${g.role.name}</li>`)}</ul>`}
        <${Csv} name="grants-expiring" params=${{ withinDays: '30' }} /></section>`;
}
