import { every, getJson, type ResponseOf } from '../api.js';
import { LineChart } from '../charts.js';
import { Panel, errorText, h, ms, num, pct, table } from '../dom.js';
import { figure } from './overview.js';

const STAGES = ['stt', 'llm', 'tts'] as const;
type Stage = (typeof STAGES)[number];
const STAGE_NAMES: Record<Stage, string> = { stt: 'Speech-to-text', llm: 'LLM', tts: 'Text-to-speech' };

interface Stats {
  count: number;
  p50_ms: number | null;
  p95_ms: number | null;
  p99_ms: number | null;
}
interface Latency {
  overall: Stats;
  buckets: (Stats & { start: string })[];
}
type Recent = ResponseOf<'/v1/interactions/recent'>;
interface Interaction {
  event_id: string;
  stage: Stage;
  turn_id: string | null;
  timestamp: string;
  latency_ms: number | null;
  model: string | null;
  transcript?: string;
  response_text?: string;
  text_length?: number;
  voice?: string;
}

const MINUTE = 60_000;
/**
 * Producers stamp events themselves and may run a little ahead of this clock (the publisher
 * allows some skew): the window reaches a few minutes past now so those are not hidden.
 */
const AHEAD_MS = 5 * MINUTE;
const POLL_MS = 5_000;

/** Voice pipeline: per-stage latency by minute (merged histograms), events/s, errors, slowest sessions. */
export function voicePage(container: HTMLElement, params: string[]): () => void {
  if (params[0] === 'session' && params[1]) return sessionPage(container, decodeURIComponent(params[1]));

  const rates = new Panel('Events per second', { id: 'events', wide: true });
  const latency = Object.fromEntries(
    STAGES.map((s) => [
      s,
      new Panel(`${STAGE_NAMES[s]} latency (p50 / p95 / p99, last hour by minute)`, { id: `latency-${s}` }),
    ]),
  ) as Record<Stage, Panel>;
  const errors = new Panel('Errors by stage and code (last hour)', { id: 'errors' });
  const slowest = new Panel('Slowest recent sessions', { id: 'slowest' });
  container.append(
    h('h1', {}, 'Voice pipeline'),
    h('div', { class: 'grid' }, rates.el, ...STAGES.map((s) => latency[s].el), errors.el, slowest.el),
  );
  const rateFigures = h('div', { class: 'figures' });
  const rateChartEl = h('div');
  rates.body.append(rateFigures, rateChartEl);
  const rateChart = new LineChart(
    rateChartEl,
    STAGES.map((s) => ({ label: `${s} events/s`, unit: '/s' })),
  );
  const charts = Object.fromEntries(
    STAGES.map((s) => {
      const el = h('div');
      latency[s].body.append(el);
      return [
        s,
        new LineChart(
          el,
          [
            { label: 'p50', unit: ' ms' },
            { label: 'p95', unit: ' ms' },
            { label: 'p99', unit: ' ms' },
          ],
          { yLabel: 'ms' },
        ),
      ];
    }),
  ) as Record<Stage, LineChart>;

  const refresh = async () => {
    const now = Date.now();
    const from = new Date(now - 60 * MINUTE).toISOString();
    const to = new Date(now + AHEAD_MS).toISOString();
    const results = await Promise.allSettled(
      STAGES.map((stage) =>
        getJson<Latency>(`/v1/interactions/latency?stage=${stage}&from=${from}&to=${to}&resolution=minute`),
      ),
    );
    // One time axis for the events/s chart: every minute any stage has.
    const minutes = new Set<number>();
    results.forEach((r, i) => {
      const stage = STAGES[i]!;
      if (r.status === 'rejected')
        return latency[stage].error(`Latency could not be read: ${errorText(r.reason)}`);
      const b = r.value.buckets;
      if (b.length === 0) return latency[stage].empty(`No ${stage.toUpperCase()} events in the last hour.`);
      latency[stage].ready();
      b.forEach((x) => minutes.add(Date.parse(x.start)));
      charts[stage].set(
        b.map((x) => Date.parse(x.start) / 1000),
        [b.map((x) => x.p50_ms), b.map((x) => x.p95_ms), b.map((x) => x.p99_ms)],
      );
    });
    const axis = [...minutes].sort((a, b) => a - b);
    if (results.every((r) => r.status === 'rejected')) rates.error('The latency series could not be read.');
    else if (axis.length === 0) rates.empty('No events in the last hour: nothing to chart yet.');
    else {
      rates.ready();
      const perStage = results.map((r) => {
        const counts = new Map(
          r.status === 'fulfilled' ? r.value.buckets.map((b) => [Date.parse(b.start), b.count]) : [],
        );
        return axis.map((t) => (counts.get(t) ?? 0) / 60);
      });
      rateChart.set(
        axis.map((t) => t / 1000),
        perStage,
      );
      const total = results.reduce((a, r) => a + (r.status === 'fulfilled' ? r.value.overall.count : 0), 0);
      rateFigures.replaceChildren(
        figure('Events in the last hour', num(total), 'events-hour'),
        figure('Average events/s', num(total / 3600, 2), 'events-per-second'),
        ...STAGES.map((s, i) => {
          const r = results[i]!;
          return figure(
            `${s.toUpperCase()} p95`,
            r.status === 'fulfilled' ? ms(r.value.overall.p95_ms) : '–',
            `p95-${s}`,
          );
        }),
      );
    }

    try {
      // The last hour plus the few minutes ahead that `to` reaches (AHEAD_MS).
      const recent = await getJson<Recent>(`/v1/interactions/recent?minutes=65&to=${to}&limit=10`);
      if (recent.errors.length === 0)
        errors.empty('No invalid events or processing failures in the last hour.');
      else {
        errors.ready();
        errors.body.replaceChildren(
          table(
            ['Stage', 'Code', 'Errors', 'Error rate'],
            recent.errors.map((e) => {
              const events = recent.events[e.stage as Stage] ?? 0;
              return [e.stage, e.code, num(e.count), pct(e.count / (events + e.count))];
            }),
            { 'data-table': 'errors' },
          ),
        );
      }
      if (recent.slowest_sessions.length === 0) slowest.empty('No sessions in the last hour.');
      else {
        slowest.ready();
        slowest.body.replaceChildren(
          table(
            ['Session', 'Worst turn', 'Mean turn', 'Turns', 'Events', 'Last event'],
            recent.slowest_sessions.map((s) => [
              h(
                'a',
                { href: `#/voice/session/${encodeURIComponent(s.session_id)}`, 'data-session': s.session_id },
                s.session_id,
              ),
              ms(s.worst_turn_ms),
              ms(s.mean_turn_ms),
              num(s.turns),
              num(s.events),
              new Date(s.last_event_at).toLocaleTimeString(),
            ]),
            { 'data-table': 'slowest' },
          ),
        );
      }
    } catch (error) {
      errors.error(`Errors could not be read: ${errorText(error)}`);
      slowest.error(`Sessions could not be read: ${errorText(error)}`);
    }
  };

  const stop = every(POLL_MS, refresh);
  return () => {
    stop();
    rateChart.destroy();
    STAGES.forEach((s) => charts[s].destroy());
  };
}

