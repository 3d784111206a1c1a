import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isSwitchboardError } from '../../../src/errors/index.js';
import { backendLabel } from '../../helpers/backends.js';
import { caller, callcenterHarness, type CallCenterHarness } from './helpers.js';

const AGENTS = 50;
const CALLS = 500;
const ATTEMPTS = 1000;

describe.each(['relational', 'hybrid'])(
  `callcenter assignment under concurrency, %s mode (${backendLabel()})`,
  (mode) => {
    let h: CallCenterHarness;
    beforeAll(async () => {
      h = await callcenterHarness({ env: { SWITCHBOARD_CALLCENTER_MODE: mode } });
    });
    afterAll(async () => {
      await h.close();
    });

    it(`${ATTEMPTS} concurrent assignments over ${AGENTS} agents and ${CALLS} calls: none twice, none over capacity, none lost`, async () => {
      const queue = h.queue('storm');
      const agentIds = Array.from({ length: AGENTS }, (_, i) => h.id(`storm-agent-${i}`));
      const callIds = Array.from({ length: CALLS }, (_, i) => h.id(`storm-call-${i}`));
      const capacity = new Map<string, number>();
      for (const [i, agentId] of agentIds.entries()) {
        const maxCalls = 1 + (i % 3);
        capacity.set(agentId, maxCalls);
        await h.svc.agents.create({
          agentId,
          username: `${agentId}-u`,
          maxCalls,
          skills: { storm: 1 + (i % 2) },
        });
        await h.svc.agents.setStatus(agentId, 'available');
      }
      // Hybrid: routing reads the rows, which follow the hot-state moves by the write-behind.
      await h.svc.agents.settled();
      for (const [i, callId] of callIds.entries()) {
        await h.svc.queue.enqueue({
          callId,
          queue,
          caller: caller(),
          priority: i % 5,
          requiredSkills: { storm: 1 + (i % 2) },
        });
      }
      // A pool that cannot hand out a connection in time (this shared test server under load)
      // fails before any statement runs: that attempt is simply made again.
      const persist = async <T>(op: () => Promise<T>): Promise<T> => {
        for (;;) {
          try {
            return await op();
          } catch (error) {
            if (
              !isSwitchboardError(error, 'STORE_UNAVAILABLE') &&
              !isSwitchboardError(error, 'STORE_TIMEOUT')
            ) {
              throw error;
            }
            await new Promise((resolve) => setTimeout(resolve, 20));
          }
        }
      };
      // Three kinds of attempt, interleaved: an agent asks for its next call, a call asks for
      // the best agent, and a supervisor pairs a call with an agent.
      const attempts = Array.from({ length: ATTEMPTS }, (_, i) => {
        const agentId = agentIds[(i * 7) % AGENTS]!;
        const callId = callIds[(i * 13) % CALLS]!;
        if (i % 3 === 0) return persist(() => h.svc.assignment.next(agentId, { queues: [queue] }));
        if (i % 3 === 1) return persist(() => h.svc.assignment.route(callId));
        return persist(() => h.svc.assignment.assign(callId, agentId));
      });
      const results = await Promise.allSettled(attempts);
      const expected = new Set([
        'CALL_ALREADY_ASSIGNED',
        'AGENT_AT_CAPACITY',
        'AGENT_NOT_AVAILABLE',
        'SKILLS_NOT_MATCHED',
        'CALL_NOT_IN_QUEUE',
      ]);
      const assignedBy = new Map<string, string[]>();
      for (const result of results) {
        if (result.status === 'rejected') {
          const e = result.reason as unknown;
          expect(isSwitchboardError(e) && expected.has(e.code), String(e)).toBe(true);
          continue;
        }
        if (result.value === null) continue;
        const list = assignedBy.get(result.value.callId) ?? [];
        list.push(result.value.agentId);
        assignedBy.set(result.value.callId, list);
      }
      // No call handed out twice.
      for (const [callId, agents] of assignedBy) expect(agents, callId).toHaveLength(1);

      const db = h.ctx.relational.db;
      const active = await db
        .selectFrom('cc_active_calls')
        .selectAll()
        .where('call_id', 'in', callIds)
        .execute();
      const queued = await db
        .selectFrom('cc_call_queue')
        .select('call_id')
        .where('call_id', 'in', callIds)
        .execute();
      // Every call exactly once: in the queue or with an agent.
      const seen = [
        ...active.map((r) => r.call_id as string),
        ...queued.map((r) => r.call_id as string),
      ].sort();
      expect(seen).toEqual([...callIds].sort());
      expect(active.length).toBe(assignedBy.size);
      for (const row of active) expect(assignedBy.get(row.call_id as string)).toEqual([row.agent_id]);
      // No agent over capacity, and its counter agrees with its live calls.
      const agents = await h.svc.agents.list({ ids: agentIds });
      let total = 0;
      for (const agent of agents) {
        const live = active.filter((r) => r.agent_id === agent.agentId).length;
        expect(live).toBeLessThanOrEqual(capacity.get(agent.agentId)!);
        expect(agent.currentCalls).toBe(live);
        expect(agent.status).toBe(live === agent.maxCalls ? 'busy' : 'available');
        total += agent.maxCalls;
      }
      // Capacity (100 slots) is far below the calls: a correct run fills most of it.
      expect(active.length).toBeGreaterThan(total / 2);
      expect(active.length).toBeLessThanOrEqual(total);
    }, 120_000);
  },
);
