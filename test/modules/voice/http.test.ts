import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestServer, type TestServer } from '../../helpers/server.js';
import { BRANCHES, daysAhead, until } from './helpers.js';

let server: TestServer;
let write: { authorization: string };
let read: { authorization: string };

beforeAll(async () => {
  server = await createTestServer({
    env: {
      SWITCHBOARD_VOICE_BRANCHES: JSON.stringify(BRANCHES),
      SWITCHBOARD_VOICE_MAX_MEMORY_BYTES: '4096',
      SWITCHBOARD_VOICE_SMS_DELIVERY_DELAY_MS: '50',
      SWITCHBOARD_VOICE_SMS_DELIVERY_POLL_MS: '20',
      SWITCHBOARD_VOICE_GOLD_PRICE_SEED: '7',
    },
  });
  write = server.auth(await server.keyWithScope('write'));
  read = server.auth(await server.keyWithScope('read'));
});

afterAll(async () => {
  await server?.close();
});

const PHONE = '+919876543210';

async function inject(
  method: 'GET' | 'POST' | 'PUT' | 'PATCH',
  url: string,
  payload?: unknown,
  headers = write,
) {
  const res = await server.app.inject({
    method,
    url,
    headers,
    ...(payload !== undefined ? { payload: payload as object } : {}),
  });
  return { status: res.statusCode, body: res.json() as Record<string, any>, headers: res.headers }; // eslint-disable-line @typescript-eslint/no-explicit-any
}

