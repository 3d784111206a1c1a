import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agentKey, type HotAgent } from '../../../src/modules/callcenter/hybrid/agent-state.js';
import { createCallCenterServices } from '../../../src/modules/callcenter/services.js';
import { backendLabel } from '../../helpers/backends.js';
import { eventually } from '../../helpers/services.js';
import { callcenterHarness, caller, expectCode, snapshot, type CallCenterHarness } from './helpers.js';

describe(`callcenter hybrid mode: agent status in hot state (${backendLabel()})`, () => {
  let h: CallCenterHarness;
  const topic = `cc-status-${randomUUID().slice(0, 8)}`;
  beforeAll(async () => {
    h = await callcenterHarness({
      env: {
        SWITCHBOARD_CALLCENTER_MODE: 'hybrid',
        SWITCHBOARD_CALLCENTER_EVENTS_TOPIC: topic,
        SWITCHBOARD_CALLCENTER_WRAP_UP_SECONDS: '0',
      },
    });
    await h.ctx.eventLog.ensureTopics([{ name: topic }]);
  });
  afterAll(async () => {
    await h.close();
  });

  const row = (id: string) =>
    h.ctx.relational.db
      .selectFrom('cc_agents')
      .selectAll()
      .where('agent_id', '=', id)
      .executeTakeFirstOrThrow();
  const hot = async (id: string) => JSON.parse((await h.ctx.hotState.get(agentKey(id)))!) as HotAgent;

  /** The topic's messages for one key, read by a consumer group of its own from the start. */
  async function topicEvents(key: string, atLeast: number): Promise<Record<string, unknown>[]> {
    const seen: Record<string, unknown>[] = [];
    const consumer = h.ctx.eventLog.consumer({ group: `peek-${randomUUID()}`, topics: [topic] });
    await consumer.run(async (batch) => {
      for (const m of batch.messages) {
        if (m.key === key) seen.push(JSON.parse(m.value.toString()) as Record<string, unknown>);
      }
    });
    await eventually(async () => seen.length >= atLeast);
    await consumer.stop();
    return seen;
  }

  /** An agent with a skill of its test's own, so that no other test's agent takes its calls. */
  /**
   * Replays the whole topic in a new consumer group, up to a heartbeat appended now for the
   * agent: same key, so the same partition, read after every move before it.
   */
  async function replay(agentId: string): Promise<number> {
    await h.svc.agents.heartbeat(agentId);
    const sync = h.svc.syncInGroup(`replay-${randomUUID()}`);
    await sync.start();
    const reached = await eventually(async () => sync.applied > 0);
    await sync.stop();
    expect(reached).toBe(true);
    return sync.movesApplied;
  }

  /** An agent made available (its row settled) and offered a call of its own skill: the call's id. */
  async function offered(agentId: string, skill: string): Promise<string> {
    await h.svc.agents.setStatus(agentId, 'available');
    await h.svc.agents.settled();
    const callId = h.id(`${skill}-call`);
    await h.svc.queue.enqueue({
      callId,
      queue: h.queue(skill),
      caller: caller(),
      requiredSkills: { [skill]: 1 },
    });
    expect((await h.svc.assignment.next(agentId))?.callId).toBe(callId);
    return callId;
  }

  async function agent(name: string, skill: string): Promise<string> {
    const id = h.id(name);
    await h.svc.agents.create({ agentId: id, username: `${id}-u`, skills: { [skill]: 1 } });
    return id;
  }

  it('answers a move from hot state; the row follows with its number, and replaying the topic changes nothing', async () => {
    const id = await agent('move', 'moves');
    const moved = await h.svc.agents.setStatus(id, 'available');
    expect(moved.status).toBe('available');
    // Read back at once, whether or not the row has the move yet.
    expect((await h.svc.agents.get(id)).status).toBe('available');
    const { seq } = await hot(id);
    expect(seq).toBeGreaterThan(0);

    await h.svc.agents.settled();
    const written = await row(id);
    expect(written.status).toBe('available');
    expect(Number(written.status_seq)).toBe(seq);
    expect(new Date(written.available_since!).toISOString()).toBe(moved.availableSince);

    const events = await topicEvents(id, 1);
    expect(events.filter((e) => e.type === 'agent.move')).toEqual([
      { type: 'agent.move', agentId: id, status: 'available', at: moved.statusChangedAt, seq },
    ]);
    const settled = await snapshot(h, [id], []);
    for (const pass of [1, 2]) {
      expect(await replay(id), `pass ${pass}`).toBe(0);
      // (The heartbeat at the end changes nothing either: the manual clock has not moved.)
      expect(await snapshot(h, [id], [])).toEqual(settled);
    }
  });

  it('checks a move against hot state and refuses an illegal one with nothing written', async () => {
    const id = await agent('illegal', 'illegal');
    await h.svc.agents.setStatus(id, 'away');
    // Settled first: the write-behind's transaction rewrites the record from the row.
    await h.svc.agents.settled();
    const before = await h.ctx.hotState.get(agentKey(id));
    await expectCode(h.svc.agents.setStatus(id, 'away'), 'ILLEGAL_STATUS_CHANGE', 'body.status');
    await expectCode(h.svc.agents.setStatus(h.id('ghost'), 'available'), 'AGENT_NOT_FOUND');
    expect(await h.ctx.hotState.get(agentKey(id))).toBe(before);
    const moves = (await topicEvents(id, 1)).filter((e) => e.type === 'agent.move');
    expect(moves.map((m) => m.status)).toEqual(['away']);
  });

  it('checks a move against what another instance swapped in, not against what this one remembers', async () => {
    const id = await agent('two', 'two');
    const other = createCallCenterServices(h.ctx, { clock: h.clock });
    await h.svc.agents.setStatus(id, 'available');
    await other.agents.setStatus(id, 'away');
    // This instance last swapped in "available"; hot state now says "away", from which this is legal.
    expect((await h.svc.agents.setStatus(id, 'available')).status).toBe('available');
    const { seq } = await hot(id);
    await expectCode(other.agents.setStatus(id, 'available'), 'ILLEGAL_STATUS_CHANGE', 'body.status');
    expect((await hot(id)).seq).toBe(seq);
    await Promise.all([h.svc.agents.settled(), other.agents.settled()]);
    expect(Number((await row(id)).status_seq)).toBe(seq);
    expect((await row(id)).status).toBe('available');
  });

  it('routes no call to an agent hot state has moved away, even before its row has the move', async () => {
    const first = await agent('route-a', 'routing');
    const second = await agent('route-b', 'routing');
    await h.svc.agents.setStatus(first, 'available');
    h.clock.advance(1000);
    await h.svc.agents.setStatus(second, 'available');
    await h.svc.agents.settled();
    // `first` has waited longest, so it would get the next call; it steps away in hot state.
    await h.svc.agents.setStatus(first, 'away');
    const available = await h.svc.agents.list({ status: 'available', ids: [first, second] });
    expect(available.map((a) => a.agentId)).toEqual([second]);
    // Asking for its next call, it is refused as away, as an explicit assignment would be.
    const refused = await expectCode(h.svc.assignment.next(first), 'AGENT_NOT_AVAILABLE', 'agentId');
    expect(refused.details).toEqual({ status: 'away' });
    const callId = h.id('route-call');
    await h.svc.queue.enqueue({
      callId,
      queue: h.queue('routing'),
      caller: caller(),
      requiredSkills: { routing: 1 },
    });
    const active = await h.svc.assignment.route(callId);
    expect(active?.agentId).toBe(second);
    await expectCode(h.svc.assignment.assign(h.id('none'), first), 'CALL_NOT_IN_QUEUE');
  });

  it("puts an assignment's outcome in hot state, and going offline checks the live calls behind a hot move", async () => {
    const id = await agent('offline', 'offline');
    const callId = await offered(id, 'offline');
    // The transaction wrote its outcome to hot state before it committed.
    expect((await hot(id)).agent).toMatchObject({ status: 'busy', currentCalls: 1 });

    await h.svc.agents.setStatus(id, 'away'); // busy → away in hot state: no new offers
    await expectCode(h.svc.agents.setStatus(id, 'offline'), 'AGENT_HAS_LIVE_CALLS', 'body.force');
    const offline = await h.svc.agents.setStatus(id, 'offline', { force: true });
    expect(offline).toMatchObject({ status: 'offline', currentCalls: 0 });
    // Offline supersedes the away move on the row: applying that move later changes nothing.
    await h.svc.agents.settled();
    const written = await row(id);
    expect(written.status).toBe('offline');
    expect(Number(written.status_seq)).toBe((await hot(id)).seq);
    expect(await replay(id)).toBe(0);
    expect((await row(id)).status).toBe('offline');
    expect((await h.svc.queue.list(h.queue('offline'))).map((c) => c.callId)).toContain(callId);
  });

  it('takes a move back when its append fails: the caller gets the error and nothing stays pinned', async () => {
    const id = await agent('takeback', 'takeback');
    await h.svc.agents.setStatus(id, 'available');
    await h.svc.agents.settled();
    const log = h.ctx.eventLog;
    const publish = log.publish.bind(log);
    log.publish = async (t, messages) => {
      if (messages.some((m) => m.value.toString().includes('"agent.move"'))) throw new Error('log down');
      return publish(t, messages);
    };
    try {
      await expect(h.svc.agents.setStatus(id, 'away')).rejects.toThrow('log down');
    } finally {
      log.publish = publish;
    }
    expect((await h.svc.agents.get(id)).status).toBe('available');
    await h.svc.agents.settled();
    // The row caught up with the taken-back number, so hot state is no longer ahead of it.
    const { seq } = await hot(id);
    expect(Number((await row(id)).status_seq)).toBe(seq);
    const callId = h.id('takeback-call');
    await h.svc.queue.enqueue({
      callId,
      queue: h.queue('takeback'),
      caller: caller(),
      requiredSkills: { takeback: 1 },
    });
    expect((await h.svc.assignment.route(callId))?.agentId).toBe(id);
    expect((await hot(id)).agent).toMatchObject({ status: 'busy', currentCalls: 1 });
    expect((await h.svc.agents.setStatus(id, 'away')).status).toBe('away');
  });

  it('a take-back keeps the move asked before it, which the row may not have yet', async () => {
    const id = await agent('takeback2', 'takeback2');
    await h.svc.agents.setStatus(id, 'available');
    await h.svc.agents.settled();
    // Another process took "away" (its record is in hot state; its write has not reached the row).
    const current = await h.ctx.hotState.get(agentKey(id));
    const away = JSON.parse(current!) as HotAgent;
    away.agent.status = 'away';
    away.agent.availableSince = null;
    away.seq += 1;
    away.asked = 'away';
    expect(await h.ctx.hotState.compareAndSet(agentKey(id), current, JSON.stringify(away))).toBe(true);
    // This process's "available" fails to append and is taken back.
    const log = h.ctx.eventLog;
    const publish = log.publish.bind(log);
    log.publish = async () => {
      throw new Error('log down');
    };
    try {
      await expect(h.svc.agents.setStatus(id, 'available')).rejects.toThrow('log down');
    } finally {
      log.publish = publish;
    }
    await h.svc.agents.settled();
    expect((await row(id)).status).toBe('away');
    expect((await h.svc.agents.get(id)).status).toBe('away');
    expect((await hot(id)).agent.status).toBe('away');
  });

  it('a take-back leaves alone a change that superseded the move while its append was in flight', async () => {
    const id = await agent('takeback3', 'takeback3');
    await h.svc.agents.setStatus(id, 'available');
    await h.svc.agents.settled();
    const log = h.ctx.eventLog;
    const publish = log.publish.bind(log);
    let fail: (error: Error) => void = () => undefined;
    log.publish = (t, messages) =>
      messages.some((m) => m.value.toString().includes('"agent.move"'))
        ? new Promise((_, reject) => (fail = reject))
        : publish(t, messages);
    let moving: Promise<unknown>;
    try {
      moving = h.svc.agents.setStatus(id, 'away').catch((error: unknown) => error);
      expect(await eventually(async () => (await hot(id)).agent.status === 'away', 5000, 5)).toBe(true);
      // Offline is relational: it supersedes the away move on the row (and in hot state).
      expect((await h.svc.agents.setStatus(id, 'offline')).status).toBe('offline');
      fail(new Error('log down'));
      expect(await moving).toBeInstanceOf(Error);
    } finally {
      log.publish = publish;
    }
    await h.svc.agents.settled();
    expect((await row(id)).status).toBe('offline');
    expect((await hot(id)).agent.status).toBe('offline');
    expect((await h.svc.agents.get(id)).status).toBe('offline');
  });

  it('refuses a transfer to an agent hot state has moved away', async () => {
    const from = await agent('xfer-a', 'xfer');
    const to = await agent('xfer-b', 'xfer');
    const callId = await offered(from, 'xfer');
    await h.svc.calls.answer(callId);
    await h.svc.agents.setStatus(to, 'available');
    await h.svc.agents.settled();
    await h.svc.agents.setStatus(to, 'away');
    await expectCode(h.svc.calls.transfer(callId, { agentId: to }), 'AGENT_NOT_AVAILABLE', 'body.agentId');
  });

  it('checks a move against the row when a transaction could not write the hot record', async () => {
    const id = await agent('stale', 'stale');
    await h.svc.agents.setStatus(id, 'available');
    await h.svc.agents.settled();
    const hotState = h.ctx.hotState;
    const cas = hotState.compareAndSet.bind(hotState);
    hotState.compareAndSet = async () => {
      throw new Error('hot state down');
    };
    try {
      // Offline is a relational transaction; its write to hot state fails, and it commits.
      expect((await h.svc.agents.setStatus(id, 'offline')).status).toBe('offline');
    } finally {
      hotState.compareAndSet = cas;
    }
    expect((await row(id)).status).toBe('offline');
    expect((await hot(id)).agent.status).toBe('available');
    // The record says available, from which this is illegal; the row says offline, from which it is not.
    expect((await h.svc.agents.setStatus(id, 'available')).status).toBe('available');
  });

  it('the consumer reports a failed batch of moves until one succeeds', async () => {
    const id = await agent('sync-health', 'sync-health');
    const sync = h.svc.syncInGroup(`health-${randomUUID()}`);
    const move = {
      type: 'agent.move',
      agentId: id,
      status: 'available',
      at: h.clock.now().toISOString(),
      seq: 1,
    };
    const batch = {
      mayContainRedeliveries: false,
      messages: [
        {
          topic,
          partition: 0,
          offset: 0n,
          key: id,
          value: Buffer.from(JSON.stringify(move)),
          headers: {},
          timestamp: 0,
        },
      ],
    };
    const store = h.ctx.relational;
    const transaction = store.transaction.bind(store);
    store.transaction = async () => {
      throw new Error('store down');
    };
    try {
      await expect(sync.handle(batch)).rejects.toThrow('store down');
    } finally {
      store.transaction = transaction;
    }
    expect(await sync.health()).toMatchObject({ ok: false, detail: 'store down' });
    await sync.handle(batch);
    expect((await sync.health()).ok).toBe(true);
    expect((await row(id)).status).toBe('available');
  });

  it('catches up a move whose process stopped before its write: the start-up reconciliation sends it again', async () => {
    const id = await agent('crash', 'crash');
    await h.svc.agents.setStatus(id, 'available');
    await h.svc.agents.settled();
    // What a process leaves when it stops between the hot-state swap and the topic append.
    const current = await h.ctx.hotState.get(agentKey(id));
    const ahead: HotAgent = JSON.parse(current!) as HotAgent;
    ahead.agent.status = 'away';
    ahead.agent.availableSince = null;
    ahead.seq += 1;
    ahead.asked = 'away';
    expect(await h.ctx.hotState.compareAndSet(agentKey(id), current, JSON.stringify(ahead))).toBe(true);
    expect((await h.svc.agents.get(id)).status).toBe('away');
    expect((await row(id)).status).toBe('available');

    const report = await h.svc.sweeper.reconcile();
    expect(report.hotMovesResent).toBeGreaterThanOrEqual(1);
    const sync = h.svc.syncInGroup(`crash-${randomUUID()}`);
    await sync.start();
    expect(await eventually(async () => (await row(id)).status === 'away')).toBe(true);
    await sync.stop();
    expect(Number((await row(id)).status_seq)).toBe(ahead.seq);
  });
});
