import type { Logger } from 'pino';
import { SwitchboardError } from '../../../errors/index.js';
import type { Clock } from '../../../shared/clock.js';
import { timeUuid } from '../../../shared/timeuuid.js';
import { isTimeUuid } from '../../../ports/wide-column/values.js';
import { normalisePhone } from '../phone.js';
import type { RandomSource } from '../random.js';
import { invalid, isPlainObject, pageLimit, parseStoredJson } from '../validate.js';
import type { SmsProvider } from './provider.js';
import { SMS_PENDING_BUCKETS } from '../tables.js';
import type { PendingRow, SmsRepository, SmsRow } from './repository.js';
import { countSegments } from './segments.js';
import { SMS_TYPES, type SendSmsInput, type SmsMessage, type SmsStatus, type SmsType } from './types.js';

export interface SmsServiceOptions {
  defaultRegion: string;
  maxSegments: number;
  deliveryDelayMs: number;
  failureRate: number;
  logMessages: boolean;
  clock: Clock;
  random: RandomSource;
  logger: Logger;
  /**
   * Whether a session id names a live session. A send naming one that does not is refused
   * with 404 NOT_FOUND, the same rule as appointments (unset: not checked, library use).
   */
  sessionExists?: (sessionId: string) => Promise<boolean>;
}

/** A message checked and given its id, not yet stored: lets a caller validate before writing anything. */
export interface PreparedSms {
  messageId: string;
  phone: string;
  text: string;
  type: SmsType;
  sessionId: string | null;
  metadataJson: string | null;
  segments: number;
  encoding: 'GSM-7' | 'UCS-2';
}

const MAX_TEXT = 2_000;
const SESSION_ID_RE = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * The SMS outbox. A send stores the message as `queued`, hands it to the provider and marks
 * it `simulated_sent`, scheduling the simulated delivery in sms_pending; the delivery worker
 * then moves it to `delivered` (or `failed`, at the configured rate).
 */
export class SmsService {
  constructor(
    private readonly repo: SmsRepository,
    private readonly provider: SmsProvider,
    private readonly options: SmsServiceOptions,
  ) {}

  /** Validates a message and assigns its id; writes nothing. */
  prepare(input: SendSmsInput): PreparedSms {
    if (!isPlainObject(input)) throw invalid('body', 'must be an object');
    const phone = normalisePhone(input.phone, this.options.defaultRegion, 'phone');
    if (typeof input.type !== 'string' || !(SMS_TYPES as readonly string[]).includes(input.type)) {
      throw invalid('type', `must be one of ${SMS_TYPES.join(', ')}`);
    }
    if (typeof input.text !== 'string' || input.text.trim() === '') throw invalid('text', 'is required');
    if (input.text.length > MAX_TEXT) throw invalid('text', `must be at most ${MAX_TEXT} characters`);
    const { segments, encoding } = countSegments(input.text);
    if (segments > this.options.maxSegments) {
      throw new SwitchboardError(
        'SMS_TOO_LONG',
        `text needs ${segments} ${encoding} segments; at most ${this.options.maxSegments} are allowed`,
        { field: 'text', details: { segments, encoding, maxSegments: this.options.maxSegments } },
      );
    }
    const sessionId = input.sessionId ?? null;
    if (sessionId !== null && (typeof sessionId !== 'string' || !SESSION_ID_RE.test(sessionId))) {
      throw invalid('sessionId', 'must be 1-128 characters of A-Z a-z 0-9 . _ : -');
    }
    let metadataJson: string | null = null;
    if (input.metadata !== undefined && input.metadata !== null) {
      if (!isPlainObject(input.metadata)) throw invalid('metadata', 'must be a JSON object');
      metadataJson = JSON.stringify(input.metadata);
      if (metadataJson.length > 16_384) throw invalid('metadata', 'must be at most 16384 characters of JSON');
    }
    return {
      messageId: timeUuid(this.options.clock.now()),
      phone,
      text: input.text,
      type: input.type,
      sessionId,
      metadataJson,
      segments,
      encoding,
    };
  }

  async send(input: SendSmsInput): Promise<SmsMessage> {
    const sms = this.prepare(input);
    await this.requireSession(sms.sessionId);
    return this.sendPrepared(sms);
  }

  /** NOT_FOUND naming `sessionId` when it names no live session (see `sessionExists`). */
  async requireSession(sessionId: string | null): Promise<void> {
    if (sessionId === null || !this.options.sessionExists) return;
    if (!(await this.options.sessionExists(sessionId))) {
      throw new SwitchboardError('NOT_FOUND', `sessionId: no live session "${sessionId}"`, {
        field: 'sessionId',
      });
    }
  }

