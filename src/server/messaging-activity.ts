import type { Kysely } from 'kysely';
import type { Switchboard } from '../app/create-switchboard.js';
import { channelMessageCountsTable } from '../modules/messaging/tables.js';
import type { MessagingDatabase } from '../modules/messaging/migrations.js';
import type { TelegramDatabase } from '../modules/messaging/telegram/migrations.js';

const MINUTE_MS = 60_000;

/**
 * The per-minute message counter LiveCounters (src/modules/messaging/live-counters.ts) keeps
 * in hot state. Read here rather than through LiveCounters.read, which checks membership for
 * one actor; test/dashboard/messaging-activity.test.ts sends through the service and reads
 * it back, so the two cannot drift apart silently.
 */
export const minuteKey = (channelId: string, at: number) =>
  `messaging:rate:${channelId}:${Math.floor(at / MINUTE_MS)}`;

export interface ChannelActivity {
  channelId: string;
  title: string;
  kind: string;
  messagesThisMinute: number;
  messagesLastMinute: number;
  messagesTotal: number;
}

export interface MessagingActivity {
  at: string;
  /** Channels looked at (the newest `scanLimit`); `truncated` when there are more. */
  scanned: number;
  truncated: boolean;
  messagesThisMinute: number;
  messagesLastMinute: number;
  busiest: ChannelActivity[];
  telegram: {
    linkedChats: number;
    pending: number;
    failed: number;
    /** Age of the oldest send still waiting: how far the bridge is behind. */
    oldestPendingSeconds: number | null;
    lastError: string | null;
    ignoredUpdatesLastHour: number;
  };
}

type Db = Kysely<MessagingDatabase & TelegramDatabase>;

/**
 * Messaging at a glance for the dashboard: the busiest channels by messages this minute and
 * last minute (hot-state counters) with their totals, and the Telegram bridge's outbox. A read
 * of the newest `scanLimit` channels: a dashboard view, not a report over every channel.
 */
export async function messagingActivity(
  switchboard: Switchboard,
  options: { limit: number; scanLimit: number },
): Promise<MessagingActivity> {
  const { context } = switchboard;
  const db = context.relational.db as Db;
  const now = context.clock.now().getTime();
  const channels = await db
    .selectFrom('messaging_channels')
    .select(['id', 'title', 'kind'])
    .orderBy('created_at', 'desc')
    .limit(options.scanLimit + 1)
    .execute();
  const truncated = channels.length > options.scanLimit;
  const scanned = channels.slice(0, options.scanLimit);
  const activity = await Promise.all(
    scanned.map(async (c): Promise<ChannelActivity> => {
      const [thisMinute, lastMinute] = await Promise.all([
        context.hotState.get(minuteKey(c.id, now)),
        context.hotState.get(minuteKey(c.id, now - MINUTE_MS)),
      ]);
      return {
        channelId: c.id,
        title: c.title,
        kind: c.kind,
        messagesThisMinute: Number(thisMinute ?? 0),
        messagesLastMinute: Number(lastMinute ?? 0),
        messagesTotal: 0,
      };
    }),
  );
  const busiest = activity
    .filter((a) => a.messagesThisMinute + a.messagesLastMinute > 0)
    .sort(
      (a, b) => b.messagesThisMinute + b.messagesLastMinute - (a.messagesThisMinute + a.messagesLastMinute),
    )
    .slice(0, options.limit);
  // Totals only for the channels shown: one counter read each.
  await Promise.all(
    busiest.map(async (a) => {
      const row = await context.wideColumn.get(channelMessageCountsTable, { channel_id: a.channelId });
      a.messagesTotal = Number(row?.message_count ?? 0n);
    }),
  );

  const [outbox, oldest, lastFailed, links, ignored] = await Promise.all([
    db
      .selectFrom('telegram_outbox')
      .select(['status', db.fn.countAll<number>().as('n')])
      .groupBy('status')
      .execute(),
    db
      .selectFrom('telegram_outbox')
      .select(db.fn.min('created_at').as('oldest'))
      .where('status', '=', 'pending')
      .executeTakeFirst(),
    db
      .selectFrom('telegram_outbox')
      .select('last_error')
      .where('status', '=', 'failed')
      .orderBy('seq', 'desc')
      .limit(1)
      .executeTakeFirst(),
    db.selectFrom('telegram_chat_links').select(db.fn.countAll<number>().as('n')).executeTakeFirst(),
    db
      .selectFrom('telegram_ignored_updates')
      .select(db.fn.countAll<number>().as('n'))
      .where('received_at', '>=', new Date(now - 60 * MINUTE_MS).toISOString())
      .executeTakeFirst(),
  ]);
  const count = (status: string) => Number(outbox.find((r) => r.status === status)?.n ?? 0);
  const oldestAt = oldest?.oldest ? new Date(oldest.oldest as string | Date).getTime() : null;
  return {
    at: new Date(now).toISOString(),
    scanned: scanned.length,
    truncated,
    messagesThisMinute: activity.reduce((s, a) => s + a.messagesThisMinute, 0),
    messagesLastMinute: activity.reduce((s, a) => s + a.messagesLastMinute, 0),
    busiest,
    telegram: {
      linkedChats: Number(links?.n ?? 0),
      pending: count('pending'),
      failed: count('failed'),
      oldestPendingSeconds: oldestAt === null ? null : Math.max(0, (now - oldestAt) / 1000),
      lastError: lastFailed?.last_error ?? null,
      ignoredUpdatesLastHour: Number(ignored?.n ?? 0),
    },
  };
}
