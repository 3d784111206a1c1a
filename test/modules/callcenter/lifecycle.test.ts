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
});
