import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Skills } from '../../../src/modules/callcenter/types.js';
import { backendLabel } from '../../helpers/backends.js';
import { caller, callcenterHarness, expectCode, snapshot, type CallCenterHarness } from './helpers.js';

describe(`callcenter queue and assignment (${backendLabel()})`, () => {
  let h: CallCenterHarness;
  beforeAll(async () => {
    h = await callcenterHarness();
  });
  afterAll(async () => {
    await h.close();
  });

  async function agent(name: string, skills: Skills = {}, maxCalls = 1): Promise<string> {
    const id = h.id(name);
    await h.svc.agents.create({ agentId: id, username: `${id}-u`, skills, maxCalls });
    await h.svc.agents.setStatus(id, 'available');
    return id;
  }

  it('lists a queue in routing order: priority first, then age', async () => {
    const queue = h.queue('order');
    const ids = ['low-old', 'high-new', 'low-new', 'high-old'].map((n) => h.id(n));
    const [lowOld, highNew, lowNew, highOld] = ids as [string, string, string, string];
    await h.svc.queue.enqueue({ callId: lowOld, queue, caller: caller(), priority: 1 });
    h.clock.advance(1000);
    await h.svc.queue.enqueue({ callId: highOld, queue, caller: caller(), priority: 9 });
    h.clock.advance(1000);
    await h.svc.queue.enqueue({ callId: lowNew, queue, caller: caller(), priority: 1 });
    h.clock.advance(1000);
    await h.svc.queue.enqueue({ callId: highNew, queue, caller: caller(), priority: 9 });
    expect((await h.svc.queue.list(queue)).map((c) => c.callId)).toEqual([highOld, highNew, lowOld, lowNew]);
    const position = await h.svc.queue.position(lowOld);
    expect(position).toMatchObject({ queue, position: 3, waitingSeconds: 3 });
    expect(position.estimatedWaitSeconds).toBeGreaterThan(0);
  });

  it('refuses bad calls with the code and field at fault, writing nothing', async () => {
    const queue = h.queue('bad');
    const callId = h.id('bad-call');
    const existing = h.id('existing');
    await h.svc.queue.enqueue({ callId: existing, queue, caller: caller() });
    const before = await snapshot(h, [], [callId, existing]);
    const ok = { callId, queue, caller: caller() };
    await expectCode(h.svc.queue.enqueue({ ...ok, caller: '4155550100' }), 'INVALID_PHONE', 'body.caller');
    await expectCode(h.svc.queue.enqueue({ ...ok, caller: '+1415555' }), 'INVALID_PHONE', 'body.caller');
    await expectCode(h.svc.queue.enqueue({ ...ok, queue: 'Has Caps' }), 'VALIDATION_FAILED', 'body.queue');
    await expectCode(h.svc.queue.enqueue({ ...ok, priority: 101 }), 'VALIDATION_FAILED', 'body.priority');
    await expectCode(
      h.svc.queue.enqueue({ ...ok, requiredSkills: { billing: 0 } }),
      'VALIDATION_FAILED',
      'body.requiredSkills.billing',
    );
    await expectCode(h.svc.queue.enqueue({ ...ok, callId: existing }), 'CALL_EXISTS', 'body.callId');
    await expectCode(h.svc.queue.position(callId), 'CALL_NOT_FOUND', 'callId');
    await expectCode(h.svc.queue.abandon(callId), 'CALL_NOT_FOUND', 'callId');
    await expectCode(h.svc.assignment.route(callId), 'CALL_NOT_IN_QUEUE', 'body.callId');
    expect(await snapshot(h, [], [callId, existing])).toEqual(before);
  });

  it('estimates the wait from the calls ahead: none ahead is no wait', async () => {
    const queue = h.queue('estimate');
    // Agents signed in; the estimate shares the calls ahead among them.
    for (const name of ['est-1', 'est-2', 'est-3']) await agent(name);
    const first = h.id('est-first');
    const second = h.id('est-second');
    await h.svc.queue.enqueue({ callId: first, queue, caller: caller() });
    await h.svc.queue.enqueue({ callId: second, queue, caller: caller() });
    expect(await h.svc.queue.position(first)).toMatchObject({ position: 1, estimatedWaitSeconds: 0 });
    // One call ahead, with however many agents: one handle time (default_handle_seconds, the
    // queue has no answered calls yet).
    expect(await h.svc.queue.position(second)).toMatchObject({ position: 2, estimatedWaitSeconds: 180 });
  });

  it('routes a call to the longest-available agent holding its skills', async () => {
    const queue = h.queue('skills');
    const first = await agent('first', { billing: 1 });
    h.clock.advance(1000);
    const second = await agent('second', { billing: 5 });
    h.clock.advance(1000);
    const third = await agent('third', { billing: 5, spanish: 3 });
    const callA = h.id('skills-a');
    const callB = h.id('skills-b');
    const callC = h.id('skills-c');
    await h.svc.queue.enqueue({ callId: callA, queue, caller: caller(), requiredSkills: { billing: 3 } });
    await h.svc.queue.enqueue({ callId: callB, queue, caller: caller(), requiredSkills: { spanish: 2 } });
    await h.svc.queue.enqueue({ callId: callC, queue, caller: caller(), requiredSkills: { spanish: 4 } });
    // billing ≥ 3: `first` (level 1) is passed over although it waited longest.
    expect(await h.svc.assignment.route(callA)).toMatchObject({ agentId: second, state: 'ringing' });
    expect(await h.svc.assignment.route(callB)).toMatchObject({ agentId: third });
    // Nobody holds spanish 4: no assignment, and the call stays queued.
    expect(await h.svc.assignment.route(callC)).toBeNull();
    expect((await h.svc.queue.get(callC)).callId).toBe(callC);
    expect((await h.svc.agents.get(first)).status).toBe('available');
    expect(await h.svc.agents.get(second)).toMatchObject({ status: 'busy', currentCalls: 1 });
    // `POST /assign {callId}` names the call in the body, as `{callId, agentId}` does.
    await expectCode(h.svc.assignment.route(callA), 'CALL_ALREADY_ASSIGNED', 'body.callId');
  });

  it('gives an agent the best call it can take, and null when no waiting call matches', async () => {
    const queue = h.queue('next');
    const a = await agent('next-a', { billing: 2 }, 2);
    const lowPriority = h.id('next-low');
    const needsSpanish = h.id('next-spanish');
    const highPriority = h.id('next-high');
    await h.svc.queue.enqueue({ callId: lowPriority, queue, caller: caller(), priority: 1 });
    await h.svc.queue.enqueue({
      callId: needsSpanish,
      queue,
      caller: caller(),
      priority: 99,
      requiredSkills: { spanish: 1 },
    });
    await h.svc.queue.enqueue({
      callId: highPriority,
      queue,
      caller: caller(),
      priority: 50,
      requiredSkills: { billing: 2 },
    });
    // Other tests' calls share the store: the agent serves this test's queue only.
    expect(await h.svc.assignment.next(a, { queues: [queue] })).toMatchObject({ callId: highPriority });
    expect(await h.svc.assignment.next(a, { queues: [queue] })).toMatchObject({ callId: lowPriority });
    expect(await h.svc.agents.get(a)).toMatchObject({ status: 'busy', currentCalls: 2 });
    // Only the call needing spanish is left: nothing another agent can take, so null.
    const b = await agent('next-b', { billing: 2 });
    expect(await h.svc.assignment.next(b, { queues: [queue] })).toBeNull();
    expect(await h.svc.assignment.next(b, { queues: [] })).toBeNull();
    expect(await h.svc.agents.get(b)).toMatchObject({ status: 'available', currentCalls: 0 });
  });

  it('refuses the next call to an agent that cannot take one, as an explicit assignment does', async () => {
    const queue = h.queue('next-refused');
    const full = await agent('nr-full');
    const away = await agent('nr-away');
    await h.svc.agents.setStatus(away, 'away');
    const offline = h.id('nr-offline');
    await h.svc.agents.create({ agentId: offline, username: `${offline}-u` });
    const filler = h.id('nr-filler');
    const waiting = h.id('nr-waiting');
    await h.svc.queue.enqueue({ callId: filler, queue, caller: caller() });
    await h.svc.assignment.assign(filler, full);
    await h.svc.queue.enqueue({ callId: waiting, queue, caller: caller() });
    const before = await snapshot(h, [full, away, offline], [filler, waiting]);
    const atCapacity = await expectCode(
      h.svc.assignment.next(full, { queues: [queue] }),
      'AGENT_AT_CAPACITY',
      'agentId',
    );
    expect(atCapacity.details).toMatchObject({ currentCalls: 1, maxCalls: 1 });
    for (const [id, status] of [
      [away, 'away'],
      [offline, 'offline'],
    ] as const) {
      const error = await expectCode(
        h.svc.assignment.next(id, { queues: [queue] }),
        'AGENT_NOT_AVAILABLE',
        'agentId',
      );
      expect(error.details).toMatchObject({ status });
      // Also when it asks for no queue at all: the refusal is about the agent.
      await expectCode(h.svc.assignment.next(id, { queues: [] }), 'AGENT_NOT_AVAILABLE', 'agentId');
    }
    await expectCode(h.svc.assignment.next(h.id('nr-nobody')), 'AGENT_NOT_FOUND', 'agentId');
    expect(await snapshot(h, [full, away, offline], [filler, waiting])).toEqual(before);
  });

  it('explains why an explicit assignment cannot be made, writing nothing', async () => {
    const queue = h.queue('explicit');
    const free = await agent('ex-free', { billing: 1 });
    const full = await agent('ex-full');
    const away = await agent('ex-away');
    await h.svc.agents.setStatus(away, 'away');
    const call = h.id('ex-call');
    const filler = h.id('ex-filler');
    await h.svc.queue.enqueue({ callId: filler, queue, caller: caller() });
    await h.svc.assignment.assign(filler, full);
    await h.svc.queue.enqueue({ callId: call, queue, caller: caller(), requiredSkills: { billing: 2 } });
    const before = await snapshot(h, [free, full, away], [call, filler]);
    await expectCode(h.svc.assignment.assign(call, full), 'AGENT_AT_CAPACITY', 'body.agentId');
    await expectCode(h.svc.assignment.assign(call, away), 'AGENT_NOT_AVAILABLE', 'body.agentId');
    await expectCode(h.svc.assignment.assign(call, free), 'SKILLS_NOT_MATCHED', 'body.agentId');
    await expectCode(h.svc.assignment.assign(call, h.id('nobody')), 'AGENT_NOT_FOUND', 'body.agentId');
    await expectCode(h.svc.assignment.assign(filler, free), 'CALL_ALREADY_ASSIGNED', 'body.callId');
    await expectCode(h.svc.assignment.assign(h.id('no-call'), free), 'CALL_NOT_IN_QUEUE', 'body.callId');
    expect(await snapshot(h, [free, full, away], [call, filler])).toEqual(before);
  });

  it('a rejected offer goes back to its place and the agent is skipped next time', async () => {
    const queue = h.queue('reject');
    const a = await agent('rej-a', { reject: 1 });
    const only = h.id('rej-call');
    await h.svc.queue.enqueue({ callId: only, queue, caller: caller(), requiredSkills: { reject: 1 } });
    expect(await h.svc.assignment.route(only)).toMatchObject({ agentId: a });
    expect(await h.svc.calls.reject(only)).toEqual({ callId: only, queue });
    expect(await h.svc.agents.get(a)).toMatchObject({ status: 'available', currentCalls: 0 });
    expect(await h.svc.assignment.route(only)).toBeNull();
    const b = await agent('rej-b', { reject: 1 });
    expect(await h.svc.assignment.route(only)).toMatchObject({ agentId: b });
  });

  it('abandon records the wait of a queued or ringing call and frees the agent', async () => {
    const queue = h.queue('abandon');
    const a = await agent('ab-a', { abandon: 1 });
    const queued = h.id('ab-queued');
    const ringing = h.id('ab-ringing');
    await h.svc.queue.enqueue({ callId: queued, queue, caller: caller(), requiredSkills: { abandon: 2 } });
    await h.svc.queue.enqueue({ callId: ringing, queue, caller: caller(), requiredSkills: { abandon: 1 } });
    h.clock.advance(12_000);
    await h.svc.assignment.assign(ringing, a);
    h.clock.advance(3_000);
    expect(await h.svc.queue.abandon(queued)).toEqual({ callId: queued, waitSeconds: 15 });
    expect(await h.svc.queue.abandon(ringing)).toEqual({ callId: ringing, waitSeconds: 15 });
    expect(await h.svc.agents.get(a)).toMatchObject({ status: 'available', currentCalls: 0 });
    const records = await h.svc.records.list({
      from: new Date(0),
      to: new Date('2100-01-01T00:00:00Z'),
      queue,
    });
    expect(records.map((r) => [r.callId, r.abandoned, r.waitSeconds, r.agentId, r.disposition])).toEqual([
      [queued, true, 15, null, 'abandoned'],
      [ringing, true, 15, a, 'abandoned'],
    ]);
    // An ended call is CALL_NOT_FOUND on every route that names it, saying that it ended.
    const ended = await expectCode(h.svc.queue.abandon(queued), 'CALL_NOT_FOUND', 'callId');
    expect(ended.details).toEqual({ state: 'ended' });
    const position = await expectCode(h.svc.queue.position(queued), 'CALL_NOT_FOUND', 'callId');
    expect(position.details).toEqual({ state: 'ended' });
    expect(position.message).toContain(`/v1/callcenter/records/${queued}`);
  });
});
