import { sql, type RawBuilder } from 'kysely';
import type { Core } from './core.js';
import type { Db } from './rows.js';
import { AGENT_STATUSES, type AgentStatus } from './types.js';
import { checkInt, checkName, checkRange } from './validate.js';

export interface AnalyticsQuery {
  from: Date;
  to: Date;
  /** Also break the figures down by hour or by day (UTC) of enqueue time. */
  groupBy?: 'hour' | 'day';
  queue?: string;
  /** Only these queues (the library's; a simulated day reports on its own queues). */
  queues?: readonly string[];
  agentId?: string;
  /** Overrides `[callcenter] service_level_seconds`. */
  serviceLevelSeconds?: number;
}

/**
 * A supervisor's daily figures over calls enqueued in [from, to). Waits and handle times
 * are over answered calls; handle time is talk + hold + wrap-up; p90 is the nearest-rank
 * 90th percentile (the smallest wait at least 90 % of answered calls did not exceed);
 * service level is the share of all calls (answered or abandoned) answered within the
 * threshold, in percent. Null where there is nothing to average.
 */
export interface Figures {
  total: number;
  answered: number;
  abandoned: number;
  avgWaitSeconds: number | null;
  p90WaitSeconds: number | null;
  avgHandleSeconds: number | null;
  serviceLevelPercent: number | null;
}

export interface Analytics {
  from: string;
  to: string;
  serviceLevelSeconds: number;
  overall: Figures;
  byQueue: (Figures & { queue: string })[];
  byAgent: (Figures & { agentId: string })[];
  byPeriod: (Figures & { period: string })[];
}

export interface RealTimeView {
  at: string;
  queues: { queue: string; depth: number; longestWaitSeconds: number }[];
  agents: Record<AgentStatus, number>;
  activeCalls: { ringing: number; talking: number; on_hold: number };
}

interface AggregateRow {
  k: string | null;
  total: number;
  answered: number | null;
  abandoned: number | null;
  within: number | null;
  avg_wait: number | null;
  avg_handle: number | null;
}

/** Aggregation reads every record of the range: a year is the most it takes on. */
const MAX_RANGE_DAYS = 366;

/** Historical figures from `cc_call_records` by indexed SQL, and the real-time picture. */
export class AnalyticsService {
  constructor(
    private readonly core: Core,
    private readonly defaultServiceLevelSeconds: number,
  ) {}

  private get db(): Db {
    return this.core.store.db as Db;
  }

  async history(query: AnalyticsQuery): Promise<Analytics> {
    checkRange(query, { maxSpanDays: MAX_RANGE_DAYS });
    query.queues?.forEach((queue, i) => checkName(queue, `queues.${i}`));
    const threshold = checkInt(
      query.serviceLevelSeconds ?? this.defaultServiceLevelSeconds,
      'querystring.serviceLevelSeconds',
      1,
      3600,
    );
    // The overall figures have no grouping key: PostgreSQL refuses a constant in GROUP BY.
    const keys: Record<'overall' | 'queue' | 'agent' | 'period', RawBuilder<string> | null> = {
      overall: null,
      queue: sql<string>`queue`,
      agent: sql<string>`agent_id`,
      period:
        query.groupBy === 'day' ? sql<string>`substr(enqueued_hour, 1, 10)` : sql<string>`enqueued_hour`,
    };
    const [overall, byQueue, byAgent, byPeriod] = await Promise.all([
      this.figures(query, threshold, keys.overall),
      this.figures(query, threshold, keys.queue),
      this.figures(query, threshold, keys.agent),
      query.groupBy
        ? this.figures(query, threshold, keys.period)
        : Promise.resolve(new Map<string, Figures>()),
    ]);
    return {
      from: query.from.toISOString(),
      to: query.to.toISOString(),
      serviceLevelSeconds: threshold,
      overall: overall.get('') ?? emptyFigures(),
      byQueue: [...byQueue].map(([queue, f]) => ({ queue, ...f })),
      // Abandoned calls that never reached an agent have no agent to count against.
      byAgent: [...byAgent].filter(([agentId]) => agentId !== '').map(([agentId, f]) => ({ agentId, ...f })),
      byPeriod: [...byPeriod].map(([period, f]) => ({ period, ...f })),
    };
  }

  /** The filtered records of the range (the indexes on enqueued_at lead every query). */
  private base(query: AnalyticsQuery) {
    let q = this.db
      .selectFrom('cc_call_records')
      .where('enqueued_at', '>=', query.from.toISOString())
      .where('enqueued_at', '<', query.to.toISOString());
    if (query.queue !== undefined) q = q.where('queue', '=', query.queue);
    if (query.queues !== undefined) q = q.where('queue', 'in', query.queues.length > 0 ? query.queues : ['']);
    if (query.agentId !== undefined) q = q.where('agent_id', '=', query.agentId);
    return q;
  }

