import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isSwitchboardError } from '../../../src/errors/index.js';
import { createTestServer, type TestServer } from '../../helpers/server.js';
import { messagingHarness, type MessagingHarness } from './helpers.js';

async function failure(
  promise: Promise<unknown>,
): Promise<{ code: string; field?: string; details?: Record<string, unknown> }> {
  try {
    await promise;
  } catch (error) {
    if (isSwitchboardError(error))
      return {
        code: error.code,
        ...(error.field ? { field: error.field } : {}),
        ...(error.details ? { details: error.details } : {}),
      };
    throw error;
  }
  throw new Error('expected a failure');
}

describe('message templates (library)', () => {
  let h: MessagingHarness;
  beforeAll(async () => {
    h = await messagingHarness();
  });
  afterAll(() => h.close());

  it('creates, lists, updates, renders and deletes a template', async () => {
    const templates = h.svc.templates;
    const created = await templates.create({
      name: 'appointment_confirmation',
      body: 'Hello {{customer_name}}, your appointment at {{ branch }} is at {{time}}. See you, {{customer_name}}!',
      description: 'Sent after booking',
    });
    expect(created.variables).toEqual(['customer_name', 'branch', 'time']);
    await templates.create({ name: 'a_first', body: 'No variables here.' });
    expect((await templates.list()).templates.map((t) => t.name)).toEqual([
      'a_first',
      'appointment_confirmation',
    ]);
    const page = await templates.list({ limit: 1 });
    expect(page.templates.map((t) => t.name)).toEqual(['a_first']);
    expect((await templates.list({ limit: 1, after: page.next! })).templates.map((t) => t.name)).toEqual([
      'appointment_confirmation',
    ]);

    const rendered = await templates.render('appointment_confirmation', {
      customer_name: 'Dana',
      branch: 'Downtown',
      time: '10:30',
      unused: 'ignored',
    });
    expect(rendered.content).toBe('Hello Dana, your appointment at Downtown is at 10:30. See you, Dana!');

    const updated = await templates.update('appointment_confirmation', {
      body: 'Hi {{customer_name}}: {{count}} left',
    });
    expect(updated.variables).toEqual(['customer_name', 'count']);
    expect(updated.description).toBe('Sent after booking');
    expect(
      (await templates.render('appointment_confirmation', { customer_name: 'Dana', count: 3 })).content,
    ).toBe('Hi Dana: 3 left');

    await templates.delete('appointment_confirmation');
    expect(await failure(templates.get('appointment_confirmation'))).toMatchObject({ code: 'NOT_FOUND' });
  });

  it('names the missing variable and refuses unknown templates and malformed bodies', async () => {
    const templates = h.svc.templates;
    await templates.create({ name: 'payment_due', body: 'Dear {{name}}, {{amount}} is due on {{date}}.' });
    expect(await failure(templates.render('payment_due', { name: 'Dana', date: 'Friday' }))).toEqual({
      code: 'TEMPLATE_VARIABLE_MISSING',
      field: 'values.amount',
      details: { template: 'payment_due', missing: ['amount'] },
    });
    expect(await failure(templates.render('payment_due', {}))).toMatchObject({
      details: { missing: ['name', 'amount', 'date'] },
    });
    expect(await failure(templates.render('no_such_template', {}))).toMatchObject({ code: 'NOT_FOUND' });
    expect(await failure(templates.update('no_such_template', { body: 'x' }))).toMatchObject({
      code: 'NOT_FOUND',
    });
    expect(await failure(templates.delete('no_such_template'))).toMatchObject({ code: 'NOT_FOUND' });
    expect(await failure(templates.create({ name: 'broken', body: 'Hi {{first name}}' }))).toMatchObject({
      code: 'VALIDATION_FAILED',
      field: 'body',
    });
    expect(await failure(templates.create({ name: 'Bad Name', body: 'x' }))).toMatchObject({
      code: 'VALIDATION_FAILED',
      field: 'name',
    });
    expect(await failure(templates.create({ name: 'payment_due', body: 'again' }))).toMatchObject({
      code: 'CONFLICT',
      field: 'name',
    });
  });
});

describe('message templates over HTTP', () => {
  let s: TestServer;
  let key: string;
  beforeAll(async () => {
    s = await createTestServer();
    key = await s.keyWithScope('write');
  });
  afterAll(() => s.close());

  it('creates, renders, and answers TEMPLATE_VARIABLE_MISSING and NOT_FOUND with their statuses', async () => {
    const created = await s.app.inject({
      method: 'POST',
      url: '/v1/templates',
      headers: s.auth(key),
      payload: { name: 'otp', body: 'Your code is {{code}}. It expires in {{minutes}} minutes.' },
    });
    expect(created.statusCode).toBe(201);
    expect(created.json()).toMatchObject({ name: 'otp', variables: ['code', 'minutes'] });

    const rendered = await s.app.inject({
      method: 'POST',
      url: '/v1/templates/otp/render',
      headers: s.auth(await s.keyWithScope('read')),
      payload: { values: { code: '482913', minutes: 5 } },
    });
    expect(rendered.statusCode).toBe(200);
    expect(rendered.json()).toEqual({
      name: 'otp',
      content: 'Your code is 482913. It expires in 5 minutes.',
    });

    const missing = await s.app.inject({
      method: 'POST',
      url: '/v1/templates/otp/render',
      headers: s.auth(key),
      payload: { values: { code: '482913' } },
    });
    expect(missing.statusCode).toBe(400);
    expect(missing.json().error).toMatchObject({
      code: 'TEMPLATE_VARIABLE_MISSING',
      field: 'values.minutes',
    });

    const unknown = await s.app.inject({ url: '/v1/templates/nope', headers: s.auth(key) });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().error.code).toBe('NOT_FOUND');

    const patched = await s.app.inject({
      method: 'PATCH',
      url: '/v1/templates/otp',
      headers: s.auth(key),
      payload: { description: 'one-time password' },
    });
    expect(patched.json()).toMatchObject({
      description: 'one-time password',
      variables: ['code', 'minutes'],
    });
    const deleted = await s.app.inject({ method: 'DELETE', url: '/v1/templates/otp', headers: s.auth(key) });
    expect(deleted.statusCode).toBe(204);
    const list = await s.app.inject({ url: '/v1/templates', headers: s.auth(key) });
    expect(list.json()).toEqual({ templates: [], next: null });
  });
});
