import type { Logger } from 'pino';
import type { WideColumnEngine } from '../../../ports/wide-column/engine.js';
import type { Clock } from '../../../shared/clock.js';
import { formatId } from '../ids.js';
import { telegramMessageMappingTable } from '../tables.js';
import type { Message } from '../types.js';
import { bucketOfId } from '../buckets.js';
import type { ChatLinks } from './links.js';
import type { TelegramSender } from './sender.js';
import type { SyncStateStore } from './sync-state.js';

/**
 * The outbound half of the bridge: a message sent from Switchboard (source other than
 * "telegram") in a linked channel is queued for its Telegram chat. Each chat has its own
 * queue, so messages reach Telegram in the order they were sent. After Telegram (or the
 * simulated sender) answers with its message id, the mapping row (that id, chat) -> message
 * is written, so Telegram's echo of the message is recognised by ingest and not stored again.
 *
 * The queue lives in this process: a send still queued when the process dies is not
 * retried (the message stays in Switchboard; it just does not reach Telegram). Failed sends
 * are retried `send_attempts` times and then recorded in the channel's sync state.
 */
export class TelegramMirror {
  private readonly queues = new Map<number, Promise<void>>();

  constructor(
    private readonly deps: {
      engine: WideColumnEngine;
      links: ChatLinks;
      sender: TelegramSender;
      sync: SyncStateStore;
      clock: Clock;
      logger: Logger;
      attempts: number;
      backoffMs?: number;
    },
  ) {}

  /** Called after a message is stored; queues it when its channel is linked. Never throws. */
  async onMessageCreated(message: Message): Promise<void> {
    if (message.source === 'telegram' || message.deleted) return;
    try {
      const link = await this.deps.links.ofChannel(message.channelId);
      if (!link) return;
      const previous = this.queues.get(link.chatId) ?? Promise.resolve();
      const next = previous.then(() => this.deliver(link.botId, link.chatId, message));
      this.queues.set(link.chatId, next);
      void next.then(() => {
        if (this.queues.get(link.chatId) === next) this.queues.delete(link.chatId);
      });
    } catch (error) {
      this.deps.logger.warn(
        { channelId: message.channelId, messageId: formatId(message.id), err: (error as Error).message },
        'telegram mirror could not queue a message',
      );
    }
  }

  /** Resolves when every queued send has finished (for shutdown and tests). */
  async idle(): Promise<void> {
    while (this.queues.size > 0) await Promise.all([...this.queues.values()]);
  }

  private async deliver(botId: string, chatId: number, message: Message): Promise<void> {
    let lastError = '';
    // Once Telegram has the message, retries only repeat the mapping write, never the send.
    let messageId: number | undefined;
    for (let attempt = 1; attempt <= this.deps.attempts; attempt++) {
      try {
        messageId ??= (
          await this.deps.sender.send({
            botId,
            chatId,
            text: message.content,
            attachments: message.attachments,
          })
        ).messageId;
        await this.deps.engine.insert(
          telegramMessageMappingTable,
          {
            telegram_message_id: BigInt(messageId),
            telegram_chat_id: BigInt(chatId),
            channel_id: message.channelId,
            message_id: message.id,
            bucket: bucketOfId(message.id),
            created_at: this.deps.clock.now(),
          },
          { ifNotExists: true },
        );
        await this.deps.sync.record(message.channelId, chatId, { status: 'ok' });
        return;
      } catch (error) {
        lastError = (error as Error).message;
        if (attempt < this.deps.attempts) {
          await new Promise((resolve) =>
            setTimeout(resolve, (this.deps.backoffMs ?? 200) * 2 ** (attempt - 1)),
          );
        }
      }
    }
    this.deps.logger.warn(
      { channelId: message.channelId, messageId: formatId(message.id), err: lastError },
      'telegram mirror gave up on a message',
    );
    await this.deps.sync
      .record(message.channelId, chatId, {
        status: 'error',
        note: `outbound send failed: ${lastError}`.slice(0, 500),
      })
      .catch(() => undefined);
  }
}
