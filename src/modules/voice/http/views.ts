import type { Appointment } from '../appointments/service.js';
import type { GoldHistoryEntry, GoldPrice } from '../gold/service.js';
import type { VoiceSession } from '../sessions/service.js';
import type { SmsMessage } from '../sms/types.js';

/** JSON shapes of the voice routes: dates as ISO strings, everything else as the services return it. */

const iso = (d: Date | null): string | null => (d ? d.toISOString() : null);

export function sessionView(s: VoiceSession) {
  return {
    ...s,
    createdAt: s.createdAt.toISOString(),
    updatedAt: s.updatedAt.toISOString(),
    expiresAt: s.expiresAt.toISOString(),
  };
}

export function smsView(m: SmsMessage) {
  return {
    ...m,
    createdAt: m.createdAt.toISOString(),
    sentAt: iso(m.sentAt),
    deliveredAt: iso(m.deliveredAt),
    failedAt: iso(m.failedAt),
  };
}

export function goldPriceView(p: GoldPrice) {
  return { ...p, updatedAt: p.updatedAt.toISOString() };
}

export function goldHistoryView(e: GoldHistoryEntry) {
  return { ...e, createdAt: e.createdAt.toISOString() };
}

export function appointmentView(a: Appointment) {
  return { ...a, createdAt: a.createdAt.toISOString(), updatedAt: a.updatedAt.toISOString() };
}