  private async figures(query: AnalyticsQuery, thresholdSeconds: number, key: RawBuilder<string> | null) {
    const within = thresholdSeconds * 1000;
    const rows = (await this.base(query)
      .select([
        (key ?? sql<string>`''`).as('k'),
        sql<number>`count(*)`.as('total'),
        sql<number>`sum(case when answered_at is not null then 1 else 0 end)`.as('answered'),
        sql<number>`sum(abandoned)`.as('abandoned'),
        sql<number>`sum(case when answered_at is not null and wait_ms <= ${within} then 1 else 0 end)`.as(
          'within',
        ),
        sql<
          number | null
        >`cast(avg(case when answered_at is not null then wait_ms end) as double precision)`.as('avg_wait'),
        sql<number | null>`cast(avg(case when answered_at is not null
          then talk_ms + hold_ms + coalesce(wrap_up_ms, 0) end) as double precision)`.as('avg_handle'),
      ])
      .$if(key !== null, (q) => q.groupBy(key!).orderBy(key!))
      .execute()) as AggregateRow[];
    const p90 = await this.p90(query, key);
    const out = new Map<string, Figures>();
    for (const row of rows) {
      const k = row.k ?? '';
      const total = Number(row.total);
      out.set(k, {
        total,
        answered: Number(row.answered ?? 0),
        abandoned: Number(row.abandoned ?? 0),
        avgWaitSeconds: row.avg_wait === null ? null : round3(Number(row.avg_wait) / 1000),
        p90WaitSeconds: p90.get(k) ?? null,
        avgHandleSeconds: row.avg_handle === null ? null : round3(Number(row.avg_handle) / 1000),
        serviceLevelPercent: total === 0 ? null : round3((Number(row.within ?? 0) / total) * 100),
      });
    }
    return out;
  }

  /**
   * Nearest-rank p90 of answered waits per group, with window functions both dialects have:
   * the row whose rank is ceil(0.9 n), written (9n + 9) / 10 in integer arithmetic.
   */
  private async p90(query: AnalyticsQuery, key: RawBuilder<string> | null): Promise<Map<string, number>> {
    const partition = key === null ? sql`` : sql`partition by ${key}`;
    const ranked = this.base(query)
      .where('answered_at', 'is not', null)
      .select([
        (key ?? sql<string>`''`).as('k'),
        'wait_ms',
        sql<number>`row_number() over (${partition} order by wait_ms)`.as('rn'),
        sql<number>`count(*) over (${partition})`.as('n'),
      ]);
    const rows = await this.db
      .selectFrom(ranked.as('r'))
      .select(['r.k', 'r.wait_ms'])
      .where(sql<boolean>`r.rn = (9 * r.n + 9) / 10`)
      .execute();
    return new Map(rows.map((r) => [(r.k as string | null) ?? '', round3(Number(r.wait_ms) / 1000)]));
  }

  /** Queue depth and longest wait per queue, agents per status, live calls per state. */
  async realTime(): Promise<RealTimeView> {
    const now = this.core.clock.now();
    const [queues, agents, calls] = await Promise.all([
      this.db
        .selectFrom('cc_call_queue')
        .select(['queue', sql<number>`count(*)`.as('depth'), sql<string>`min(enqueued_at)`.as('oldest')])
        .groupBy('queue')
        .orderBy('queue')
        .execute(),
      this.db
        .selectFrom('cc_agents')
        .select(['status', sql<number>`count(*)`.as('n')])
        .groupBy('status')
        .execute(),
      this.db
        .selectFrom('cc_active_calls')
        .select(['state', sql<number>`count(*)`.as('n')])
        .groupBy('state')
        .execute(),
    ]);
    const byStatus = Object.fromEntries(AGENT_STATUSES.map((s) => [s, 0])) as Record<AgentStatus, number>;
    for (const row of agents) byStatus[row.status as AgentStatus] = Number(row.n);
    const activeCalls = { ringing: 0, talking: 0, on_hold: 0 };
    for (const row of calls) activeCalls[row.state as keyof typeof activeCalls] = Number(row.n);
    return {
      at: now.toISOString(),
      queues: queues.map((q) => ({
        queue: q.queue,
        depth: Number(q.depth),
        longestWaitSeconds: Math.max(0, round3((now.getTime() - new Date(q.oldest).getTime()) / 1000)),
      })),
      agents: byStatus,
      activeCalls,
    };
  }
}

function round3(value: number): number {
  return Math.round(value * 1000) / 1000;
}

function emptyFigures(): Figures {
  return {
    total: 0,
    answered: 0,
    abandoned: 0,
    avgWaitSeconds: null,
    p90WaitSeconds: null,
    avgHandleSeconds: null,
    serviceLevelPercent: null,
  };
}
