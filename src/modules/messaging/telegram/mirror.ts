import type { Logger } from 'pino';
import type { WideColumnEngine } from '../../../ports/wide-column/engine.js';
import type { Clock } from '../../../shared/clock.js';
import { bucketOfId } from '../buckets.js';
import { formatId } from '../ids.js';
import { rowToMessage, type MessageStore } from '../message-store.js';
import { telegramMessageMappingTable } from '../tables.js';
import type { Message } from '../types.js';
import type { ChatLinks } from './links.js';
import type { OutboxEntry, TelegramOutbox } from './outbox.js';
import type { TelegramSender } from './sender.js';
import type { SyncStateStore } from './sync-state.js';

/** Pending rows read per pass; a full batch makes the relay go round again at once. */
const SCAN_LIMIT = 500;
const DEFAULT_POLL_MS = 1000;

type Outcome = 'done' | 'later';

/**
 * The outbound half of the bridge, as a durable outbox and its relay. A message sent from
 * Switchboard (source other than "telegram") in a linked channel gets a telegram_outbox row
 * in the same send call, before the message is stored, so no stored message can miss its
 * row. The relay (the `messaging-telegram-mirror` worker) sends pending rows through the
 * TelegramSender, writes the mapping (Telegram's id -> message) so Telegram's echo is
 * recognised by ingest and not stored again, then deletes the row. Rows left by a process
 * that died are sent by the next relay to run.
 *
 * Exactly once, nearly: Telegram's id is saved on the row the moment it answers, and a
 * retry after that only repeats the idempotent mapping write. The one window left is a
 * crash between Telegram accepting a message and that save, which sends it again (the Bot
 * API has no idempotency key). Two relays never send one row: each send holds a claim
 * (a conditional update that expires after `claimMs`, so a dead relay's rows come back).
 *
 * Order: rows of one chat go strictly in send order; a row waiting for a retry holds back
 * the later rows of its chat until it is sent or gives up after `attempts` tries (then the
 * row stays as 'failed' and the channel's sync state records the error). Chats proceed
 * independently of each other.
 */
export class TelegramMirror {
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private loop: Promise<void> | null = null;
  private wake = false;

  constructor(
    private readonly deps: {
      engine: WideColumnEngine;
      store: MessageStore;
      outbox: TelegramOutbox;
      links: ChatLinks;
      sender: TelegramSender;
      sync: SyncStateStore;
      clock: Clock;
      logger: Logger;
      attempts: number;
      /** How long a claim holds, and how long a row may wait for its message to be stored. */
      claimMs: number;
      backoffMs?: number;
      pollMs?: number;
    },
  ) {}

  /**
   * Called inside the send, after the id is taken and before the message is stored. Throws
   * when the row cannot be written, which fails the send: a message that could not be queued
   * for its linked chat is better not stored than silently never mirrored.
   */
  async onMessageSending(message: Message): Promise<void> {
    if (message.source === 'telegram') return;
    const link = await this.deps.links.ofChannel(message.channelId);
    if (!link) return;
    await this.deps.outbox.add({
      channelId: message.channelId,
      messageId: message.id,
      botId: link.botId,
      chatId: link.chatId,
      now: this.deps.clock.now(),
    });
  }

  /** Called after a message is stored: a running relay sends it now instead of at its next poll. */
  onMessageCreated(message: Message): void {
    if (message.source !== 'telegram' && this.running) void this.trigger();
  }

