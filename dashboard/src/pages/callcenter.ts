import { every, getJson, openStream } from '../api.js';
import { LineChart } from '../charts.js';
import { Panel, errorText, h, num, table } from '../dom.js';
import { figure } from './overview.js';

interface RealTime {
  at: string;
  queues: { queue: string; depth: number; longestWaitSeconds: number }[];
  agents: Record<string, number>;
  activeCalls: { ringing: number; talking: number; on_hold: number };
}
interface Figures {
  total: number;
  answered: number;
  abandoned: number;
  avgWaitSeconds: number | null;
  serviceLevelPercent: number | null;
}
interface Analytics {
  serviceLevelSeconds: number;
  overall: Figures;
}
interface Event {
  type: string;
  at: string;
  callId?: string;
  agentId?: string;
  queue?: string;
  status?: string;
  state?: string;
}

const STATUSES = ['available', 'busy', 'after_call_work', 'away', 'offline'];
/** Analytics read whole call records; every 30 s is plenty for "today". */
const ANALYTICS_MS = 30_000;
/** Events come in bursts: one snapshot per burst, at most one a second. */
const SNAPSHOT_DEBOUNCE_MS = 1_000;
const FEED_LENGTH = 15;

/**
 * Call center, live over GET /v1/callcenter/events: the snapshot (/realtime) is read when the
 * stream opens and again after each burst of events, so the figures are the service's, not
 * a client-side tally that drifts. #/callcenter/wallboard is the same data, big, for a TV.
 */
