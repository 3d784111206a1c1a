import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { GENERATED_TYPES, generatedClientTypes } from '../../scripts/generate-client.js';
import type { SwitchboardApiError } from '../../src/client/index.js';
import {
  createSwitchboardClient,
  isSwitchboardApiError,
  unwrap,
  type SwitchboardClient,
} from '../../src/client/index.js';
import { runCli, serveCli, type Served } from '../cli/run-cli.js';
import { makeEvent } from '../modules/interactions/helpers.js';

// `switchboard serve` from source in its own process: seconds to start, more on a busy machine.
vi.setConfig({ testTimeout: 120_000, hookTimeout: 180_000 });

/**
 * Issue 24: the typed client (switchboard/client) against a real `switchboard serve` started
 * here: one route per module, errors as typed SwitchboardApiErrors, paging with for await,
 * retries of idempotent calls only, and generated types that match the document.
 */
describe('switchboard/client against switchboard serve (issue 24)', () => {
  let dir: string;
  let server: Served;
  let client: SwitchboardClient;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'switchboard-client-'));
    const env = { SWITCHBOARD_STORE_DATA_DIR: join(dir, 'data') };
    const applied = await runCli(['schema', 'apply'], { cwd: dir, env });
    expect(applied.code, applied.stderr).toBe(0);
    server = await serveCli(dir, env);
    client = createSwitchboardClient({ baseUrl: server.address, apiKey: server.adminKey! });
  });
  afterAll(async () => {
    if (server) {
      server.kill('SIGTERM');
      await server.exited;
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('voice: starts a session and reads it back, typed end to end', async () => {
    const created = await client.voice.sessions.create({ customerPhone: '+919876543210', language: 'hi' });
    const read = await client.voice.sessions.get(created.sessionId);
    expect(read).toMatchObject({
      sessionId: created.sessionId,
      customerPhone: '+919876543210',
      language: 'hi',
    });
  });

  it('messaging: pages a channel history newest first with for await', async () => {
    const channel = await client.channels.create('alice', { title: 'client paging', kind: 'group' });
    const sent: string[] = [];
    for (let i = 0; i < 7; i += 1) {
      const message = await client.messages.send('alice', channel.id, { content: `m${i}` });
      sent.push(message.id);
    }
    const seen: string[] = [];
    for await (const message of client.messages.list('alice', channel.id, 3)) seen.push(message.id);
    expect(seen).toEqual([...sent].reverse());
    // Breaking out stops fetching: one page read for the newest message.
    let pages = 0;
    const counting = createSwitchboardClient({
      baseUrl: server.address,
      apiKey: server.adminKey!,
      fetch: (request) => {
        pages += 1;
        return fetch(request);
      },
    });
    for await (const message of counting.messages.list('alice', channel.id, 3)) {
      expect(message.content).toBe('m6');
      break;
    }
    expect(pages).toBe(1);
  });

  it("conversations: lists an account's sessions across pages", async () => {
    const accountUid = `acct-${randomUUID().slice(0, 8)}`;
    const created = new Set<string>();
    for (let i = 0; i < 5; i += 1)
      created.add((await client.conversations.sessions.create({ accountUid })).sessionUid);
    const listed = new Set<string>();
    for await (const session of client.conversations.sessions.list(accountUid, 2))
      listed.add(session.sessionUid);
    expect(listed).toEqual(created);
  });

  it('interactions and call center: records an event, creates and reads an agent', async () => {
    const accepted = await client.interactions.record({
      stage: 'llm',
      ...makeEvent('llm', 'client-session', { timestamp: new Date().toISOString() }),
    });
    expect(accepted).toMatchObject({ accepted: 1, events: [{ stage: 'llm', topic: expect.any(String) }] });
    const agentId = `agent-${randomUUID().slice(0, 8)}`;
    await client.callcenter.agents.create({ agentId, username: agentId, skills: { billing: 3 } });
    expect(await client.callcenter.agents.get(agentId)).toMatchObject({ agentId, status: 'offline' });
  });

  it("answers errors as SwitchboardApiError with the catalogue's code, field and request id", async () => {
    const missing = await client.voice.sessions.get('no-such-session').catch((e: unknown) => e);
    expect(isSwitchboardApiError(missing)).toBe(true);
    expect(missing).toMatchObject({ status: 404, code: 'NOT_FOUND' });
    expect((missing as SwitchboardApiError).requestId).toBeTruthy();

    const invalid = await client.voice.sessions
      .create({ customerPhone: 'not a phone' })
      .catch((e: unknown) => e);
    expect(invalid).toMatchObject({ status: 400, field: expect.stringContaining('customerPhone') });

    const anonymous = createSwitchboardClient({ baseUrl: server.address, apiKey: 'sb_wrong' });
    await expect(anonymous.voice.sessions.get('x')).rejects.toMatchObject({
      status: 401,
      code: 'UNAUTHENTICATED',
    });
    // Every other operation through `api`, unwrapped the same way.
    const keys = await unwrap(client.api.GET('/v1/keys'));
    expect(keys.keys.length).toBeGreaterThan(0);
  });

  /** A fetch in front of the real service that answers the next `fail` requests itself. */
  function flakyClient(answer: () => Response) {
    const seen: { method: string; body: string; at: number }[] = [];
    const state = { fail: 0, seen };
    const client = createSwitchboardClient({
      baseUrl: server.address,
      apiKey: server.adminKey!,
      retryDelayMs: 1,
      fetch: async (request) => {
        seen.push({ method: request.method, body: await request.clone().text(), at: Date.now() });
        if (state.fail > 0) {
          state.fail -= 1;
          return answer();
        }
        return fetch(request);
      },
    });
    return { client, state };
  }
  const unavailable = (retryAfter: string) => () =>
    new Response(JSON.stringify({ error: { code: 'STORE_UNAVAILABLE', message: 'down', requestId: 'r1' } }), {
      status: 503,
      headers: { 'content-type': 'application/json', 'retry-after': retryAfter },
    });

  it('retries a PUT refused with 503 after Retry-After, resending the same body; never a POST', async () => {
    const session = await client.voice.sessions.create({});
    const { client: flaky, state } = flakyClient(unavailable('1'));
    state.fail = 1;
    const written = await unwrap(
      flaky.api.PUT('/v1/voice/sessions/{sessionId}/memory', {
        params: { path: { sessionId: session.sessionId } },
        body: { memory: { intent: 'gold_loan' }, version: session.memoryVersion },
      }),
    );
    expect(written).toMatchObject({ memory: { intent: 'gold_loan' } });
    expect(state.seen.map((s) => s.method)).toEqual(['PUT', 'PUT']);
    expect(state.seen[1]!.body).toBe(state.seen[0]!.body);
    expect(JSON.parse(state.seen[1]!.body)).toMatchObject({ memory: { intent: 'gold_loan' } });
    expect(state.seen[1]!.at - state.seen[0]!.at).toBeGreaterThanOrEqual(900); // Retry-After: 1

    state.seen.length = 0;
    state.fail = 1;
    await expect(flaky.voice.sessions.create({})).rejects.toMatchObject({
      status: 503,
      code: 'STORE_UNAVAILABLE',
    });
    expect(state.seen.map((s) => s.method)).toEqual(['POST']);
  });

  it('retries a GET after a gateway error but not a PUT, which may have been applied', async () => {
    const session = await client.voice.sessions.create({});
    const { client: flaky, state } = flakyClient(() => new Response('bad gateway', { status: 502 }));
    state.fail = 2;
    expect((await flaky.voice.sessions.get(session.sessionId)).sessionId).toBe(session.sessionId);
    expect(state.seen.map((s) => s.method)).toEqual(['GET', 'GET', 'GET']);

    state.seen.length = 0;
    state.fail = 1;
    const put = flaky.api.PUT('/v1/voice/sessions/{sessionId}/memory', {
      params: { path: { sessionId: session.sessionId } },
      body: { memory: {} },
    });
    await expect(unwrap(put)).rejects.toMatchObject({ status: 502, code: 'UNEXPECTED_RESPONSE' });
    expect(state.seen.map((s) => s.method)).toEqual(['PUT']);
  });

  it('stops waiting to retry as soon as the caller aborts', async () => {
    const { client: flaky, state } = flakyClient(unavailable('20'));
    state.fail = 5;
    const controller = new AbortController();
    const started = Date.now();
    setTimeout(() => controller.abort(new Error('caller gave up')), 200);
    const read = flaky.api.GET('/v1/voice/sessions/{sessionId}', {
      params: { path: { sessionId: 'any' } },
      signal: controller.signal,
    });
    await expect(read).rejects.toThrow('caller gave up');
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(state.seen).toHaveLength(1);
  });

  it('ships generated types that match the document the routes declare (npm run client:generate)', async () => {
    const committed = readFileSync(GENERATED_TYPES, 'utf8');
    expect(committed === (await generatedClientTypes()), 'src/client/api-types.gen.ts is out of date').toBe(
      true,
    );
  });
});