  /** Starts relaying: sends what earlier processes left pending at once, then polls. */
  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    const poll = () => {
      this.timer = setTimeout(() => {
        void this.trigger().finally(() => {
          if (this.running) poll();
        });
      }, this.deps.pollMs ?? DEFAULT_POLL_MS);
      this.timer.unref?.();
    };
    void this.trigger();
    poll();
  }

  /** Stops polling and waits for the pass in flight; pending rows stay for the next start. */
  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    await this.loop;
  }

  /** Sends every row that is due now, whether or not the relay runs (tests, embedders without workers). */
  flush(): Promise<void> {
    return this.trigger();
  }

  /** Resolves when the pass in flight, if any, has finished. */
  async idle(): Promise<void> {
    await this.loop;
  }

  /** Failed rows (ran out of attempts), oldest first, for inspection. */
  failed(limit = 100): Promise<OutboxEntry[]> {
    return this.deps.outbox.list('failed', limit);
  }

  /** Runs passes until one finds nothing more to do; concurrent triggers share the loop. */
  private trigger(): Promise<void> {
    this.wake = true;
    this.loop ??= (async () => {
      try {
        while (this.wake) {
          this.wake = false;
          if (await this.pass()) this.wake = true;
        }
      } finally {
        this.loop = null;
      }
    })();
    return this.loop;
  }

  /** One pass over the pending rows; true when a full batch was read (more may be waiting). */
  private async pass(): Promise<boolean> {
    let rows: OutboxEntry[];
    try {
      rows = await this.deps.outbox.list('pending', SCAN_LIMIT);
    } catch (error) {
      this.deps.logger.warn({ err: error }, 'telegram outbox poll failed; will retry');
      return false;
    }
    const byChat = new Map<number, OutboxEntry[]>();
    for (const row of rows) {
      const queue = byChat.get(row.chatId);
      if (queue) queue.push(row);
      else byChat.set(row.chatId, [row]);
    }
    await Promise.all([...byChat.values()].map((queue) => this.drainChat(queue)));
    return rows.length === SCAN_LIMIT;
  }

  /** Sends one chat's due rows in order, stopping at the first that must wait. */
  private async drainChat(queue: OutboxEntry[]): Promise<void> {
    for (const row of queue) {
      const now = this.deps.clock.now();
      if (row.nextAttemptAt > now) return;
      try {
        const claimed = await this.deps.outbox.claim(
          row.seq,
          now,
          new Date(now.getTime() + this.deps.claimMs),
        );
        // Another relay has it (or finished it): the rest of this chat must wait behind it.
        if (!claimed) return;
        if ((await this.deliver(row)) === 'later') return;
      } catch (error) {
        // The store failed around the send; the claim expires and a later pass retries.
        this.deps.logger.warn(
          { channelId: row.channelId, messageId: formatId(row.messageId), err: error },
          'telegram outbox row could not be processed; will retry',
        );
        return;
      }
    }
  }

  private async deliver(row: OutboxEntry): Promise<Outcome> {
    const { outbox } = this.deps;
    const now = this.deps.clock.now();
    const stored = await this.deps.store.get(row.channelId, row.messageId);
    if (!stored) {
      // Written before the message: either the store write is still in flight, or it failed.
      if (now.getTime() - row.createdAt.getTime() > this.deps.claimMs) {
        await outbox.remove(row.seq);
        this.log(row, 'telegram outbox dropped a message that was never stored');
        return 'done';
      }
      await outbox.retryAt(
        row.seq,
        row.attempts,
        new Date(now.getTime() + this.backoff(1)),
        'not stored yet',
      );
      return 'later';
    }
    const message = rowToMessage(stored);
    if (message.deleted && row.telegramMessageId === null) {
      await outbox.remove(row.seq);
      return 'done';
    }
    let telegramId = row.telegramMessageId;
    try {
      if (telegramId === null) {
        telegramId = (
          await this.deps.sender.send({
            botId: row.botId,
            chatId: row.chatId,
            text: message.content,
            attachments: message.attachments,
          })
        ).messageId;
        await outbox.recordTelegramId(row.seq, telegramId);
      }
      await this.deps.engine.insert(
        telegramMessageMappingTable,
        {
          telegram_message_id: BigInt(telegramId),
          telegram_chat_id: BigInt(row.chatId),
          channel_id: row.channelId,
          message_id: row.messageId,
          bucket: bucketOfId(row.messageId),
          created_at: now,
        },
        { ifNotExists: true },
      );
      await outbox.remove(row.seq);
    } catch (error) {
      const reason = (error as Error).message;
      const attempts = row.attempts + 1;
      if (attempts < this.deps.attempts) {
        await outbox.retryAt(row.seq, attempts, new Date(now.getTime() + this.backoff(attempts)), reason);
        return 'later';
      }
      this.log(row, 'telegram mirror gave up on a message', reason);
      // The channel's sync state says "error" before the failed row becomes visible, so whoever
      // finds the failure (an operator, a test) also finds the state that explains it.
      await this.deps.sync
        .record(row.channelId, row.chatId, {
          status: 'error',
          note: `outbound send failed: ${reason}`.slice(0, 500),
        })
        .catch(() => undefined);
      await outbox.fail(row.seq, attempts, reason);
      return 'done';
    }
    await this.deps.sync
      .record(row.channelId, row.chatId, { status: 'ok' })
      .catch((error: Error) => this.log(row, 'telegram sync state not recorded', error.message));
    return 'done';
  }

  private backoff(attempt: number): number {
    return (this.deps.backoffMs ?? 200) * 2 ** (attempt - 1);
  }

  private log(row: OutboxEntry, message: string, err?: string): void {
    this.deps.logger.warn(
      { channelId: row.channelId, messageId: formatId(row.messageId), ...(err ? { err } : {}) },
      message,
    );
  }
}
