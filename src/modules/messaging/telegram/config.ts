import { f, type ConfigOf } from '../../../config/fields.js';

/**
 * `[messaging.telegram]`: the Telegram bridge. Each bot is one entry of `bots`:
 *
 * ```toml
 * [messaging.telegram]
 * create_channels = true
 * bots = [
 *   { id = "support", secret = "s3cr3t-token_value", chats = [
 *       { chat_id = -1001234567890, channel_id = "0b8f1a52-6c7e-4d1f-9a0e-3e5f2b7c9d10" } ] },
 * ]
 * ```
 *
 * Telegram calls `POST /v1/telegram/webhook/<id>` with the `secret` in the
 * `X-Telegram-Bot-Api-Secret-Token` header (set it as `secret_token` in setWebhook).
 * From the environment: `SWITCHBOARD_MESSAGING_TELEGRAM_BOTS` as JSON.
 */
export interface TelegramBotConfig {
  id: string;
  /** Telegram allows 1 to 256 of A-Z, a-z, 0-9, `_` and `-`. */
  secret: string;
  /** Chats linked to existing channels; other chats follow `create_channels`. */
  chats?: { chat_id: number; channel_id: string }[];
  /** Overrides the section's `create_channels` for this bot. */
  create_channels?: boolean;
}

const BOT_ID = /^[A-Za-z0-9_-]{1,64}$/;
const SECRET = /^[A-Za-z0-9_-]{1,256}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const BOT_KEYS = new Set(['id', 'secret', 'chats', 'create_channels']);

/** Returns what is wrong with a `bots` value, or undefined when it is fine. */
export function checkBots(value: unknown): string | undefined {
  if (!Array.isArray(value)) return 'not a list';
  const ids = new Set<string>();
  const chats = new Set<number>();
  for (const [i, bot] of value.entries()) {
    if (typeof bot !== 'object' || bot === null) return `bots[${i}] is not a table`;
    const b = bot as Record<string, unknown>;
    const unknown = Object.keys(b).find((k) => !BOT_KEYS.has(k));
    if (unknown) return `bots[${i}].${unknown} is not a known key`;
    if (typeof b.id !== 'string' || !BOT_ID.test(b.id))
      return `bots[${i}].id must be 1-64 of A-Z a-z 0-9 _ -`;
    if (ids.has(b.id)) return `bots[${i}].id "${b.id}" is given twice`;
    ids.add(b.id);
    if (typeof b.secret !== 'string' || !SECRET.test(b.secret))
      return `bots[${i}].secret must be 1-256 of A-Z a-z 0-9 _ -`;
    if (b.create_channels !== undefined && typeof b.create_channels !== 'boolean')
      return `bots[${i}].create_channels must be true or false`;
    if (b.chats !== undefined) {
      if (!Array.isArray(b.chats)) return `bots[${i}].chats is not a list`;
      for (const [j, c] of (b.chats as unknown[]).entries()) {
        const chat = c as Record<string, unknown> | null;
        if (typeof chat !== 'object' || chat === null) return `bots[${i}].chats[${j}] is not a table`;
        if (!Number.isSafeInteger(chat.chat_id)) return `bots[${i}].chats[${j}].chat_id must be an integer`;
        if (typeof chat.channel_id !== 'string' || !UUID.test(chat.channel_id)) {
          return `bots[${i}].chats[${j}].channel_id must be a lower-case channel UUID`;
        }
        if (chats.has(chat.chat_id as number)) return `chat ${String(chat.chat_id)} is linked twice`;
        chats.add(chat.chat_id as number);
      }
    }
  }
  return undefined;
}

export const telegramSection = {
  bots: f.structured<TelegramBotConfig[]>(
    [],
    'a list of { id, secret, chats?, create_channels? } (env: JSON)',
    checkBots,
    { secret: true },
  ),
  /** Whether a message from a chat with no linked channel creates one (else it is recorded and dropped). */
  create_channels: f.boolean(true),
  /**
   * How long an ingest claim may stay unfinished before a redelivery takes it over (the
   * first attempt is presumed dead). Longer than the slowest store write.
   */
  claim_timeout_ms: f.int(30_000, 1000, 3_600_000),
  /** Attempts to hand an outbound message to Telegram before it is recorded as failed. */
  send_attempts: f.int(3, 1, 20),
};

export type TelegramConfig = ConfigOf<typeof telegramSection>;
