import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { legalMoves } from '../../../src/modules/callcenter/status-machine.js';
import { AGENT_STATUSES, type AgentStatus } from '../../../src/modules/callcenter/types.js';
import type { CallCenterEvent } from '../../../src/modules/callcenter/events.js';
import { backendLabel } from '../../helpers/backends.js';
import { eventually } from '../../helpers/services.js';
import { caller, callcenterHarness, expectCode, snapshot, type CallCenterHarness } from './helpers.js';

describe(`callcenter agents and the status state machine (${backendLabel()})`, () => {
  let h: CallCenterHarness;
  beforeAll(async () => {
    h = await callcenterHarness();
  });
  afterAll(async () => {
    await h.close();
  });

  it('creates, reads, lists and updates agents', async () => {
    const id = h.id('a1');
    const created = await h.svc.agents.create({ agentId: id, username: `${id}-u`, skills: { billing: 3 } });
    expect(created).toMatchObject({
      agentId: id,
      displayName: `${id}-u`,
      skills: { billing: 3 },
      maxCalls: 1,
      status: 'offline',
      currentCalls: 0,
      availableSince: null,
    });
    expect(await h.svc.agents.get(id)).toEqual(created);
    const updated = await h.svc.agents.update(id, {
      displayName: 'Asha',
      skills: { spanish: 5 },
      maxCalls: 3,
    });
    expect(updated).toMatchObject({ displayName: 'Asha', skills: { spanish: 5 }, maxCalls: 3 });
    const skillRows = await h.ctx.relational.db
      .selectFrom('cc_agent_skills')
      .selectAll()
      .where('agent_id', '=', id)
      .execute();
    expect(skillRows).toEqual([{ agent_id: id, skill: 'spanish', level: 5 }]);
    const listed = await h.svc.agents.list({ ids: [id] });
    expect(listed.map((a) => a.agentId)).toEqual([id]);
  });

  it('refuses bad input with the code and field at fault, writing nothing', async () => {
    const id = h.id('bad');
    const taken = h.id('taken');
    await h.svc.agents.create({ agentId: taken, username: `${taken}-u` });
    const before = await snapshot(h, [id, taken], []);
    await expectCode(
      h.svc.agents.create({ agentId: 'has space', username: 'x' }),
      'VALIDATION_FAILED',
      'body.agentId',
    );
    await expectCode(
      h.svc.agents.create({ agentId: id, username: '' }),
      'VALIDATION_FAILED',
      'body.username',
    );
    await expectCode(
      h.svc.agents.create({ agentId: id, username: `${id}-u`, skills: { billing: 11 } }),
      'VALIDATION_FAILED',
      'body.skills.billing',
    );
    await expectCode(
      h.svc.agents.create({ agentId: id, username: `${id}-u`, skills: { 'Bad Skill': 1 } }),
      'VALIDATION_FAILED',
      'body.skills.Bad Skill',
    );
    await expectCode(
      h.svc.agents.create({ agentId: id, username: `${id}-u`, maxCalls: 0 }),
      'VALIDATION_FAILED',
      'body.maxCalls',
    );
    await expectCode(
      h.svc.agents.create({ agentId: taken, username: `${id}-u` }),
      'AGENT_EXISTS',
      'body.agentId',
    );
    // The field names what collided: the id, or (another id) the username.
    await expectCode(
      h.svc.agents.create({ agentId: id, username: `${taken}-u` }),
      'AGENT_EXISTS',
      'body.username',
    );
    await expectCode(
      h.svc.agents.create({ agentId: taken, username: `${taken}-u` }),
      'AGENT_EXISTS',
      'body.agentId',
    );
    // A skill named like an object's prototype is a bad skill name, at its place in the body.
    await expectCode(
      h.svc.agents.create({
        agentId: id,
        username: `${id}-u`,
        skills: JSON.parse('{"__proto__": 3}') as Record<string, number>,
      }),
      'VALIDATION_FAILED',
      'body.skills.__proto__',
    );
    await expectCode(
      h.svc.agents.create({ agentId: id, username: `${id}-u`, displayName: 'a\u0000b' }),
      'VALIDATION_FAILED',
      'body.displayName',
    );
    await expectCode(
      h.svc.agents.create({ agentId: id, username: `${id}-u`, displayName: '😀'.repeat(201) }),
      'VALIDATION_FAILED',
      'body.displayName',
    );
    await expectCode(h.svc.agents.get(id), 'AGENT_NOT_FOUND', 'agentId');
    // 200 characters, as the schema counts them (400 UTF-16 units): a name that fits.
    const emoji = `${id}-emoji`;
    await h.svc.agents.create({ agentId: emoji, username: `${emoji}-u`, displayName: '😀'.repeat(200) });
    expect((await h.svc.agents.get(emoji)).displayName).toBe('😀'.repeat(200));
    await expectCode(h.svc.agents.update(id, { displayName: 'x' }), 'AGENT_NOT_FOUND', 'agentId');
    await expectCode(h.svc.agents.setStatus(id, 'available'), 'AGENT_NOT_FOUND', 'agentId');
    await expectCode(h.svc.agents.heartbeat(id), 'AGENT_NOT_FOUND', 'agentId');
    await expectCode(
      h.svc.agents.setStatus(taken, 'dancing' as AgentStatus),
      'VALIDATION_FAILED',
      'body.status',
    );
    expect(await snapshot(h, [id, taken], [])).toEqual(before);
  });

  /** Brings a fresh agent to `status` through legal moves only. */
  async function agentIn(status: AgentStatus, name: string): Promise<string> {
    const id = h.id(name);
    await h.svc.agents.create({ agentId: id, username: `${id}-u`, maxCalls: 1 });
    if (status === 'offline') return id;
    if (status === 'away') {
      await h.svc.agents.setStatus(id, 'away');
      return id;
    }
    await h.svc.agents.setStatus(id, 'available');
    if (status === 'available') return id;
    const callId = h.id(`${name}-call`);
    await h.svc.queue.enqueue({ callId, queue: h.queue('sm'), caller: caller() });
    expect(await h.svc.assignment.assign(callId, id)).toMatchObject({ agentId: id });
    if (status === 'busy') return id;
    await h.svc.calls.answer(callId);
    await h.svc.calls.end(callId, 'resolved');
    expect((await h.svc.agents.get(id)).status).toBe('after_call_work');
    return id;
  }

  it('allows exactly the documented moves and refuses the rest with ILLEGAL_STATUS_CHANGE', async () => {
    let n = 0;
    for (const from of AGENT_STATUSES) {
      for (const to of AGENT_STATUSES) {
        n += 1;
        const id = await agentIn(from, `sm${n}`);
        const legal = legalMoves(from, 'api').includes(to);
        if (!legal) {
          const error = await expectCode(
            h.svc.agents.setStatus(id, to),
            'ILLEGAL_STATUS_CHANGE',
            'body.status',
          );
          expect(error.details).toMatchObject({ from, to });
          expect((await h.svc.agents.get(id)).status).toBe(from);
        } else if (from === 'busy' && to === 'offline') {
          await expectCode(h.svc.agents.setStatus(id, to), 'AGENT_HAS_LIVE_CALLS', 'body.force');
          expect((await h.svc.agents.get(id)).status).toBe('busy');
        } else {
          const moved = await h.svc.agents.setStatus(id, to);
          expect(moved.status, `${from} → ${to}`).toBe(to);
        }
      }
    }
    expect(legalMoves('busy', 'api')).toEqual(['away', 'offline']);
    expect(legalMoves('offline', 'api')).toEqual(['available', 'away']);
  });

  it('force-offline with live calls puts them back in their queue at their original place', async () => {
    const id = h.id('force');
    const queue = h.queue('force');
    await h.svc.agents.create({ agentId: id, username: `${id}-u`, maxCalls: 2 });
    await h.svc.agents.setStatus(id, 'available');
    const first = h.id('force-1');
    const second = h.id('force-2');
    await h.svc.queue.enqueue({ callId: first, queue, caller: caller() });
    h.clock.advance(1000);
    await h.svc.queue.enqueue({ callId: second, queue, caller: caller() });
    await h.svc.assignment.assign(first, id);
    await h.svc.calls.answer(first);
    h.clock.advance(5000);
    const later = h.id('force-3');
    await h.svc.queue.enqueue({ callId: later, queue, caller: caller() });
    expect((await h.svc.agents.get(id)).currentCalls).toBe(1);

    await expectCode(h.svc.agents.setStatus(id, 'offline'), 'AGENT_HAS_LIVE_CALLS', 'body.force');
    const offline = await h.svc.agents.setStatus(id, 'offline', { force: true });
    expect(offline).toMatchObject({ status: 'offline', currentCalls: 0 });
    expect(await h.svc.calls.ofAgent(id)).toEqual([]);
    expect((await h.svc.queue.list(queue)).map((c) => c.callId)).toEqual([first, second, later]);
  });

  it('asking to be available while at capacity makes the agent busy', async () => {
    const id = await agentIn('busy', 'cap');
    await h.svc.agents.setStatus(id, 'away');
    expect(await h.svc.agents.setStatus(id, 'available')).toMatchObject({ status: 'busy', currentCalls: 1 });
  });

  it('a new capacity that fills or frees an agent changes its status and statusChangedAt', async () => {
    const id = h.id('cap-patch');
    await h.svc.agents.create({ agentId: id, username: `${id}-u`, maxCalls: 2 });
    await h.svc.agents.setStatus(id, 'available');
    const callId = h.id('cap-patch-call');
    await h.svc.queue.enqueue({ callId, queue: h.queue('cap-patch'), caller: caller() });
    await h.svc.assignment.assign(callId, id);
    const before = await h.svc.agents.get(id);
    expect(before).toMatchObject({ status: 'available', currentCalls: 1 });
    h.clock.advance(5_000);
    const full = await h.svc.agents.update(id, { maxCalls: 1 });
    expect(full).toMatchObject({ status: 'busy', statusChangedAt: h.clock.now().toISOString() });
    expect(await h.svc.agents.get(id)).toEqual(full);
    h.clock.advance(5_000);
    const freed = await h.svc.agents.update(id, { maxCalls: 3 });
    expect(freed).toMatchObject({ status: 'available', statusChangedAt: h.clock.now().toISOString() });
    // A change that leaves the status alone leaves its time alone.
    h.clock.advance(5_000);
    expect(await h.svc.agents.update(id, { displayName: 'Renamed' })).toMatchObject({
      status: 'available',
      statusChangedAt: freed.statusChangedAt,
      updatedAt: h.clock.now().toISOString(),
    });
  });

  it('an update that changes nothing writes nothing and sends no event', async () => {
    const id = h.id('noop');
    const other = h.id('noop-other');
    await h.svc.agents.create({ agentId: id, username: `${id}-u`, skills: { billing: 2, spanish: 1 } });
    await h.svc.agents.create({ agentId: other, username: `${other}-u` });
    const events: CallCenterEvent[] = [];
    const unsubscribe = await h.svc.subscribe((event) => events.push(event));
    try {
      const before = await snapshot(h, [id], []);
      const agent = await h.svc.agents.get(id);
      h.clock.advance(5_000);
      expect(await h.svc.agents.update(id, {})).toEqual(agent);
      // The values it already has, skills in another order.
      expect(
        await h.svc.agents.update(id, {
          username: agent.username,
          displayName: agent.displayName,
          skills: { spanish: 1, billing: 2 },
          maxCalls: agent.maxCalls,
        }),
      ).toEqual(agent);
      expect(await snapshot(h, [id], [])).toEqual(before);
      // A real change to another agent: once its event is seen, any event of the no-ops would be too.
      await h.svc.agents.update(other, { displayName: 'Changed' });
      expect(await eventually(async () => events.some((e) => 'agentId' in e && e.agentId === other))).toBe(
        true,
      );
      expect(events.filter((e) => 'agentId' in e && e.agentId === id)).toEqual([]);
    } finally {
      await unsubscribe();
    }
  });
});
