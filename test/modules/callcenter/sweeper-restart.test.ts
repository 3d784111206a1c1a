import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSweepWorker } from '../../../src/modules/callcenter/sweeper.js';
import { backendLabel } from '../../helpers/backends.js';
import { caller, callcenterHarness, type CallCenterHarness } from './helpers.js';

const env = {
  SWITCHBOARD_CALLCENTER_RING_TIMEOUT_SECONDS: '20',
  SWITCHBOARD_CALLCENTER_HEARTBEAT_TIMEOUT_SECONDS: '60',
  SWITCHBOARD_CALLCENTER_WRAP_UP_SECONDS: '30',
};

describe(`callcenter timeouts (${backendLabel()})`, () => {
  let h: CallCenterHarness;
  beforeAll(async () => {
    h = await callcenterHarness({ env });
  });
  afterAll(async () => {
    await h.close();
  });

  async function agent(name: string, maxCalls = 1): Promise<string> {
    const id = h.id(name);
    await h.svc.agents.create({ agentId: id, username: `${id}-u`, maxCalls });
    await h.svc.agents.setStatus(id, 'available');
    return id;
  }

  it('withdraws an offer not answered in time, and the agent is skipped next', async () => {
    const a = await agent('ring-a');
    const queue = h.queue('ring');
    const callId = h.id('ring-call');
    await h.svc.queue.enqueue({ callId, queue, caller: caller() });
    await h.svc.assignment.assign(callId, a);
    h.clock.advance(19_000);
    await h.svc.sweeper.sweep();
    expect((await h.svc.calls.get(callId)).state).toBe('ringing');
    h.clock.advance(2_000);
    await h.svc.agents.heartbeat(a);
    const report = await h.svc.sweeper.sweep();
    expect(report.offersWithdrawn).toBeGreaterThanOrEqual(1);
    expect(await h.svc.queue.get(callId)).toMatchObject({ callId, queue });
    expect(await h.svc.agents.get(a)).toMatchObject({ status: 'available', currentCalls: 0 });
    expect(await h.svc.assignment.next(a, { queues: [queue] })).toBeNull();
  });

  it('moves a silent agent to away, withdrawing its ringing offers but not its answered calls', async () => {
    const a = await agent('hb-a', 2);
    const queue = h.queue('hb');
    const talking = h.id('hb-talking');
    const ringing = h.id('hb-ringing');
    await h.svc.queue.enqueue({ callId: talking, queue, caller: caller() });
    await h.svc.queue.enqueue({ callId: ringing, queue, caller: caller() });
    await h.svc.assignment.assign(talking, a);
    await h.svc.calls.answer(talking);
    await h.svc.agents.heartbeat(a);
    h.clock.advance(45_000);
    // Offered 15 s before the heartbeat runs out: younger than the 20 s ring timeout.
    await h.svc.assignment.assign(ringing, a);
    h.clock.advance(14_000);
    await h.svc.sweeper.sweep();
    expect((await h.svc.agents.get(a)).status).toBe('busy');
    h.clock.advance(2_000);
    await h.svc.sweeper.sweep();
    expect(await h.svc.agents.get(a)).toMatchObject({ status: 'away', currentCalls: 1 });
    expect((await h.svc.calls.ofAgent(a)).map((c) => c.callId)).toEqual([talking]);
    expect((await h.svc.queue.get(ringing)).callId).toBe(ringing);
    // Away with a live call: the call goes on and ends normally, without wrap-up.
    await h.svc.calls.end(talking, 'resolved');
    expect(await h.svc.agents.get(a)).toMatchObject({ status: 'away', currentCalls: 0 });
  });

  it('ends after-call work that ran its time and fills in the wrap-up', async () => {
    const a = await agent('acw-a');
    const queue = h.queue('acw');
    const callId = h.id('acw-call');
    await h.svc.queue.enqueue({ callId, queue, caller: caller() });
    await h.svc.assignment.assign(callId, a);
    await h.svc.calls.answer(callId);
    h.clock.advance(10_000);
    await h.svc.calls.end(callId, 'resolved');
    await h.svc.agents.heartbeat(a);
    h.clock.advance(29_000);
    await h.svc.sweeper.sweep();
    expect((await h.svc.agents.get(a)).status).toBe('after_call_work');
    h.clock.advance(1_000);
    await h.svc.sweeper.sweep();
    expect(await h.svc.agents.get(a)).toMatchObject({ status: 'available' });
    expect(await h.svc.records.get(callId)).toMatchObject({ wrapUpSeconds: 30, talkSeconds: 10 });
  });
});

