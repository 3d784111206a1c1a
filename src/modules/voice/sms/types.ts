import type { SmsEncoding } from './segments.js';

export const SMS_TYPES = ['appointment_confirmation', 'follow_up', 'reminder', 'otp', 'custom'] as const;
export type SmsType = (typeof SMS_TYPES)[number];

/** queued → simulated_sent (or sent, with a real gateway) → delivered | failed. */
export const SMS_STATUSES = ['queued', 'simulated_sent', 'sent', 'delivered', 'failed'] as const;
export type SmsStatus = (typeof SMS_STATUSES)[number];

export interface SmsMessage {
  messageId: string;
  sessionId: string | null;
  phoneNumber: string;
  text: string;
  type: SmsType;
  status: SmsStatus;
  segments: number;
  encoding: SmsEncoding;
  provider: string | null;
  createdAt: Date;
  sentAt: Date | null;
  deliveredAt: Date | null;
  failedAt: Date | null;
  failureReason: string | null;
  metadata: Record<string, unknown> | null;
}

export interface SendSmsInput {
  /** Any common form; stored as E.164. Numbers without a country code use `voice.default_region`. */
  phone: string;
  text: string;
  type: SmsType;
  sessionId?: string | null;
  metadata?: Record<string, unknown> | null;
}
