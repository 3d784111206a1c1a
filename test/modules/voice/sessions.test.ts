import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isSwitchboardError, type SwitchboardError } from '../../../src/errors/index.js';
import { sessions as sessionsTable } from '../../../src/modules/voice/tables.js';
import { sleep, voiceContext, type VoiceTestContext } from './helpers.js';

async function rejection(promise: Promise<unknown>): Promise<SwitchboardError> {
  try {
    await promise;
  } catch (error) {
    if (isSwitchboardError(error)) return error;
    throw error;
  }
  throw new Error('expected a rejection');
}

let open: VoiceTestContext[] = [];
afterEach(async () => {
  for (const t of open) await t.ctx.cleanup();
  open = [];
});

async function setup(env: NodeJS.ProcessEnv = {}, dataDir?: string) {
  const t = await voiceContext({ env, ...(dataDir ? { dataDir } : {}) });
  open.push(t);
  return t;
}

describe('voice sessions', () => {
  it('creates, reads and updates a session; expires_at is the configured TTL away', async () => {
    const { voice } = await setup();
    const created = await voice.sessions.create({
      customerPhone: '98765 43210',
      language: 'hi',
      conversationStage: 'greeting',
      customerSegment: 'new',
      memory: { intent: 'gold_loan' },
    });
    expect(created.customerPhone).toBe('+919876543210');
    expect(created.expiresAt.getTime() - created.createdAt.getTime()).toBe(86_400_000);
    const updated = await voice.sessions.update(created.sessionId, {
      conversationStage: 'eligibility',
      language: 'en',
    });
    expect(updated).toMatchObject({
      conversationStage: 'eligibility',
      language: 'en',
      customerSegment: 'new',
    });
    expect(updated.memory).toEqual({ intent: 'gold_loan' });
    expect(updated.expiresAt.getTime()).toBe(created.expiresAt.getTime());
  });

  it('survives a restart: closing and reopening on the same data directory', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'voice-restart-'));
    try {
      const before = await voiceContext({ dataDir });
      await before.voice.sessions.create({
        sessionId: 'call-restart',
        customerPhone: '+919876543210',
        memory: { grams: 40 },
      });
      await before.voice.sessions.writeMemory('call-restart', { grams: 42 }, 1);
      await before.ctx.cleanup();

      const after = await voiceContext({ dataDir });
      open.push(after);
      const reread = await after.voice.sessions.get('call-restart');
      expect(reread.memory).toEqual({ grams: 42 });
      expect(reread.memoryVersion).toBe(2);
      const listed = await after.voice.sessions.listByPhone('+919876543210');
      expect(listed.sessions.map((s) => s.sessionId)).toEqual(['call-restart']);
      await after.ctx.cleanup();
      open = [];
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('expires the whole session after the configured TTL, even after updates', async () => {
    const { voice, ctx } = await setup({ SWITCHBOARD_VOICE_SESSION_TTL_SECONDS: '2' });
    const created = await voice.sessions.create({ customerPhone: '+919876543210', memory: { a: 1 } });
    await sleep(800);
    // Later writes carry the remaining TTL, so they do not outlive the row.
    await voice.sessions.update(created.sessionId, { conversationStage: 'pricing' });
    await voice.sessions.writeMemory(created.sessionId, { a: 2 }, 1);
    expect((await voice.sessions.get(created.sessionId)).memory).toEqual({ a: 2 });
    // Past expires_at but before the rewritten cells (TTL rounded up to the second) are gone.
    await sleep(2_000 - (Date.now() - created.createdAt.getTime()) + 150);
    expect(await voice.sessions.find(created.sessionId)).toBeNull();
    expect((await voice.sessions.listByPhone('+919876543210')).sessions).toEqual([]);
    await sleep(1_000);
    // Not even a partial row is left in the store.
    expect(await ctx.wideColumn.get(sessionsTable, { session_id: created.sessionId })).toBeNull();
    expect((await rejection(voice.sessions.writeMemory(created.sessionId, { a: 3 }, 2))).code).toBe(
      'NOT_FOUND',
    );
  });

  it("lists a returning caller's sessions newest first", async () => {
    const { voice } = await setup();
    for (const id of ['s-1', 's-2', 's-3']) {
      await voice.sessions.create({ sessionId: id, customerPhone: '+91 98765 43210' });
      await sleep(5);
    }
    await voice.sessions.create({ sessionId: 'other', customerPhone: '+919812345678' });
    const page = await voice.sessions.listByPhone('098765 43210');
    expect(page.sessions.map((s) => s.sessionId)).toEqual(['s-3', 's-2', 's-1']);
    const first = await voice.sessions.listByPhone('+919876543210', { limit: 2 });
    expect(first.sessions.map((s) => s.sessionId)).toEqual(['s-3', 's-2']);
    const second = await voice.sessions.listByPhone('+919876543210', {
      limit: 2,
      pageToken: first.nextPageToken,
    });
    expect(second.sessions.map((s) => s.sessionId)).toEqual(['s-1']);
  });

  it('concurrent memory writes from the same version: one applies, one conflicts, none is lost', async () => {
    const { voice } = await setup();
    const { sessionId } = await voice.sessions.create({ memory: { turns: [] } });
    const results = await Promise.allSettled([
      voice.sessions.writeMemory(sessionId, { turns: ['a'] }, 1),
      voice.sessions.writeMemory(sessionId, { turns: ['b'] }, 1),
    ]);
    const ok = results.filter((r) => r.status === 'fulfilled');
    const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(ok).toHaveLength(1);
    expect(failed).toHaveLength(1);
    expect(failed[0]!.reason).toMatchObject({ code: 'VERSION_CONFLICT', details: { currentVersion: 2 } });
    const winner = ok[0]!.value.memory;
    expect((await voice.sessions.readMemory(sessionId)).memory).toEqual(winner);

    // The retrying helper: 10 concurrent appends all land.
    await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        voice.sessions.updateMemory(sessionId, (m) => ({ turns: [...(m.turns as string[]), `t${i}`] }), 50),
      ),
    );
    const final = await voice.sessions.readMemory(sessionId);
    expect((final.memory.turns as string[]).length).toBe(11);
    expect(final.version).toBe(12);
  });

  it('refuses memory over the configured size and writes nothing', async () => {
    const { voice } = await setup({ SWITCHBOARD_VOICE_MAX_MEMORY_BYTES: '1024' });
    const { sessionId } = await voice.sessions.create({ memory: { a: 1 } });
    const error = await rejection(voice.sessions.writeMemory(sessionId, { blob: 'x'.repeat(2000) }, 1));
    expect(error).toMatchObject({ code: 'MEMORY_TOO_LARGE', field: 'memory', status: 413 });
    expect(await voice.sessions.readMemory(sessionId)).toEqual({ memory: { a: 1 }, version: 1 });
    expect(
      (await rejection(voice.sessions.create({ sessionId: 'big', memory: { b: 'y'.repeat(2000) } }))).code,
    ).toBe('MEMORY_TOO_LARGE');
    expect(await voice.sessions.find('big')).toBeNull();
  });

  it('answers bad input with its code and writes nothing', async () => {
    const { voice } = await setup();
    const bad = await rejection(voice.sessions.create({ sessionId: 'x1', customerPhone: '12345' }));
    expect(bad).toMatchObject({ code: 'INVALID_PHONE', field: 'customerPhone' });
    expect(await voice.sessions.find('x1')).toBeNull();
    expect((await rejection(voice.sessions.create({ sessionId: 'has space' }))).field).toBe('sessionId');
    await voice.sessions.create({ sessionId: 'dup' });
    expect((await rejection(voice.sessions.create({ sessionId: 'dup' }))).code).toBe('CONFLICT');
    expect((await rejection(voice.sessions.get('missing'))).code).toBe('NOT_FOUND');
    expect((await rejection(voice.sessions.update('missing', { language: 'en' }))).code).toBe('NOT_FOUND');
    // An update of a missing session must not create a half row.
    expect(await voice.sessions.find('missing')).toBeNull();
  });
});
