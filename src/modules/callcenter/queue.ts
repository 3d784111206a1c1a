import { sql } from 'kysely';
import { SwitchboardError, isSwitchboardError } from '../../errors/index.js';
import {
  callNotLive,
  forUpdate,
  inTransaction,
  lockActiveWithAgent,
  releaseSlot,
  writeCallSkills,
  type Core,
} from './core.js';
import { writeRecord } from './records.js';
import { iso, queuedFromRow, type Db, type QueueRow } from './rows.js';
import type { EnqueueInput, QueuedCall } from './types.js';
import { MAX_PRIORITY, checkE164, checkId, checkInt, checkName, checkSkills } from './validate.js';

export interface QueuePosition {
  callId: string;
  queue: string;
  /** 1 = next to be routed. */
  position: number;
  waitingSeconds: number;
  estimatedWaitSeconds: number;
}

/** How many recent answered calls of a queue the handle-time estimate averages. */
const RECENT_CALLS = 100;

/** Enqueue, routing-order listing, position and estimated wait, abandon. */
export class QueueService {
  constructor(
    private readonly core: Core,
    private readonly defaultHandleSeconds: number,
  ) {}

  private get db(): Db {
    return this.core.store.db as Db;
  }

  async enqueue(input: EnqueueInput): Promise<QueuedCall> {
    const callId = checkId(input.callId, 'body.callId');
    const queue = checkName(input.queue, 'body.queue');
    const caller = checkE164(input.caller, 'body.caller');
    const voiceSessionId =
      input.voiceSessionId === undefined || input.voiceSessionId === null
        ? null
        : checkId(input.voiceSessionId, 'body.voiceSessionId');
    const priority = checkInt(input.priority ?? 0, 'body.priority', 0, MAX_PRIORITY);
    const requiredSkills = checkSkills(input.requiredSkills ?? {}, 'body.requiredSkills');
    const now = this.core.clock.now();
    const row: QueueRow = {
      call_id: callId,
      queue,
      caller,
      voice_session_id: voiceSessionId,
      priority,
      required_skills: JSON.stringify(requiredSkills),
      enqueued_at: now.toISOString(),
      answered_at: null,
      talk_ms: 0,
      hold_ms: 0,
      transfers: 0,
      skip_agent_id: null,
    };
    const exists = () =>
      new SwitchboardError('CALL_EXISTS', `Call "${callId}" is already live or recorded`, {
        field: 'body.callId',
      });
    try {
      return await inTransaction(this.core, async (trx, emit) => {
        // A call id names one call for ever: live in the queue or with an agent, or recorded.
        const [active, recorded] = await Promise.all([
          trx
            .selectFrom('cc_active_calls')
            .select('call_id')
            .where('call_id', '=', callId)
            .executeTakeFirst(),
          trx
            .selectFrom('cc_call_records')
            .select('call_id')
            .where('call_id', '=', callId)
            .executeTakeFirst(),
        ]);
        if (active || recorded) throw exists();
        await trx.insertInto('cc_call_queue').values(row).execute();
        await writeCallSkills(trx, callId, requiredSkills, { replace: false });
        emit({ type: 'call.queued', callId, queue, priority, at: now.toISOString() });
        return queuedFromRow(row);
      });
    } catch (error) {
      if (isSwitchboardError(error, 'CONFLICT')) throw exists();
      throw error;
    }
  }

  /** A queue's waiting calls in routing order: priority (higher first), then age. */
  async list(queue: string, options: { limit?: number } = {}): Promise<QueuedCall[]> {
    checkName(queue, 'queue');
    const rows = await this.db
      .selectFrom('cc_call_queue')
      .selectAll()
      .where('queue', '=', queue)
      .orderBy('priority', 'desc')
      .orderBy('enqueued_at')
      .orderBy('call_id')
      .limit(options.limit ?? 100)
      .execute();
    return rows.map(queuedFromRow);
  }

  async get(callId: string): Promise<QueuedCall> {
    checkId(callId, 'callId');
    const row = await this.db
      .selectFrom('cc_call_queue')
      .selectAll()
      .where('call_id', '=', callId)
      .executeTakeFirst();
    if (!row) throw await this.notQueued(callId);
    return queuedFromRow(row);
  }

