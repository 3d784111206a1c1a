import { SwitchboardError } from '../../errors/index.js';
import type { RelationalStore } from '../../ports/relational/store.js';
import { iso, ms, recordFromRow, type Db, type Trx } from './rows.js';
import type { CallRecord } from './types.js';
import { checkId, checkRange } from './validate.js';

/** What an ended call leaves behind; durations are whole milliseconds. */
export interface RecordInput {
  callId: string;
  queue: string;
  agentId: string | null;
  caller: string;
  voiceSessionId: string | null;
  enqueuedAt: string | Date;
  answeredAt: string | Date | null;
  endedAt: Date;
  talkMs: number;
  holdMs: number;
  /** Null while the agent wraps up; filled when after-call work ends. */
  wrapUpMs: number | null;
  transfers: number;
  disposition: string;
  abandoned: boolean;
}

/** "YYYY-MM-DDTHH" in UTC: the hour bucket analytics group by. */
export function hourOf(at: string | Date): string {
  return iso(at).slice(0, 13);
}

/**
 * Writes the call's record in the transaction that ends it, so a call is either live
 * (queued or active) or recorded, never both and never neither. Wait is time to first
 * answer, or to the hang-up for an abandoned call.
 */
export async function writeRecord(trx: Trx, input: RecordInput): Promise<void> {
  const waitUntil = input.answeredAt ?? input.endedAt;
  await trx
    .insertInto('cc_call_records')
    .values({
      call_id: input.callId,
      queue: input.queue,
      agent_id: input.agentId,
      caller: input.caller,
      voice_session_id: input.voiceSessionId,
      enqueued_at: input.enqueuedAt,
      enqueued_hour: hourOf(input.enqueuedAt),
      answered_at: input.answeredAt,
      ended_at: input.endedAt,
      wait_ms: Math.max(0, ms(waitUntil) - ms(input.enqueuedAt)),
      talk_ms: Math.round(input.talkMs),
      hold_ms: Math.round(input.holdMs),
      wrap_up_ms: input.wrapUpMs,
      transfers: input.transfers,
      disposition: input.disposition,
      abandoned: input.abandoned ? 1 : 0,
    })
    .execute();
  // The call is no longer live: its routing skills go with it.
  await trx.deleteFrom('cc_call_skills').where('call_id', '=', input.callId).execute();
}

/** Fills in the wrap-up time of the call an agent was wrapping up. */
export async function finishWrapUp(
  trx: Trx,
  callId: string,
  startedAt: string | Date,
  now: Date,
): Promise<void> {
  await trx
    .updateTable('cc_call_records')
    .set({ wrap_up_ms: Math.max(0, now.getTime() - ms(startedAt)) })
    .where('call_id', '=', callId)
    .where('wrap_up_ms', 'is', null)
    .execute();
}

export interface RecordQuery {
  from: Date;
  to: Date;
  queue?: string;
  agentId?: string;
  limit?: number;
}

export class CallRecords {
  constructor(private readonly store: RelationalStore) {}

  private get db(): Db {
    return this.store.db as Db;
  }

  async get(callId: string): Promise<CallRecord> {
    checkId(callId, 'callId');
    const row = await this.db
      .selectFrom('cc_call_records')
      .selectAll()
      .where('call_id', '=', callId)
      .executeTakeFirst();
    if (!row) throw new SwitchboardError('NOT_FOUND', `No call record "${callId}"`, { field: 'callId' });
    return recordFromRow(row);
  }

  /**
   * Records of calls enqueued in [from, to), oldest first. The range is checked as analytics
   * checks it, without the span limit: a listing reads at most `limit` records, however long
   * the range.
   */
  async list(query: RecordQuery): Promise<CallRecord[]> {
    checkRange(query);
    let q = this.db
      .selectFrom('cc_call_records')
      .selectAll()
      .where('enqueued_at', '>=', query.from.toISOString())
      .where('enqueued_at', '<', query.to.toISOString());
    if (query.queue !== undefined) q = q.where('queue', '=', query.queue);
    if (query.agentId !== undefined) q = q.where('agent_id', '=', query.agentId);
    const rows = await q
      .orderBy('enqueued_at')
      .orderBy('call_id')
      .limit(query.limit ?? 1000)
      .execute();
    return rows.map(recordFromRow);
  }
}