describe(`callcenter restart with calls in progress (${backendLabel()})`, () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'switchboard-cc-restart-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('keeps active calls across a restart, reconciles agents, and completes their records', async () => {
    const first = await callcenterHarness({ dataDir, env });
    const { tag } = first;
    const id = (name: string) => `${tag}-${name}`;
    const queue = `q${tag}-restart`;
    const a = id('r-a');
    const b = id('r-b');
    for (const agentId of [a, b]) {
      await first.svc.agents.create({ agentId, username: `${agentId}-u`, maxCalls: 2 });
      await first.svc.agents.setStatus(agentId, 'available');
    }
    const talking = id('r-talking');
    const held = id('r-held');
    const waiting = id('r-waiting');
    for (const callId of [talking, held, waiting])
      await first.svc.queue.enqueue({ callId, queue, caller: caller() });
    first.clock.advance(4_000);
    await first.svc.assignment.assign(talking, a);
    await first.svc.assignment.assign(held, b);
    await first.svc.calls.answer(talking);
    await first.svc.calls.answer(held);
    first.clock.advance(20_000);
    await first.svc.calls.hold(held);
    // A counter out of step with the live calls (a hand edit, a restored backup): reconciled at start.
    await first.ctx.relational.db
      .updateTable('cc_agents')
      .set({ current_calls: 0 })
      .where('agent_id', '=', a)
      .execute();
    const stoppedAt = first.clock.now();
    await first.ctx.relational.close();
    await first.ctx.hotState.close();
    await first.ctx.eventLog.close();
    await first.ctx.wideColumn.close();

    const second = await callcenterHarness({ dataDir, env, start: new Date(stoppedAt.getTime() + 10_000) });
    try {
      const worker = createSweepWorker(second.svc.sweeper, {
        intervalMs: 60_000,
        logger: pino({ level: 'silent' }),
      });
      await worker.start();
      expect(await worker.health!()).toMatchObject({ ok: true });
      await worker.stop();
      expect(await second.svc.agents.get(a)).toMatchObject({ currentCalls: 1, status: 'available' });
      expect(await second.svc.calls.get(talking)).toMatchObject({ state: 'talking', agentId: a });
      expect(await second.svc.calls.get(held)).toMatchObject({ state: 'on_hold', agentId: b });
      expect((await second.svc.queue.get(waiting)).callId).toBe(waiting);
      await second.svc.calls.resume(held);
      second.clock.advance(5_000);
      const talkingRecord = await second.svc.calls.end(talking, 'resolved');
      const heldRecord = await second.svc.calls.end(held, 'resolved');
      // Time across the restart counts: 20 s + 10 s down + 5 s talking; 10 s on hold across it.
      expect(talkingRecord).toMatchObject({ waitSeconds: 4, talkSeconds: 35, holdSeconds: 0 });
      expect(heldRecord).toMatchObject({ waitSeconds: 4, talkSeconds: 25, holdSeconds: 10 });
      const records = await second.svc.records.list({ from: new Date(0), to: new Date('2100-01-01'), queue });
      expect(records.map((r) => r.callId).sort()).toEqual([held, talking].sort());
    } finally {
      await second.close();
    }
  });
});
