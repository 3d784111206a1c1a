import type { WideColumnEngine } from '../../ports/wide-column/engine.js';
import { allRows } from '../../ports/wide-column/rows.js';
import { STAGES, type Stage } from './events.js';
import { HOUR_MS, dayOf, floorTo } from './rows.js';
import { errorLogs, interactionsByStageHour } from './tables.js';

const DAY_MS = 86_400_000;
/**
 * Rows read per stage at most: a busy hour can hold millions of events, and this view is a
 * glance, not a report. Past the cap the answer says `truncated` instead of reading on.
 */
const MAX_ROWS_PER_STAGE = 50_000;
const MAX_ERROR_ROWS = 10_000;

export interface SlowSession {
  session_id: string;
  events: number;
  turns: number;
  /** The worst turn: its STT + LLM + TTS latencies summed (what the caller waited). */
  worst_turn_ms: number;
  mean_turn_ms: number;
  last_event_at: string;
}

export interface RecentActivity {
  from: string;
  to: string;
  /** Events per stage in the window (from the by-stage-hour table). */
  events: Record<Stage, number>;
  slowest_sessions: SlowSession[];
  /** Invalid events and processing failures in the window, by stage (from the topic) and code. */
  errors: { stage: string; code: string; count: number }[];
  truncated: boolean;
}

/**
 * The recent window the dashboard's voice page shows that the per-minute histograms cannot:
 * which sessions were slowest and what the errors were. Reads whole stage-hour and day
 * partitions, bounded by the window (at most a few hours) and by the caps above.
 */
export async function recentActivity(
  store: WideColumnEngine,
  topics: Readonly<Record<Stage, string>>,
  options: { from: Date; to: Date; limit: number },
): Promise<RecentActivity> {
  const fromMs = options.from.getTime();
  const toMs = options.to.getTime();
  const events = { stt: 0, llm: 0, tts: 0 } as Record<Stage, number>;
  let truncated = false;
  // session → turn → summed latency
  const sessions = new Map<string, { events: number; turns: Map<string, number>; last: number }>();
  for (const stage of STAGES) {
    let read = 0;
    for (let hour = floorTo(fromMs, HOUR_MS); hour < toMs && !truncated; hour += HOUR_MS) {
      const rows = allRows(
        store,
        interactionsByStageHour,
        {
          key: { stage, hour_bucket: new Date(hour) },
          range: { column: 'event_time', gte: new Date(Math.max(hour, fromMs)), lt: new Date(toMs) },
        },
        2000,
      );
      for await (const row of rows) {
        if ((read += 1) > MAX_ROWS_PER_STAGE) {
          truncated = true;
          break;
        }
        events[stage] += 1;
        if (row.session_id === null) continue;
        const s = sessions.get(row.session_id) ?? { events: 0, turns: new Map<string, number>(), last: 0 };
        s.events += 1;
        const turn = row.turn_id ?? row.event_id;
        s.turns.set(turn, (s.turns.get(turn) ?? 0) + (row.latency_ms ?? 0));
        s.last = Math.max(s.last, row.event_time.getTime());
        sessions.set(row.session_id, s);
      }
    }
  }
  const slowest = [...sessions.entries()]
    .map(([session_id, s]): SlowSession => {
      const turns = [...s.turns.values()];
      const total = turns.reduce((a, b) => a + b, 0);
      return {
        session_id,
        events: s.events,
        turns: turns.length,
        worst_turn_ms: Math.max(...turns),
        mean_turn_ms: turns.length ? total / turns.length : 0,
        last_event_at: new Date(s.last).toISOString(),
      };
    })
    .sort((a, b) => b.worst_turn_ms - a.worst_turn_ms)
    .slice(0, options.limit);

  const stageOfTopic = new Map(STAGES.map((s) => [topics[s], s as string]));
  const errors = new Map<string, { stage: string; code: string; count: number }>();
  let errorRows = 0;
  for (let day = floorTo(fromMs, DAY_MS); day < toMs; day += DAY_MS) {
    const rows = allRows(
      store,
      errorLogs,
      {
        key: { day: dayOf(day) },
        range: { column: 'error_time', gte: new Date(fromMs), lt: new Date(toMs) },
      },
      1000,
    );
    for await (const row of rows) {
      if ((errorRows += 1) > MAX_ERROR_ROWS) {
        truncated = true;
        break;
      }
      // A payload that could not be parsed has no stage of its own: its topic still says which.
      const stage = (row.topic && stageOfTopic.get(row.topic)) ?? 'unknown';
      const code = row.code ?? row.kind ?? 'UNKNOWN';
      const key = `${stage}\u0000${code}`;
      const e = errors.get(key) ?? { stage, code, count: 0 };
      e.count += 1;
      errors.set(key, e);
    }
  }
  return {
    from: new Date(fromMs).toISOString(),
    to: new Date(toMs).toISOString(),
    events,
    slowest_sessions: slowest,
    errors: [...errors.values()].sort((a, b) => b.count - a.count),
    truncated,
  };
}