export function callCenterPage(container: HTMLElement, params: string[]): () => void {
  const wallboard = params[0] === 'wallboard';
  const queues = new Panel('Queues', { id: 'queues', wide: wallboard });
  const agents = new Panel('Agents by status', { id: 'agents' });
  const level = new Panel('Service level today', { id: 'service-level' });
  const depth = new Panel('Waiting calls', { id: 'depth', wide: true });
  const feed = new Panel('Live events', { id: 'feed' });
  container.append(
    h(
      'div',
      { class: 'title-row' },
      h('h1', {}, wallboard ? 'Call center wallboard' : 'Call center'),
      h(
        'a',
        { href: wallboard ? '#/callcenter' : '#/callcenter/wallboard', class: 'button' },
        wallboard ? 'Exit wallboard' : 'Wallboard view',
      ),
      h('span', { class: 'live', 'data-live': 'connecting' }, 'connecting…'),
    ),
    h(
      'div',
      { class: wallboard ? 'grid wallboard-grid' : 'grid' },
      queues.el,
      agents.el,
      level.el,
      depth.el,
      ...(wallboard ? [] : [feed.el]),
    ),
  );
  const live = container.querySelector<HTMLElement>('.live')!;
  const chartEl = h('div');
  depth.body.append(chartEl);
  const chart = new LineChart(
    chartEl,
    [{ label: 'waiting calls' }, { label: 'longest wait (s)', unit: ' s' }],
    {
      height: wallboard ? 320 : 200,
    },
  );
  const history: { t: number[]; depth: number[]; wait: number[] } = { t: [], depth: [], wait: [] };
  const events: Event[] = [];
  feed.empty('Waiting for the first event…');

  const snapshot = async () => {
    try {
      const rt = await getJson<RealTime>('/v1/callcenter/realtime');
      if (rt.queues.length === 0) queues.empty('No queue has waiting calls.');
      else {
        queues.ready();
        queues.body.replaceChildren(
          table(
            ['Queue', 'Waiting', 'Longest wait'],
            rt.queues.map((q) => [q.queue, num(q.depth), `${num(q.longestWaitSeconds)} s`]),
            { 'data-table': 'queues' },
          ),
        );
      }
      const total = Object.values(rt.agents).reduce((a, b) => a + b, 0);
      if (total === 0) agents.empty('No agent is signed in.');
      else {
        agents.ready();
        agents.body.replaceChildren(
          h(
            'div',
            { class: 'figures' },
            ...STATUSES.map((s) => figure(s.replaceAll('_', ' '), num(rt.agents[s] ?? 0), `agents-${s}`)),
            figure('calls talking', num(rt.activeCalls.talking), 'calls-talking'),
          ),
        );
      }
      // When it was read, on this screen's clock: `at` follows the events' clock, which a
      // simulator may run fast (the chart then spanned years).
      history.t.push(Math.round(Date.now() / 1000));
      history.depth.push(rt.queues.reduce((a, q) => a + q.depth, 0));
      history.wait.push(Math.max(0, ...rt.queues.map((q) => q.longestWaitSeconds)));
      for (const a of [history.t, history.depth, history.wait]) a.splice(0, Math.max(0, a.length - 720));
      depth.ready();
      chart.set(history.t, [history.depth, history.wait]);
    } catch (error) {
      queues.error(`The live view could not be read: ${errorText(error)}`);
      agents.error('Unknown while the live view cannot be read.');
    }
  };

  let pending: ReturnType<typeof setTimeout> | undefined;
  const scheduleSnapshot = () => {
    pending ??= setTimeout(() => {
      pending = undefined;
      void snapshot();
    }, SNAPSHOT_DEBOUNCE_MS);
  };

  const stream = openStream('/v1/callcenter/events', {
    onOpen: () => {
      live.textContent = 'live';
      live.dataset.live = 'open';
      void snapshot();
    },
    onError: () => {
      live.textContent = 'reconnecting…';
      live.dataset.live = 'retrying';
    },
    onEvent: (type, data) => {
      if (typeof data !== 'object' || data === null) return;
      events.unshift({ ...(data as Event), type });
      events.splice(FEED_LENGTH);
      feed.ready();
      feed.body.replaceChildren(
        h(
          'ul',
          { class: 'list feed', 'data-list': 'events' },
          ...events.map((e) =>
            h(
              'li',
              {},
              h('time', {}, new Date(e.at).toLocaleTimeString()),
              ` ${e.type} `,
              e.queue ?? '',
              ' ',
              e.status ?? e.state ?? '',
              ' ',
              e.agentId ?? e.callId ?? '',
            ),
          ),
        ),
      );
      scheduleSnapshot();
      if (type === 'call.ended') callEnded();
    },
  });

  const loadAnalytics = async () => {
    const now = new Date();
    const midnight = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
    try {
      // The whole UTC day: calls of the next minutes count as they end, without moving `to`.
      const tomorrow = new Date(midnight.getTime() + 86_400_000);
      const a = await getJson<Analytics>(
        `/v1/callcenter/analytics?from=${midnight.toISOString()}&to=${tomorrow.toISOString()}`,
      );
      if (a.overall.total === 0) return level.empty('No calls today yet.');
      level.ready();
      level.body.replaceChildren(
        h(
          'div',
          { class: 'figures' },
          figure(
            `answered within ${a.serviceLevelSeconds} s`,
            a.overall.serviceLevelPercent === null ? '–' : `${a.overall.serviceLevelPercent.toFixed(1)} %`,
            'service-level',
          ),
          figure('calls today', num(a.overall.total), 'calls-today'),
          figure('abandoned', num(a.overall.abandoned), 'abandoned'),
          figure(
            'average wait',
            a.overall.avgWaitSeconds === null ? '–' : `${a.overall.avgWaitSeconds.toFixed(1)} s`,
            'avg-wait',
          ),
        ),
      );
    } catch (error) {
      level.error(`Today's figures could not be read: ${errorText(error)}`);
    }
  };
  const stopAnalytics = every(ANALYTICS_MS, loadAnalytics);
  // An ended call changes today's figures: reread them then, at most every 5 s.
  let lastAnalytics = 0;
  let analyticsTimer: ReturnType<typeof setTimeout> | undefined;
  const callEnded = () => {
    if (analyticsTimer) return;
    const wait = Math.max(0, lastAnalytics + 5_000 - Date.now());
    analyticsTimer = setTimeout(() => {
      analyticsTimer = undefined;
      lastAnalytics = Date.now();
      void loadAnalytics();
    }, wait);
  };

  return () => {
    stream.close();
    stopAnalytics();
    clearTimeout(pending);
    clearTimeout(analyticsTimer);
    chart.destroy();
  };
}
