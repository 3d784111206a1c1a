import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backendLabel } from '../../helpers/backends.js';
import { caller, callcenterHarness, expectCode, snapshot, type CallCenterHarness } from './helpers.js';

describe(`callcenter call lifecycle and records (${backendLabel()})`, () => {
  let h: CallCenterHarness;
  beforeAll(async () => {
    h = await callcenterHarness({ env: { SWITCHBOARD_CALLCENTER_WRAP_UP_SECONDS: '30' } });
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

  it('answer, hold, resume, end: the record has exact wait, talk, hold and wrap-up times', async () => {
    const a = await agent('life-a');
    const queue = h.queue('life');
    const callId = h.id('life-call');
    await h.svc.queue.enqueue({ callId, queue, caller: '+14155550123', voiceSessionId: 'sess-1' });
    h.clock.advance(8_000);
    await h.svc.assignment.assign(callId, a);
    h.clock.advance(2_000); // ringing
    expect(await h.svc.calls.answer(callId)).toMatchObject({ state: 'talking' });
    h.clock.advance(60_000);
    expect(await h.svc.calls.hold(callId)).toMatchObject({ state: 'on_hold' });
    h.clock.advance(15_000);
    await h.svc.calls.resume(callId);
    h.clock.advance(30_000);
    const record = await h.svc.calls.end(callId, 'resolved');
    expect(record).toMatchObject({
      callId,
      queue,
      agentId: a,
      voiceSessionId: 'sess-1',
      waitSeconds: 10,
      talkSeconds: 90,
      holdSeconds: 15,
      wrapUpSeconds: null,
      transfers: 0,
      disposition: 'resolved',
      abandoned: false,
    });
    expect(await h.svc.agents.get(a)).toMatchObject({
      status: 'after_call_work',
      currentCalls: 0,
      wrapUpCallId: callId,
    });
    h.clock.advance(12_000);
    expect(await h.svc.agents.finishWrapUp(a)).toMatchObject({ status: 'available', wrapUpCallId: null });
    expect(await h.svc.records.get(callId)).toMatchObject({ wrapUpSeconds: 12, talkSeconds: 90 });
  });

  it('refuses moves the call is not in, writing nothing', async () => {
    const a = await agent('state-a');
    const queue = h.queue('state');
    const callId = h.id('state-call');
    const queued = h.id('state-queued');
    await h.svc.queue.enqueue({ callId, queue, caller: caller() });
    await h.svc.queue.enqueue({ callId: queued, queue, caller: caller() });
    await h.svc.assignment.assign(callId, a);
    const before = await snapshot(h, [a], [callId, queued]);
    await expectCode(h.svc.calls.hold(callId), 'CALL_STATE_INVALID', 'callId');
    await expectCode(h.svc.calls.end(callId, 'resolved'), 'CALL_STATE_INVALID', 'callId');
    await expectCode(h.svc.calls.transfer(callId, { queue }), 'CALL_STATE_INVALID', 'callId');
    await expectCode(h.svc.calls.answer(queued), 'CALL_STATE_INVALID', 'callId');
    await expectCode(h.svc.calls.answer(h.id('none')), 'CALL_NOT_FOUND', 'callId');
    await h.svc.calls.answer(callId);
    const answered = await snapshot(h, [a], [callId, queued]);
    await expectCode(h.svc.calls.answer(callId), 'CALL_STATE_INVALID', 'callId');
    await expectCode(h.svc.calls.resume(callId), 'CALL_STATE_INVALID', 'callId');
    await expectCode(h.svc.calls.reject(callId), 'CALL_STATE_INVALID', 'callId');
    await expectCode(h.svc.queue.abandon(callId), 'CALL_STATE_INVALID', 'callId');
    await expectCode(h.svc.calls.end(callId, ''), 'VALIDATION_FAILED', 'body.disposition');
    await expectCode(
      h.svc.calls.transfer(callId, { agentId: h.id('ghost') }),
      'AGENT_NOT_FOUND',
      'body.agentId',
    );
    await expectCode(h.svc.calls.transfer(callId, { agentId: a }), 'VALIDATION_FAILED', 'body.agentId');
    await expectCode(h.svc.calls.transfer(callId, { queue: 'Bad Queue' }), 'VALIDATION_FAILED', 'body.queue');
    expect(await snapshot(h, [a], [callId, queued])).toEqual(answered);
    expect(before).not.toEqual(answered);
  });

  it('transfers to an agent and back to a queue keep the first enqueue time and count transfers', async () => {
    const a = await agent('xfer-a');
    const b = await agent('xfer-b');
    const c = await agent('xfer-c');
    const queue = h.queue('xfer');
    const escalations = h.queue('xfer-esc');
    const callId = h.id('xfer-call');
    const enqueued = await h.svc.queue.enqueue({ callId, queue, caller: caller() });
    h.clock.advance(5_000);
    await h.svc.assignment.assign(callId, a);
    await h.svc.calls.answer(callId);
    h.clock.advance(20_000);
    const atB = await h.svc.calls.transfer(callId, { agentId: b });
    expect(atB).toMatchObject({
      agentId: b,
      state: 'ringing',
      transfers: 1,
      enqueuedAt: enqueued.enqueuedAt,
    });
    // No wrap-up for a transferred call: the first agent is free at once.
    expect(await h.svc.agents.get(a)).toMatchObject({ status: 'available', currentCalls: 0 });
    expect(await h.svc.agents.get(b)).toMatchObject({ status: 'busy', currentCalls: 1 });
    h.clock.advance(3_000);
    await h.svc.calls.answer(callId);
    h.clock.advance(10_000);
    expect(await h.svc.calls.transfer(callId, { queue: escalations })).toEqual({
      callId,
      queue: escalations,
    });
    expect(await h.svc.agents.get(b)).toMatchObject({ status: 'available', currentCalls: 0 });
    const waiting = await h.svc.queue.get(callId);
    expect(waiting).toMatchObject({ queue: escalations, enqueuedAt: enqueued.enqueuedAt, transfers: 2 });
    // Without requiredSkills the call keeps the skills it had (none here).
    expect(waiting.requiredSkills).toEqual({});
    h.clock.advance(7_000);
    await h.svc.assignment.assign(callId, c);
    await h.svc.calls.answer(callId);
    h.clock.advance(40_000);
    const record = await h.svc.calls.end(callId, 'escalated');
    // Wait is to the first answer only; talk is every stretch with an agent (20 + 10 + 40 s).
    expect(record).toMatchObject({
      agentId: c,
      queue: escalations,
      waitSeconds: 5,
      talkSeconds: 70,
      transfers: 2,
    });
  });

  it('an agent with two calls stays available after the first ends and wraps up after the last', async () => {
    const a = await agent('multi', 2);
    const queue = h.queue('multi');
    const one = h.id('multi-1');
    const two = h.id('multi-2');
    await h.svc.queue.enqueue({ callId: one, queue, caller: caller() });
    await h.svc.queue.enqueue({ callId: two, queue, caller: caller() });
    await h.svc.assignment.assign(one, a);
    expect(await h.svc.agents.get(a)).toMatchObject({ status: 'available', currentCalls: 1 });
    await h.svc.assignment.assign(two, a);
    expect(await h.svc.agents.get(a)).toMatchObject({ status: 'busy', currentCalls: 2 });
    await h.svc.calls.answer(one);
    await h.svc.calls.answer(two);
    expect(await h.svc.calls.end(one, 'resolved')).toMatchObject({ wrapUpSeconds: 0 });
    expect(await h.svc.agents.get(a)).toMatchObject({ status: 'available', currentCalls: 1 });
    await h.svc.calls.end(two, 'resolved');
    expect(await h.svc.agents.get(a)).toMatchObject({ status: 'after_call_work', currentCalls: 0 });
  });

  it('a transfer to a queue can replace the skills the call needs there', async () => {
    const billingAgent = h.id('sk-billing');
    await h.svc.agents.create({
      agentId: billingAgent,
      username: `${billingAgent}-u`,
      skills: { billing: 3 },
    });
    await h.svc.agents.setStatus(billingAgent, 'available');
    const techAgent = h.id('sk-tech');
    await h.svc.agents.create({ agentId: techAgent, username: `${techAgent}-u`, skills: { tech: 2 } });
    await h.svc.agents.setStatus(techAgent, 'available');
    const tech = h.queue('sk-tech');
    const callId = h.id('sk-call');
    const enqueued = await h.svc.queue.enqueue({
      callId,
      queue: h.queue('sk-billing'),
      caller: caller(),
      requiredSkills: { billing: 3 },
    });
    await h.svc.assignment.assign(callId, billingAgent);
    await h.svc.calls.answer(callId);
    const answered = await snapshot(h, [billingAgent, techAgent], [callId]);
    // Checked as at enqueue, before anything is written.
    await expectCode(
      h.svc.calls.transfer(callId, { queue: tech, requiredSkills: { tech: 11 } }),
      'VALIDATION_FAILED',
      'body.requiredSkills.tech',
    );
    await expectCode(
      h.svc.calls.transfer(callId, { queue: tech, requiredSkills: { 'Bad Skill': 1 } }),
      'VALIDATION_FAILED',
      'body.requiredSkills.Bad Skill',
    );
    expect(await snapshot(h, [billingAgent, techAgent], [callId])).toEqual(answered);

    h.clock.advance(5_000);
    expect(await h.svc.calls.transfer(callId, { queue: tech, requiredSkills: { tech: 2 } })).toEqual({
      callId,
      queue: tech,
    });
    expect(await h.svc.queue.get(callId)).toMatchObject({
      queue: tech,
      requiredSkills: { tech: 2 },
      enqueuedAt: enqueued.enqueuedAt,
      transfers: 1,
    });
    // Routing matches on the new skills: the tech agent takes it, the billing one could not.
    expect(await h.svc.assignment.route(callId)).toMatchObject({
      agentId: techAgent,
      requiredSkills: { tech: 2 },
    });
  });

  it('shows a live call in whatever state it is, and says when it has ended', async () => {
    const a = await agent('get-a');
    const queue = h.queue('get');
    const callId = h.id('get-call');
    await h.svc.queue.enqueue({ callId, queue, caller: caller(), requiredSkills: {} });
    expect(await h.svc.calls.get(callId)).toMatchObject({ callId, queue, state: 'queued', transfers: 0 });
    await h.svc.assignment.assign(callId, a);
    expect(await h.svc.calls.get(callId)).toMatchObject({ callId, agentId: a, state: 'ringing' });
    await h.svc.calls.answer(callId);
    expect(await h.svc.calls.get(callId)).toMatchObject({ state: 'talking' });
    await h.svc.calls.end(callId, 'resolved');
    const ended = await expectCode(h.svc.calls.get(callId), 'CALL_NOT_FOUND', 'callId');
    expect(ended.details).toEqual({ state: 'ended' });
    expect(ended.message).toContain(`/v1/callcenter/records/${callId}`);
    // The same answer from a route that acts on the call.
    expect((await expectCode(h.svc.calls.answer(callId), 'CALL_NOT_FOUND', 'callId')).details).toEqual({
      state: 'ended',
    });
    const unknown = await expectCode(h.svc.calls.get(h.id('get-none')), 'CALL_NOT_FOUND', 'callId');
    expect(unknown.details).toBeUndefined();
  });

  it("lists an agent's live calls, and refuses an unknown agent", async () => {
    const a = await agent('of-a');
    expect(await h.svc.calls.ofAgent(a)).toEqual([]);
    await expectCode(h.svc.calls.ofAgent(h.id('of-nobody')), 'AGENT_NOT_FOUND', 'agentId');
  });

  it('a transfer that fills the agent it rings at moves its statusChangedAt', async () => {
    const a = await agent('sc-a');
    const b = await agent('sc-b');
    const callId = h.id('sc-call');
    await h.svc.queue.enqueue({ callId, queue: h.queue('sc'), caller: caller() });
    await h.svc.assignment.assign(callId, a);
    await h.svc.calls.answer(callId);
    h.clock.advance(7_000);
    await h.svc.calls.transfer(callId, { agentId: b });
    expect(await h.svc.agents.get(b)).toMatchObject({
      status: 'busy',
      statusChangedAt: h.clock.now().toISOString(),
    });
  });
});