  /**
   * Where a waiting call stands and a rough wait estimate: the calls ahead of it (not the call
   * itself, which waits for nobody once those are served), shared among the agents signed in,
   * each taking the queue's recent average handle time (talk + hold + wrap-up of its last 100
   * answered calls; `default_handle_seconds` before there are any). Nobody ahead: 0.
   */
  async position(callId: string): Promise<QueuePosition> {
    const call = await this.get(callId);
    const ahead = await this.db
      .selectFrom('cc_call_queue')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('queue', '=', call.queue)
      .where((eb) =>
        eb.or([
          eb('priority', '>', call.priority),
          eb.and([eb('priority', '=', call.priority), eb('enqueued_at', '<', call.enqueuedAt)]),
          eb.and([
            eb('priority', '=', call.priority),
            eb('enqueued_at', '=', call.enqueuedAt),
            eb('call_id', '<', call.callId),
          ]),
        ]),
      )
      .executeTakeFirstOrThrow();
    const staffed = await this.db
      .selectFrom('cc_agents')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('status', 'in', ['available', 'busy', 'after_call_work'])
      .executeTakeFirstOrThrow();
    const recent = await this.db
      .selectFrom((eb) =>
        eb
          .selectFrom('cc_call_records')
          .select(sql<number>`talk_ms + hold_ms + coalesce(wrap_up_ms, 0)`.as('handle_ms'))
          .where('queue', '=', call.queue)
          .where('answered_at', 'is not', null)
          .orderBy('enqueued_at', 'desc')
          .limit(RECENT_CALLS)
          .as('recent'),
      )
      .select(sql<number | null>`cast(avg(handle_ms) as double precision)`.as('avg_ms'))
      .executeTakeFirstOrThrow();
    const handleSeconds = recent.avg_ms === null ? this.defaultHandleSeconds : Number(recent.avg_ms) / 1000;
    const callsAhead = Number(ahead.n);
    const agents = Math.max(1, Number(staffed.n));
    return {
      callId,
      queue: call.queue,
      position: callsAhead + 1,
      waitingSeconds: Math.max(0, (this.core.clock.now().getTime() - Date.parse(call.enqueuedAt)) / 1000),
      estimatedWaitSeconds: Math.round(Math.ceil(callsAhead / agents) * handleSeconds),
    };
  }

  /**
   * The caller hung up before an agent answered: the call leaves the queue (or the agent it
   * was ringing) and is recorded as abandoned with its wait. An answered call ends with `end`.
   */
  async abandon(callId: string): Promise<{ callId: string; waitSeconds: number }> {
    checkId(callId, 'callId');
    const now = this.core.clock.now();
    return inTransaction(this.core, async (trx, emit) => {
      const queued = await forUpdate(
        this.core,
        trx.selectFrom('cc_call_queue').selectAll().where('call_id', '=', callId),
      ).executeTakeFirst();
      let agentId: string | null = null;
      let source: { queue: string; caller: string; voiceSessionId: string | null; enqueuedAt: string | Date };
      let totals = { talkMs: 0, holdMs: 0, transfers: 0, answeredAt: null as string | Date | null };
      if (queued) {
        await trx.deleteFrom('cc_call_queue').where('call_id', '=', callId).execute();
        source = {
          queue: queued.queue,
          caller: queued.caller,
          voiceSessionId: queued.voice_session_id,
          enqueuedAt: queued.enqueued_at,
        };
        totals = {
          talkMs: Number(queued.talk_ms),
          holdMs: Number(queued.hold_ms),
          transfers: queued.transfers,
          answeredAt: queued.answered_at,
        };
      } else {
        const { call, agent } = await lockActiveWithAgent(this.core, trx, callId);
        if (call.state !== 'ringing') {
          throw new SwitchboardError('CALL_STATE_INVALID', `Call "${callId}" was answered: end it instead`, {
            field: 'callId',
            details: { state: call.state },
          });
        }
        await trx.deleteFrom('cc_active_calls').where('call_id', '=', callId).execute();
        await releaseSlot(this.core, trx, agent, now, emit, null);
        agentId = agent.agent_id;
        source = {
          queue: call.queue,
          caller: call.caller,
          voiceSessionId: call.voice_session_id,
          enqueuedAt: call.enqueued_at,
        };
        totals = {
          talkMs: Number(call.talk_ms),
          holdMs: Number(call.hold_ms),
          transfers: call.transfers,
          answeredAt: call.answered_at,
        };
      }
      // A caller who was answered once, transferred back and then hung up was served, not abandoned.
      const abandoned = totals.answeredAt === null;
      await writeRecord(trx, {
        callId,
        queue: source.queue,
        agentId,
        caller: source.caller,
        voiceSessionId: source.voiceSessionId,
        enqueuedAt: source.enqueuedAt,
        answeredAt: totals.answeredAt,
        endedAt: now,
        talkMs: totals.talkMs,
        holdMs: totals.holdMs,
        // No after-call work follows a call nobody talked on.
        wrapUpMs: 0,
        transfers: totals.transfers,
        disposition: abandoned ? 'abandoned' : 'caller_hung_up',
        abandoned,
      });
      emit({ type: 'call.ended', callId, queue: source.queue, agentId, abandoned, at: now.toISOString() });
      const waitUntil = totals.answeredAt === null ? now.getTime() : Date.parse(iso(totals.answeredAt));
      return { callId, waitSeconds: Math.max(0, waitUntil - Date.parse(iso(source.enqueuedAt))) / 1000 };
    });
  }

  /**
   * CALL_ALREADY_ASSIGNED when the call is with an agent, else CALL_NOT_FOUND (ended or never
   * seen), as every route that names a call answers for an ended one.
   */
  private async notQueued(callId: string): Promise<SwitchboardError> {
    const active = await this.db
      .selectFrom('cc_active_calls')
      .select('agent_id')
      .where('call_id', '=', callId)
      .executeTakeFirst();
    if (active) {
      return new SwitchboardError('CALL_ALREADY_ASSIGNED', `Call "${callId}" is with an agent`, {
        field: 'callId',
        details: { agentId: active.agent_id },
      });
    }
    return callNotLive(this.db, callId);
  }
}
