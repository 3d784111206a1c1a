import { afterEach, describe, expect, it } from 'vitest';
import { isSwitchboardError, type SwitchboardError } from '../../../src/errors/index.js';
import { appointmentSlotCustomers, appointmentSlots } from '../../../src/modules/voice/tables.js';
import { daysAhead, voiceContext, type VoiceTestContext } from './helpers.js';

let open: VoiceTestContext[] = [];
afterEach(async () => {
  for (const t of open) await t.ctx.cleanup();
  open = [];
});

async function setup() {
  const t = await voiceContext();
  open.push(t);
  return t;
}

async function rejection(promise: Promise<unknown>): Promise<SwitchboardError> {
  try {
    await promise;
  } catch (error) {
    if (isSwitchboardError(error)) return error;
    throw error;
  }
  throw new Error('expected a rejection');
}

const PHONE = '+919876543210';
const DATE = daysAhead(3);

function booking(overrides: Record<string, unknown> = {}) {
  return {
    customerName: 'Asha Rao',
    customerPhone: '98765 43210',
    branchId: 'blr-indiranagar',
    date: DATE,
    time: '10:30',
    ...overrides,
  };
}

describe('voice appointments', () => {
  it('books an appointment linked to its session and its confirmation SMS', async () => {
    const { voice } = await setup();
    const session = await voice.sessions.create({ sessionId: 'call-42', customerPhone: PHONE });
    const appt = await voice.appointments.book(
      booking({ sessionId: session.sessionId, notes: '40 g of 22k' }),
    );
    expect(appt).toMatchObject({
      customerPhone: PHONE,
      branchName: 'Indiranagar',
      status: 'scheduled',
      sessionId: 'call-42',
      date: DATE,
      time: '10:30',
    });
    const sms = await voice.sms.get(PHONE, appt.confirmationSmsId!);
    expect(sms).toMatchObject({
      type: 'appointment_confirmation',
      sessionId: 'call-42',
      status: 'simulated_sent',
    });
    expect(sms.text).toContain(DATE);
    expect(sms.text).toContain('10:30');
    expect(sms.metadata).toMatchObject({ appointmentId: appt.appointmentId });
    expect((await voice.sms.listBySession('call-42')).messages.map((m) => m.messageId)).toEqual([
      appt.confirmationSmsId,
    ]);
    expect(await voice.appointments.get(appt.appointmentId)).toEqual(appt);
  });

  it('lists by phone newest first and by branch and date in slot order', async () => {
    const { voice } = await setup();
    const a = await voice.appointments.book(booking({ time: '11:00' }));
    const b = await voice.appointments.book(booking({ time: '09:30' }));
    const c = await voice.appointments.book(
      booking({ time: '10:00', customerPhone: '+919812345678', customerName: 'Ravi' }),
    );
    await voice.appointments.book(booking({ date: daysAhead(4) }));
    const mine = await voice.appointments.listByPhone(PHONE);
    expect(mine.appointments.slice(1).map((x) => x.appointmentId)).toEqual([
      b.appointmentId,
      a.appointmentId,
    ]);
    const sheet = await voice.appointments.daySheet('blr-indiranagar', DATE);
    expect(sheet.appointments.map((x) => [x.time, x.appointmentId])).toEqual([
      ['09:30', b.appointmentId],
      ['10:00', c.appointmentId],
      ['11:00', a.appointmentId],
    ]);
  });

  it('concurrent bookings of the last seat: exactly one wins, cancelling frees the seat', async () => {
    const { voice, ctx } = await setup();
    // capacity 2: take one seat, then race 6 customers for the last one.
    await voice.appointments.book(booking({ customerPhone: '+919800000000' }));
    const phones = Array.from({ length: 6 }, (_, i) => `+9198000000${String(i + 1).padStart(2, '0')}`);
    const results = await Promise.allSettled(
      phones.map((p) => voice.appointments.book(booking({ customerPhone: p }))),
    );
    const won = results.filter(
      (r): r is PromiseFulfilledResult<Awaited<ReturnType<typeof voice.appointments.book>>> =>
        r.status === 'fulfilled',
    );
    const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(won).toHaveLength(1);
    expect(lost.map((r) => (r.reason as SwitchboardError).code)).toEqual(Array(5).fill('SLOT_FULL'));
    const slot = { branch_id: 'blr-indiranagar', appointment_date: DATE, appointment_time: '10:30' };
    expect((await ctx.wideColumn.slice(appointmentSlots, { key: slot })).rows.map((r) => r.seat)).toEqual([
      1, 2,
    ]);
    // The losers left no claim behind and no appointment.
    expect((await ctx.wideColumn.slice(appointmentSlotCustomers, { key: slot })).rows).toHaveLength(2);
    expect((await voice.appointments.daySheet('blr-indiranagar', DATE)).appointments).toHaveLength(2);

    await voice.appointments.changeStatus(won[0]!.value.appointmentId, 'cancelled');
    const next = await voice.appointments.book(booking({ customerPhone: '+919800000099' }));
    expect(next.status).toBe('scheduled');
  });

  it('refuses a second active booking of the same customer in one slot, until cancelled', async () => {
    const { voice } = await setup();
    const first = await voice.appointments.book(booking());
    expect(
      await rejection(voice.appointments.book(booking({ customerPhone: '+91 98765 43210' }))),
    ).toMatchObject({
      code: 'DUPLICATE_BOOKING',
      field: 'customerPhone',
    });
    await voice.appointments.changeStatus(first.appointmentId, 'cancelled');
    expect((await voice.appointments.book(booking())).status).toBe('scheduled');
  });

  it('moves status scheduled → confirmed → completed and refuses anything else', async () => {
    const { voice } = await setup();
    const a = await voice.appointments.book(booking());
    expect(await rejection(voice.appointments.changeStatus(a.appointmentId, 'completed'))).toMatchObject({
      code: 'ILLEGAL_STATUS_CHANGE',
      details: { from: 'scheduled', to: 'completed' },
    });
    expect((await voice.appointments.changeStatus(a.appointmentId, 'confirmed')).status).toBe('confirmed');
    expect((await voice.appointments.changeStatus(a.appointmentId, 'completed')).status).toBe('completed');
    expect((await rejection(voice.appointments.changeStatus(a.appointmentId, 'cancelled'))).code).toBe(
      'ILLEGAL_STATUS_CHANGE',
    );
    expect((await voice.appointments.get(a.appointmentId)).status).toBe('completed');
    const sheet = await voice.appointments.daySheet('blr-indiranagar', DATE);
    expect(sheet.appointments[0]!.status).toBe('completed');

    const b = await voice.appointments.book(booking({ time: '12:00' }));
    await voice.appointments.changeStatus(b.appointmentId, 'cancelled');
    expect((await rejection(voice.appointments.changeStatus(b.appointmentId, 'confirmed'))).code).toBe(
      'ILLEGAL_STATUS_CHANGE',
    );
  });

  it('answers each bad booking with its code and writes nothing', async () => {
    const { voice } = await setup();
    const cases: [Record<string, unknown>, string, string][] = [
      [{ customerPhone: '12345' }, 'INVALID_PHONE', 'customerPhone'],
      [{ branchId: 'nowhere' }, 'UNKNOWN_BRANCH', 'branchId'],
      [{ time: '10:15' }, 'SLOT_OUTSIDE_HOURS', 'time'],
      [{ time: '18:00' }, 'SLOT_OUTSIDE_HOURS', 'time'],
      [{ date: daysAhead(-1) }, 'SLOT_IN_PAST', 'date'],
      [{ date: '2030-02-30' }, 'VALIDATION_FAILED', 'date'],
      [{ customerName: '' }, 'VALIDATION_FAILED', 'customerName'],
      [{ sessionId: 'no-such-session' }, 'NOT_FOUND', 'sessionId'],
    ];
    for (const [overrides, code, field] of cases) {
      expect(await rejection(voice.appointments.book(booking(overrides)))).toMatchObject({ code, field });
    }
    expect((await voice.appointments.listByPhone(PHONE)).appointments).toEqual([]);
    expect((await voice.sms.listByPhone(PHONE)).messages).toEqual([]);
    expect((await voice.appointments.daySheet('blr-indiranagar', DATE)).appointments).toEqual([]);
    expect((await rejection(voice.appointments.daySheet('nowhere', DATE))).code).toBe('UNKNOWN_BRANCH');
    expect((await rejection(voice.appointments.get('5b6e4a10-9d3c-11ef-8a4f-0b2f6c1d7e21'))).code).toBe(
      'NOT_FOUND',
    );
  });
});
