import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestServer, type TestServer } from '../../helpers/server.js';
import { addDays, zonedParts } from '../../../src/modules/voice/zoned-time.js';
import { BRANCHES, daysAhead } from './helpers.js';

/** Issue 18, items 8 and 16: If-Match against body version; SMS sessions, booking horizon, gold `from`. */
let server: TestServer;
let write: { authorization: string };

beforeAll(async () => {
  server = await createTestServer({
    env: {
      SWITCHBOARD_VOICE_BRANCHES: JSON.stringify(BRANCHES),
      SWITCHBOARD_VOICE_BOOKING_HORIZON_DAYS: '30',
      SWITCHBOARD_VOICE_GOLD_PRICE_SEED: '7',
    },
  });
  write = server.auth(await server.keyWithScope('write'));
});
afterAll(async () => {
  await server?.close();
});

const uid = (name: string) => `${name}-${randomUUID().slice(0, 8)}`;

async function inject(
  method: 'GET' | 'POST' | 'PUT',
  url: string,
  payload?: unknown,
  headers: Record<string, string> = {},
) {
  const res = await server.app.inject({
    method,
    url,
    headers: { ...write, ...headers },
    ...(payload !== undefined ? { payload: payload as object } : {}),
  });
  return { status: res.statusCode, body: res.json() as Record<string, any> }; // eslint-disable-line @typescript-eslint/no-explicit-any
}

async function session(): Promise<string> {
  const sessionId = uid('call');
  expect((await inject('POST', '/v1/voice/sessions', { sessionId, memory: { step: 1 } })).status).toBe(201);
  return sessionId;
}

describe('item 8: If-Match and body version', () => {
  it('refuses a stale If-Match with a current body version (400), writing nothing', async () => {
    const id = await session();
    await inject('PUT', `/v1/voice/sessions/${id}/memory`, { memory: { step: 2 }, version: 1 });
    const res = await inject(
      'PUT',
      `/v1/voice/sessions/${id}/memory`,
      { memory: { step: 3 }, version: 2 },
      { 'if-match': '"1"' },
    );
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: 'VALIDATION_FAILED', field: 'headers.if-match' });
    expect((await inject('GET', `/v1/voice/sessions/${id}/memory`)).body).toEqual({
      memory: { step: 2 },
      version: 2,
    });
  });

  it('takes both when they agree, and either alone', async () => {
    const id = await session();
    const both = await inject(
      'PUT',
      `/v1/voice/sessions/${id}/memory`,
      { memory: { step: 2 }, version: 1 },
      { 'if-match': 'W/"1"' },
    );
    expect(both).toMatchObject({ status: 200, body: { version: 2 } });
    const header = await inject(
      'PUT',
      `/v1/voice/sessions/${id}/memory`,
      { memory: { step: 3 } },
      { 'if-match': '"2"' },
    );
    expect(header).toMatchObject({ status: 200, body: { version: 3 } });
  });
});

describe('item 16: one session rule, a booking horizon, gold history from alone', () => {
  it('SMS with a sessionId that names no live session is 404, as appointments, and stores nothing', async () => {
    const phone = '+9198765' + String(Math.floor(Math.random() * 1e5)).padStart(5, '0');
    const res = await inject('POST', '/v1/voice/sms', {
      phone,
      text: 'hi',
      type: 'custom',
      sessionId: uid('none'),
    });
    expect(res.status).toBe(404);
    expect(res.body.error).toMatchObject({ code: 'NOT_FOUND', field: 'sessionId' });
    const listed = await inject('GET', `/v1/voice/sms?phone=${encodeURIComponent(phone)}`);
    expect(listed.body.messages).toEqual([]);
    const id = await session();
    expect(
      (await inject('POST', '/v1/voice/sms', { phone, text: 'hi', type: 'custom', sessionId: id })).status,
    ).toBe(201);
  });

  const booking = (date: string) => ({
    customerName: 'Asha',
    customerPhone: '+9198' + String(Math.floor(Math.random() * 1e8)).padStart(8, '0'),
    branchId: 'blr-indiranagar',
    date,
    time: '10:00',
  });

  it.each(['9999-12-31', daysAhead(31)])(
    'refuses a booking beyond the horizon (%s): 400 SLOT_TOO_FAR',
    async (date) => {
      const res = await inject('POST', '/v1/voice/appointments', booking(date));
      expect(res.status).toBe(400);
      expect(res.body.error).toMatchObject({
        code: 'SLOT_TOO_FAR',
        field: 'date',
        details: { horizonDays: 30 },
      });
      const sheet = await inject('GET', `/v1/voice/branches/blr-indiranagar/appointments?date=${date}`);
      expect(sheet.body.appointments ?? []).toEqual([]);
    },
  );

  it('takes a booking on the last day of the horizon', async () => {
    expect((await inject('POST', '/v1/voice/appointments', booking(daysAhead(30)))).status).toBe(201);
  });

  it('gold history with from alone runs until today', async () => {
    await inject('GET', '/v1/voice/gold-price');
    const today = zonedParts(new Date(), 'Asia/Kolkata').date;
    const from = addDays(today, -3);
    const res = await inject('GET', `/v1/voice/gold-price/history?from=${from}`);
    expect(res.status).toBe(200);
    const dates = new Set((res.body.prices as { date: string }[]).map((p) => p.date));
    expect(dates.has(today)).toBe(true);
    const explicit = await inject('GET', `/v1/voice/gold-price/history?from=${from}&to=${today}`);
    expect(res.body).toEqual(explicit.body);
  });

  it('gold history: from alone more than 31 days back, or after today, is 400 naming from', async () => {
    const today = zonedParts(new Date(), 'Asia/Kolkata').date;
    for (const from of [addDays(today, -40), addDays(today, 2)]) {
      const res = await inject('GET', `/v1/voice/gold-price/history?from=${from}`);
      expect(res.status, from).toBe(400);
      expect(res.body.error).toMatchObject({ code: 'VALIDATION_FAILED', field: 'from' });
    }
  });
});