  async sendPrepared(sms: PreparedSms): Promise<SmsMessage> {
    const createdAt = this.options.clock.now();
    await this.repo.insertQueued({
      phone_number: sms.phone,
      message_id: sms.messageId,
      session_id: sms.sessionId,
      message_text: sms.text,
      message_type: sms.type,
      status: 'queued',
      created_at: createdAt,
      segments: sms.segments,
      encoding: sms.encoding,
      metadata_json: sms.metadataJson,
    });
    const message: SmsMessage = {
      messageId: sms.messageId,
      sessionId: sms.sessionId,
      phoneNumber: sms.phone,
      text: sms.text,
      type: sms.type,
      status: 'queued',
      segments: sms.segments,
      encoding: sms.encoding,
      provider: null,
      createdAt,
      sentAt: null,
      deliveredAt: null,
      failedAt: null,
      failureReason: null,
      metadata: sms.metadataJson ? (JSON.parse(sms.metadataJson) as Record<string, unknown>) : null,
    };
    try {
      await this.provider.send({
        messageId: sms.messageId,
        to: sms.phone,
        text: sms.text,
        encoding: sms.encoding,
        segments: sms.segments,
      });
    } catch (error) {
      const at = this.options.clock.now();
      const reason = `provider ${this.provider.name} refused the message: ${(error as Error).message ?? 'unknown error'}`;
      await this.repo.markFailedOnSend(sms.phone, sms.messageId, at, reason);
      this.log(message, 'failed');
      return {
        ...message,
        status: 'failed',
        provider: this.provider.name,
        failedAt: at,
        failureReason: reason,
      };
    }
    const sentAt = this.options.clock.now();
    const status = this.provider.simulated ? 'simulated_sent' : 'sent';
    const dueAt = this.provider.simulated ? new Date(sentAt.getTime() + this.options.deliveryDelayMs) : null;
    await this.repo.markSent(sms.phone, sms.messageId, status, sentAt, this.provider.name, dueAt);
    this.log(message, status);
    return { ...message, status, provider: this.provider.name, sentAt };
  }

  async get(phone: string, messageId: string): Promise<SmsMessage> {
    const e164 = normalisePhone(phone, this.options.defaultRegion, 'phone');
    if (typeof messageId !== 'string' || !isTimeUuid(messageId.toLowerCase())) {
      throw invalid('messageId', 'must be a version-1 UUID');
    }
    const row = await this.repo.get(e164, messageId.toLowerCase());
    if (!row)
      throw new SwitchboardError('NOT_FOUND', `No SMS ${messageId} for that phone`, { field: 'messageId' });
    return toMessage(row);
  }

  /** Messages to a phone, newest first; pass `nextPageToken` back for the next page. */
  async listByPhone(
    phone: string,
    options: { limit?: number; pageToken?: string | null } = {},
  ): Promise<{ messages: SmsMessage[]; nextPageToken: string | null }> {
    const e164 = normalisePhone(phone, this.options.defaultRegion, 'phone');
    const page = await this.repo.listByPhone(e164, pageLimit(options.limit, 20, 100), options.pageToken);
    return { messages: page.rows.map(toMessage), nextPageToken: page.nextPageToken };
  }

  /** Messages of a session, newest first. */
  async listBySession(
    sessionId: string,
    options: { limit?: number; pageToken?: string | null } = {},
  ): Promise<{ messages: SmsMessage[]; nextPageToken: string | null }> {
    if (typeof sessionId !== 'string' || !SESSION_ID_RE.test(sessionId)) {
      throw invalid('sessionId', 'must be 1-128 characters of A-Z a-z 0-9 . _ : -');
    }
    const page = await this.repo.listBySession(
      sessionId,
      pageLimit(options.limit, 20, 100),
      options.pageToken,
    );
    const rows = await Promise.all(page.rows.map((r) => this.repo.get(r.phone_number ?? '', r.message_id)));
    return {
      messages: rows.filter((r): r is SmsRow => r !== null).map(toMessage),
      nextPageToken: page.nextPageToken,
    };
  }

  /**
   * Settles every simulated delivery due by `now` (what the worker runs each poll). Each
   * outcome is conditional on the message still being `simulated_sent`, so two workers, or a
   * retry after a crash, never settle a message twice. Returns how many were settled.
   */
  async deliverDue(now: Date = this.options.clock.now(), limitPerBucket = 200): Promise<number> {
    let settled = 0;
    for (let bucket = 0; bucket < SMS_PENDING_BUCKETS; bucket += 1) {
      const due = await this.repo.due(bucket, now, limitPerBucket);
      for (const row of due) {
        if (await this.settleOne(row, now)) settled += 1;
      }
    }
    return settled;
  }

  private async settleOne(row: PendingRow, now: Date): Promise<boolean> {
    const phone = row.phone_number;
    let applied = false;
    if (phone) {
      const fails = this.options.failureRate > 0 && this.options.random() < this.options.failureRate;
      applied = await this.repo.settle(
        phone,
        row.message_id,
        fails
          ? { status: 'failed', at: now, reason: 'simulated delivery failure (voice.sms.failure_rate)' }
          : { status: 'delivered', at: now },
      );
      if (applied && this.options.logMessages) {
        this.options.logger.info(
          { messageId: row.message_id, status: fails ? 'failed' : 'delivered' },
          'sms settled',
        );
      }
    }
    await this.repo.deletePending(row);
    return applied;
  }

  private log(message: SmsMessage, status: SmsStatus): void {
    if (!this.options.logMessages) return;
    // Never the number or the text: ids, type and size only.
    this.options.logger.info(
      {
        messageId: message.messageId,
        sessionId: message.sessionId,
        type: message.type,
        segments: message.segments,
        encoding: message.encoding,
        status,
        provider: this.provider.name,
      },
      'sms sent',
    );
  }
}

export function toMessage(row: SmsRow): SmsMessage {
  const metadata = parseStoredJson(row.metadata_json);
  return {
    messageId: row.message_id,
    sessionId: row.session_id,
    phoneNumber: row.phone_number,
    text: row.message_text ?? '',
    type: (row.message_type ?? 'custom') as SmsType,
    status: (row.status ?? 'queued') as SmsStatus,
    segments: row.segments ?? 1,
    encoding: row.encoding === 'UCS-2' ? 'UCS-2' : 'GSM-7',
    provider: row.provider,
    createdAt: row.created_at ?? new Date(0),
    sentAt: row.sent_at,
    deliveredAt: row.delivered_at,
    failedAt: row.failed_at,
    failureReason: row.failure_reason,
    metadata: isPlainObject(metadata) ? metadata : null,
  };
}
