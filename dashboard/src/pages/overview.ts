import { every, getJson, getText } from '../api.js';
import { LineChart } from '../charts.js';
import { Panel, errorText, h, num, pct } from '../dom.js';
import { parseMetrics, sum } from '../prometheus.js';

interface Ready {
  status: 'ready' | 'unavailable';
  failing: string[];
  ports: Record<string, { ok: boolean; engine?: string; detail?: string; latencyMs?: number }>;
  workers: Record<string, { ok: boolean; detail?: string }>;
}
interface PipelineHealth {
  consumers: { instance: string; status: string | null; last_seen: string | null; lag: number | null }[];
  total_lag: number | null;
}

const PORTS = [
  ['wide_column', 'Wide-column store'],
  ['relational', 'Relational store'],
  ['hot_state', 'Hot state'],
  ['event_log', 'Event log'],
] as const;
const POLL_MS = 5_000;
/** 30 minutes of 5 s points: enough history for a trend, small enough to redraw at once. */
const KEEP_POINTS = 360;

/**
 * Overview: the four ports and the workers (/ready), HTTP request and error rates (the
 * counters of /metrics, differenced between polls) and the event-log lag. No stream carries
 * these, so the page polls every 5 s.
 */
export function overviewPage(container: HTMLElement): () => void {
  const ports = new Panel('Ports', { id: 'ports' });
  const workers = new Panel('Workers', { id: 'workers' });
  const traffic = new Panel('HTTP requests', { id: 'traffic', wide: true });
  const lag = new Panel('Event-log lag', { id: 'lag' });
  container.append(
    h('h1', {}, 'Overview'),
    h('div', { class: 'grid' }, ports.el, workers.el, lag.el, traffic.el),
  );

  const figures = h('div', { class: 'figures' });
  const chartEl = h('div');
  traffic.body.append(figures, chartEl);
  const chart = new LineChart(chartEl, [
    { label: 'requests/s', unit: '/s' },
    { label: 'errors (5xx) %', unit: ' %', color: '#e5484d' },
  ]);
  const series: { t: number[]; rate: number[]; errors: number[] } = { t: [], rate: [], errors: [] };
  let previous: { at: number; total: number; failed: number } | undefined;

  const refreshReady = async () => {
    try {
      const ready = await getJson<Ready>('/ready', [503]);
      ports.ready();
      ports.body.replaceChildren(
        h(
          'div',
          { class: 'cards' },
          ...PORTS.map(([name, label]) => {
            const p = ready.ports[name];
            const state = p === undefined ? 'unknown' : p.ok ? 'up' : 'down';
            return h(
              'div',
              { class: `card ${state}`, 'data-port': name, 'data-state': state },
              h('div', { class: 'card-label' }, label),
              h('div', { class: 'card-value' }, state === 'up' ? 'Up' : state === 'down' ? 'Down' : '–'),
              p?.engine ? h('div', { class: 'card-detail' }, p.engine) : null,
              p && !p.ok && p.detail ? h('div', { class: 'card-detail' }, p.detail) : null,
            );
          }),
        ),
      );
      const names = Object.entries(ready.workers);
      if (names.length === 0) workers.empty('No background workers run in this process.');
      else {
        workers.ready();
        workers.body.replaceChildren(
          h(
            'ul',
            { class: 'list' },
            ...names.map(([name, w]) =>
              h(
                'li',
                { 'data-worker': name, class: w.ok ? 'up' : 'down' },
                `${name}: ${w.ok ? 'running' : 'failing'}`,
              ),
            ),
          ),
        );
      }
    } catch (error) {
      ports.error(`Readiness could not be read: ${errorText(error)}`);
      workers.error('Unknown while readiness cannot be read.');
    }
  };

  const refreshTraffic = async () => {
    try {
      const samples = parseMetrics(await getText('/metrics'));
      const total = sum(samples, 'switchboard_http_requests_total');
      const failed = sum(samples, 'switchboard_http_requests_total', (l) => (l.status ?? '').startsWith('5'));
      const at = Date.now();
      if (previous && at > previous.at) {
        const seconds = (at - previous.at) / 1000;
        const requests = Math.max(0, total - previous.total);
        series.t.push(Math.round(at / 1000));
        series.rate.push(requests / seconds);
        series.errors.push(requests > 0 ? (100 * Math.max(0, failed - previous.failed)) / requests : 0);
        for (const a of [series.t, series.rate, series.errors])
          a.splice(0, Math.max(0, a.length - KEEP_POINTS));
        chart.set(series.t, [series.rate, series.errors]);
      }
      previous = { at, total, failed };
      traffic.ready();
      const last = series.rate.length - 1;
      figures.replaceChildren(
        figure('Requests/s', last >= 0 ? num(series.rate[last], 1) : '…', 'request-rate'),
        figure('Error rate', last >= 0 ? pct(series.errors[last]! / 100) : '…', 'error-rate'),
        figure('Requests since start', num(total), 'requests-total'),
      );
      const consumerLag = sum(samples, 'switchboard_event_log_consumer_lag');
      const pipeline = await getJson<PipelineHealth>('/v1/interactions/health').catch(() => null);
      lag.ready();
      lag.body.replaceChildren(
        h(
          'div',
          { class: 'figures' },
          figure(
            'Interactions consumer',
            pipeline?.total_lag === null || !pipeline ? '–' : num(pipeline.total_lag),
            'interactions-lag',
          ),
          figure('All consumer groups', num(consumerLag), 'event-log-lag'),
        ),
      );
    } catch (error) {
      traffic.error(`Metrics could not be read: ${errorText(error)}`);
      lag.error('Unknown while metrics cannot be read.');
    }
  };

  const stop = every(POLL_MS, async () => {
    await Promise.all([refreshReady(), refreshTraffic()]);
  });
  return () => {
    stop();
    chart.destroy();
  };
}

export function figure(label: string, value: string, id: string): HTMLElement {
  return h(
    'div',
    { class: 'figure', 'data-figure': id },
    h('div', { class: 'figure-value' }, value),
    h('div', { class: 'figure-label' }, label),
  );
}