describe('voice HTTP routes', () => {
  it('sessions: create, read, patch, memory with versions, list by phone', async () => {
    const created = await inject('POST', '/v1/voice/sessions', {
      sessionId: 'http-call-1',
      customerPhone: '98765 43210',
      language: 'hi',
      memory: { intent: 'gold_loan' },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ sessionId: 'http-call-1', customerPhone: PHONE, memoryVersion: 1 });
    expect(Date.parse(created.body.expiresAt) - Date.parse(created.body.createdAt)).toBe(86_400_000);

    const patched = await inject('PATCH', '/v1/voice/sessions/http-call-1', { conversationStage: 'pricing' });
    expect(patched.body.conversationStage).toBe('pricing');

    const memory = await inject('GET', '/v1/voice/sessions/http-call-1/memory', undefined, read);
    expect(memory.body).toEqual({ memory: { intent: 'gold_loan' }, version: 1 });
    expect(memory.headers.etag).toBe('"1"');

    const put = await server.app.inject({
      method: 'PUT',
      url: '/v1/voice/sessions/http-call-1/memory',
      headers: { ...write, 'if-match': '"1"' },
      payload: { memory: { intent: 'gold_loan', grams: 40 } },
    });
    expect(put.statusCode).toBe(200);
    expect(put.json()).toMatchObject({ version: 2 });

    const stale = await inject('PUT', '/v1/voice/sessions/http-call-1/memory', {
      memory: { lost: true },
      version: 1,
    });
    expect(stale.status).toBe(409);
    expect(stale.body.error).toMatchObject({ code: 'VERSION_CONFLICT', details: { currentVersion: 2 } });

    const big = await inject('PUT', '/v1/voice/sessions/http-call-1/memory', {
      memory: { x: 'y'.repeat(5000) },
      version: 2,
    });
    expect(big.status).toBe(413);
    expect(big.body.error).toMatchObject({ code: 'MEMORY_TOO_LARGE', field: 'memory' });
    expect((await inject('GET', '/v1/voice/sessions/http-call-1', undefined, read)).body.memory).toEqual({
      intent: 'gold_loan',
      grams: 40,
    });

    const listed = await inject(
      'GET',
      `/v1/voice/sessions?phone=${encodeURIComponent('098765 43210')}`,
      undefined,
      read,
    );
    expect(listed.body.sessions.map((s: { sessionId: string }) => s.sessionId)).toEqual(['http-call-1']);

    expect((await inject('GET', '/v1/voice/sessions/nope', undefined, read)).body.error.code).toBe(
      'NOT_FOUND',
    );
    const badPhone = await inject('POST', '/v1/voice/sessions', {
      sessionId: 'http-bad',
      customerPhone: '123',
    });
    expect(badPhone.status).toBe(400);
    expect(badPhone.body.error).toMatchObject({ code: 'INVALID_PHONE', field: 'customerPhone' });
    expect((await inject('GET', '/v1/voice/sessions/http-bad', undefined, read)).status).toBe(404);
  });

  it('a read key cannot write', async () => {
    const res = await inject('POST', '/v1/voice/sessions', {}, read);
    expect(res.status).toBe(403);
  });

  it('sms: send, list by phone with paging, by session, delivered by the running worker', async () => {
    await server.switchboard.startWorkers();
    const sent = await inject('POST', '/v1/voice/sms', {
      phone: PHONE,
      text: 'Your OTP is 482913',
      type: 'otp',
      sessionId: 'http-call-1',
    });
    expect(sent.status).toBe(201);
    expect(sent.body).toMatchObject({
      status: 'simulated_sent',
      segments: 1,
      encoding: 'GSM-7',
      phoneNumber: PHONE,
    });
    await inject('POST', '/v1/voice/sms', { phone: PHONE, text: 'second', type: 'follow_up' });

    const first = await inject(
      'GET',
      `/v1/voice/sms?phone=${encodeURIComponent(PHONE)}&limit=1`,
      undefined,
      read,
    );
    expect(first.body.messages.map((m: { text: string }) => m.text)).toEqual(['second']);
    const second = await inject(
      'GET',
      `/v1/voice/sms?phone=${encodeURIComponent(PHONE)}&limit=1&pageToken=${encodeURIComponent(first.body.nextPageToken)}`,
      undefined,
      read,
    );
    expect(second.body.messages.map((m: { text: string }) => m.text)).toEqual(['Your OTP is 482913']);
    const bySession = await inject('GET', '/v1/voice/sessions/http-call-1/sms', undefined, read);
    expect(bySession.body.messages.map((m: { messageId: string }) => m.messageId)).toEqual([
      sent.body.messageId,
    ]);

    const delivered = await until(async () => {
      const one = await inject(
        'GET',
        `/v1/voice/sms/${sent.body.messageId}?phone=${encodeURIComponent(PHONE)}`,
        undefined,
        read,
      );
      return one.body.status === 'delivered';
    });
    expect(delivered).toBe(true);

    const bad = [
      [{ phone: '12', text: 'x', type: 'otp' }, 'INVALID_PHONE', 'phone'],
      [{ phone: PHONE, text: 'x', type: 'spam' }, 'VALIDATION_FAILED', 'body.type'],
      [{ phone: PHONE, text: 'a'.repeat(1000), type: 'custom' }, 'SMS_TOO_LONG', 'text'],
    ] as const;
    for (const [payload, code, field] of bad) {
      const res = await inject('POST', '/v1/voice/sms', payload);
      expect(res.body.error).toMatchObject({ code, field });
    }
    const after = await inject('GET', `/v1/voice/sms?phone=${encodeURIComponent(PHONE)}`, undefined, read);
    expect(after.body.messages).toHaveLength(2);
  });

  it('gold price: current with exact decimals, cached, and history', async () => {
    const a = await inject('GET', '/v1/voice/gold-price', undefined, read);
    expect(a.status).toBe(200);
    expect(a.body).toMatchObject({ currency: 'INR', basePurity: '22k', source: 'simulated' });
    for (const key of ['price24k', 'price22k', 'price18k', 'pricePerGram'])
      expect(a.body[key]).toMatch(/^\d+\.\d{2}$/);
    const b = await inject('GET', '/v1/voice/gold-price', undefined, read);
    expect(b.body).toEqual(a.body);
    const history = await inject(
      'GET',
      `/v1/voice/gold-price/history?from=${daysAhead(-1)}&to=${daysAhead(1)}`,
      undefined,
      read,
    );
    expect(history.body.prices.some((p: { price24k: string }) => p.price24k === a.body.price24k)).toBe(true);
    const bad = await inject('GET', '/v1/voice/gold-price/history?date=2030-02-30', undefined, read);
    expect(bad.body.error).toMatchObject({ code: 'VALIDATION_FAILED', field: 'date' });
  });

  it('appointments: book, status, lists, and every refusal with its code', async () => {
    const date = daysAhead(5);
    const body = {
      customerName: 'Asha Rao',
      customerPhone: PHONE,
      branchId: 'mum-andheri',
      date,
      time: '11:00',
    };
    const booked = await inject('POST', '/v1/voice/appointments', { ...body, sessionId: 'http-call-1' });
    expect(booked.status).toBe(201);
    expect(booked.body).toMatchObject({
      status: 'scheduled',
      branchName: 'Andheri West',
      sessionId: 'http-call-1',
    });
    expect(booked.body.confirmationSmsId).toMatch(/^[0-9a-f-]{36}$/);

    const refusals = [
      [{ ...body, customerPhone: '+919812345678' }, 409, 'SLOT_FULL'],
      [body, 409, 'DUPLICATE_BOOKING'],
      [{ ...body, branchId: 'nowhere' }, 404, 'UNKNOWN_BRANCH'],
      [{ ...body, time: '11:30' }, 400, 'SLOT_OUTSIDE_HOURS'],
      [{ ...body, date: daysAhead(-2) }, 400, 'SLOT_IN_PAST'],
      [{ ...body, customerPhone: 'abc' }, 400, 'INVALID_PHONE'],
    ] as const;
    for (const [payload, status, code] of refusals) {
      const res = await inject('POST', '/v1/voice/appointments', payload);
      expect([res.status, res.body.error?.code]).toEqual([status, code]);
    }

    const id = booked.body.appointmentId;
    const illegal = await inject('POST', `/v1/voice/appointments/${id}/status`, { status: 'completed' });
    expect([illegal.status, illegal.body.error.code]).toEqual([409, 'ILLEGAL_STATUS_CHANGE']);
    const confirmed = await inject('POST', `/v1/voice/appointments/${id}/status`, { status: 'confirmed' });
    expect(confirmed.body.status).toBe('confirmed');

    const mine = await inject(
      'GET',
      `/v1/voice/appointments?phone=${encodeURIComponent(PHONE)}`,
      undefined,
      read,
    );
    expect(mine.body.appointments.map((x: { appointmentId: string }) => x.appointmentId)).toEqual([id]);
    const sheet = await inject(
      'GET',
      `/v1/voice/branches/mum-andheri/appointments?date=${date}`,
      undefined,
      read,
    );
    expect(sheet.body.appointments).toEqual([
      {
        appointmentId: id,
        time: '11:00',
        customerName: 'Asha Rao',
        customerPhone: PHONE,
        status: 'confirmed',
      },
    ]);
    const branches = await inject('GET', '/v1/voice/branches', undefined, read);
    expect(branches.body.branches.map((b: { id: string }) => b.id)).toEqual([
      'blr-indiranagar',
      'mum-andheri',
    ]);
  });

  it('documents the voice routes with examples in the OpenAPI document', async () => {
    const res = await server.app.inject({ method: 'GET', url: '/docs/json' });
    expect(res.statusCode).toBe(200);
    const doc = res.json() as { paths: Record<string, unknown> };
    expect(Object.keys(doc.paths)).toContain('/v1/voice/appointments');
    expect(JSON.stringify(doc.paths['/v1/voice/sms'])).toContain('482913');
  });
});
