import { afterEach, describe, expect, it } from 'vitest';
import { isSwitchboardError, type SwitchboardError } from '../../../src/errors/index.js';
import { createSmsDeliveryWorker } from '../../../src/modules/voice/sms/delivery-worker.js';
import type { SmsProvider } from '../../../src/modules/voice/sms/provider.js';
import { smsPending, SMS_PENDING_BUCKETS } from '../../../src/modules/voice/tables.js';
import { until, voiceContext, type VoiceTestContext } from './helpers.js';

let open: VoiceTestContext[] = [];
afterEach(async () => {
  for (const t of open) await t.ctx.cleanup();
  open = [];
});

async function setup(env: NodeJS.ProcessEnv = {}, services = {}) {
  const t = await voiceContext({ env, services });
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

describe('voice SMS', () => {
  it('stores a sent message, queryable by phone newest first with page tokens', async () => {
    const { voice } = await setup();
    const sent = await voice.sms.send({ phone: '98765 43210', text: 'Your OTP is 482913', type: 'otp' });
    expect(sent).toMatchObject({
      phoneNumber: PHONE,
      status: 'simulated_sent',
      segments: 1,
      encoding: 'GSM-7',
    });
    expect(sent.sentAt).toBeInstanceOf(Date);
    for (let i = 0; i < 4; i += 1)
      await voice.sms.send({ phone: PHONE, text: `follow up ${i}`, type: 'follow_up' });

    const all = await voice.sms.listByPhone(PHONE);
    expect(all.messages.map((m) => m.text)).toEqual([
      'follow up 3',
      'follow up 2',
      'follow up 1',
      'follow up 0',
      'Your OTP is 482913',
    ]);
    const texts: string[] = [];
    let token: string | null = null;
    do {
      const page: Awaited<ReturnType<typeof voice.sms.listByPhone>> = await voice.sms.listByPhone(PHONE, {
        limit: 2,
        pageToken: token,
      });
      texts.push(...page.messages.map((m) => m.text));
      token = page.nextPageToken;
    } while (token);
    expect(texts).toEqual(all.messages.map((m) => m.text));
    expect((await voice.sms.listByPhone('+919812345678')).messages).toEqual([]);
    expect((await voice.sms.get('098765 43210', sent.messageId)).text).toBe('Your OTP is 482913');
  });

  it('lists the messages of a session', async () => {
    const { voice } = await setup();
    // A session SMS needs a live session (issue 18: the same rule as appointments).
    await voice.sessions.create({ sessionId: 'call-1' });
    await voice.sessions.create({ sessionId: 'call-2' });
    await voice.sms.send({ phone: PHONE, text: 'one', type: 'custom', sessionId: 'call-1' });
    await voice.sms.send({ phone: '+919812345678', text: 'two', type: 'reminder', sessionId: 'call-1' });
    await voice.sms.send({ phone: PHONE, text: 'elsewhere', type: 'custom', sessionId: 'call-2' });
    const page = await voice.sms.listBySession('call-1');
    expect(page.messages.map((m) => m.text)).toEqual(['two', 'one']);
  });

  it('moves queued → simulated_sent → delivered through the worker after the configured delay', async () => {
    const { voice, ctx } = await setup({ SWITCHBOARD_VOICE_SMS_DELIVERY_DELAY_MS: '300' });
    const sent = await voice.sms.send({ phone: PHONE, text: 'hello', type: 'custom' });
    expect(sent.status).toBe('simulated_sent');
    const worker = createSmsDeliveryWorker(voice.sms, { pollMs: 20, logger: ctx.logger });
    await worker.start();
    try {
      await new Promise((resolve) => setTimeout(resolve, 150));
      expect((await voice.sms.get(PHONE, sent.messageId)).status).toBe('simulated_sent');
      expect(
        await until(async () => (await voice.sms.get(PHONE, sent.messageId)).status === 'delivered'),
      ).toBe(true);
    } finally {
      await worker.stop();
    }
    const delivered = await voice.sms.get(PHONE, sent.messageId);
    expect(delivered.deliveredAt!.getTime() - delivered.sentAt!.getTime()).toBeGreaterThanOrEqual(300);
    // The due-delivery queue is empty again.
    for (let bucket = 0; bucket < SMS_PENDING_BUCKETS; bucket += 1) {
      expect((await ctx.wideColumn.slice(smsPending, { key: { bucket } })).rows).toEqual([]);
    }
    // Settling again changes nothing (idempotent).
    expect(await voice.sms.deliverDue(new Date(Date.now() + 60_000))).toBe(0);
  });

  it('records simulated failures with a reason at the configured rate', async () => {
    const { voice } = await setup(
      { SWITCHBOARD_VOICE_SMS_DELIVERY_DELAY_MS: '0', SWITCHBOARD_VOICE_SMS_FAILURE_RATE: '0.5' },
      {
        smsRandom: (() => {
          let i = 0;
          return () => (i++ % 2 === 0 ? 0.1 : 0.9);
        })(),
      },
    );
    const ids = [];
    for (let i = 0; i < 10; i += 1)
      ids.push((await voice.sms.send({ phone: PHONE, text: `m${i}`, type: 'custom' })).messageId);
    expect(await voice.sms.deliverDue(new Date(Date.now() + 1000))).toBe(10);
    const messages = (await voice.sms.listByPhone(PHONE)).messages;
    const failed = messages.filter((m) => m.status === 'failed');
    expect(failed).toHaveLength(5);
    expect(messages.filter((m) => m.status === 'delivered')).toHaveLength(5);
    expect(failed[0]!.failureReason).toMatch(/simulated delivery failure/);
    expect(failed[0]!.failedAt).toBeInstanceOf(Date);
  });

  it('sends through an injected provider and records a refusal as failed', async () => {
    const refusing: SmsProvider = {
      name: 'gateway',
      simulated: false,
      send: async () => {
        throw new Error('quota exceeded');
      },
    };
    const { voice } = await setup({}, { smsProvider: refusing });
    const result = await voice.sms.send({ phone: PHONE, text: 'hi', type: 'custom' });
    expect(result).toMatchObject({ status: 'failed', provider: 'gateway' });
    expect((await voice.sms.get(PHONE, result.messageId)).failureReason).toMatch(/quota exceeded/);
  });

  it('answers bad input with its code and writes nothing', async () => {
    const { voice } = await setup({ SWITCHBOARD_VOICE_SMS_MAX_SEGMENTS: '2' });
    expect(await rejection(voice.sms.send({ phone: '12345', text: 'x', type: 'otp' }))).toMatchObject({
      code: 'INVALID_PHONE',
      field: 'phone',
    });
    expect(
      await rejection(voice.sms.send({ phone: PHONE, text: 'x', type: 'marketing' as 'otp' })),
    ).toMatchObject({ code: 'VALIDATION_FAILED', field: 'type' });
    expect(
      await rejection(voice.sms.send({ phone: PHONE, text: 'a'.repeat(307), type: 'custom' })),
    ).toMatchObject({
      code: 'SMS_TOO_LONG',
      field: 'text',
      details: { segments: 3, encoding: 'GSM-7' },
    });
    expect(
      await rejection(voice.sms.send({ phone: PHONE, text: '₹'.repeat(135), type: 'custom' })),
    ).toMatchObject({
      code: 'SMS_TOO_LONG',
    });
    expect(await rejection(voice.sms.send({ phone: PHONE, text: '  ', type: 'custom' }))).toMatchObject({
      field: 'text',
    });
    expect((await voice.sms.listByPhone(PHONE)).messages).toEqual([]);
    // The longest allowed message goes through.
    expect((await voice.sms.send({ phone: PHONE, text: 'a'.repeat(306), type: 'custom' })).segments).toBe(2);
  });
});
