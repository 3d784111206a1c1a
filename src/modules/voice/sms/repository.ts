import { newRow, type Row, type RowInput } from '../../../ports/wide-column/declare.js';
import { batchOp, type Page, type WideColumnEngine } from '../../../ports/wide-column/engine.js';
import { SMS_PENDING_BUCKETS, smsBySession, smsMessages, smsPending } from '../tables.js';

export type SmsRow = Row<typeof smsMessages>;
export type PendingRow = Row<typeof smsPending>;

/** The due-delivery bucket of a message: spread by the low bits of its timestamp. */
export function pendingBucket(messageId: string): number {
  return Number.parseInt(messageId.slice(6, 8), 16) % SMS_PENDING_BUCKETS;
}

export class SmsRepository {
  constructor(private readonly store: WideColumnEngine) {}

  /** The message and its session index entry, together. */
  insertQueued(row: RowInput<typeof smsMessages>): Promise<void> {
    const ops = [batchOp.insert(smsMessages, newRow(row))];
    if (row.session_id) {
      ops.push(
        batchOp.insert(smsBySession, {
          session_id: row.session_id,
          message_id: row.message_id,
          phone_number: row.phone_number,
        }),
      );
    }
    return this.store.batch(ops);
  }

  /** Records the hand-over to the provider and, for the simulation, schedules the delivery. */
  markSent(
    phone: string,
    messageId: string,
    status: 'simulated_sent' | 'sent',
    sentAt: Date,
    provider: string,
    dueAt: Date | null,
  ): Promise<void> {
    const ops = [
      batchOp.update(
        smsMessages,
        { phone_number: phone, message_id: messageId },
        { status, sent_at: sentAt, provider },
      ),
    ];
    if (dueAt) {
      ops.push(
        batchOp.insert(smsPending, {
          bucket: pendingBucket(messageId),
          due_at: dueAt,
          message_id: messageId,
          phone_number: phone,
        }),
      );
    }
    return this.store.batch(ops);
  }

  async markFailedOnSend(phone: string, messageId: string, at: Date, reason: string): Promise<void> {
    await this.store.update(
      smsMessages,
      { phone_number: phone, message_id: messageId },
      { status: 'failed', failed_at: at, failure_reason: reason },
    );
  }

  /** Applies the delivery outcome only if the message is still awaiting it (safe to run twice). */
  async settle(
    phone: string,
    messageId: string,
    outcome: { status: 'delivered'; at: Date } | { status: 'failed'; at: Date; reason: string },
  ): Promise<boolean> {
    const set =
      outcome.status === 'delivered'
        ? { status: 'delivered', delivered_at: outcome.at }
        : { status: 'failed', failed_at: outcome.at, failure_reason: outcome.reason };
    const result = await this.store.update(smsMessages, { phone_number: phone, message_id: messageId }, set, {
      if: { status: 'simulated_sent' },
    });
    return result.applied;
  }

  get(phone: string, messageId: string): Promise<SmsRow | null> {
    return this.store.get(smsMessages, { phone_number: phone, message_id: messageId });
  }

  listByPhone(phone: string, limit: number, pageToken?: string | null): Promise<Page<SmsRow>> {
    return this.store.slice(smsMessages, {
      key: { phone_number: phone },
      limit,
      pageToken: pageToken ?? null,
    });
  }

  listBySession(
    sessionId: string,
    limit: number,
    pageToken?: string | null,
  ): Promise<Page<Row<typeof smsBySession>>> {
    return this.store.slice(smsBySession, {
      key: { session_id: sessionId },
      limit,
      pageToken: pageToken ?? null,
    });
  }

  /** Due entries of one bucket, oldest first. */
  async due(bucket: number, now: Date, limit: number): Promise<PendingRow[]> {
    const page = await this.store.slice(smsPending, {
      key: { bucket },
      range: { column: 'due_at', lte: now },
      limit,
    });
    return page.rows;
  }

  deletePending(row: PendingRow): Promise<unknown> {
    return this.store.delete(smsPending, {
      bucket: row.bucket,
      due_at: row.due_at,
      message_id: row.message_id,
    });
  }
}