/** One session's timeline: every STT / LLM / TTS event in order, with its latency. */
function sessionPage(container: HTMLElement, sessionId: string): () => void {
  const timeline = new Panel('Timeline', { id: 'timeline', wide: true });
  container.append(
    h('p', {}, h('a', { href: '#/voice' }, '← Voice pipeline')),
    h('h1', {}, `Session ${sessionId}`),
    h('div', { class: 'grid' }, timeline.el),
  );
  const load = async () => {
    try {
      const events: Interaction[] = [];
      let token: string | null = null;
      // A session has at most a few thousand events; stop at 5 000 to keep the page light.
      do {
        const q: string = token ? `&pageToken=${encodeURIComponent(token)}` : '';
        const page: { interactions: Interaction[]; nextPageToken: string | null } = await getJson(
          `/v1/interactions/sessions/${encodeURIComponent(sessionId)}?limit=1000${q}`,
        );
        events.push(...page.interactions);
        token = page.nextPageToken;
      } while (token && events.length < 5000);
      if (events.length === 0) return timeline.empty('No events are stored for this session.');
      timeline.ready();
      const start = Date.parse(events[0]!.timestamp);
      timeline.body.replaceChildren(
        table(
          ['+ s', 'Stage', 'Turn', 'Latency', 'Model', 'Text'],
          events.map((e) => [
            ((Date.parse(e.timestamp) - start) / 1000).toFixed(2),
            h('span', { class: `stage stage-${e.stage}` }, e.stage.toUpperCase()),
            e.turn_id ?? '',
            ms(e.latency_ms),
            e.model ?? '',
            (
              e.transcript ??
              e.response_text ??
              (e.voice ? `voice ${e.voice}, ${e.text_length ?? 0} chars` : '')
            ).slice(0, 120),
          ]),
          { 'data-table': 'timeline' },
        ),
      );
    } catch (error) {
      timeline.error(`The session could not be read: ${errorText(error)}`);
    }
  };
  return every(POLL_MS, load);
}
