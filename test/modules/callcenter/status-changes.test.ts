import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { StatusChanges } from '../../../src/modules/callcenter/status-changes.js';
import type { Core } from '../../../src/modules/callcenter/core.js';
import type { Agent } from '../../../src/modules/callcenter/types.js';
import { backendLabel } from '../../helpers/backends.js';
import { callcenterHarness, expectCode, type CallCenterHarness } from './helpers.js';

/** Agent status changes asked for together share a transaction (status-changes.ts), each checked on its own. */
describe(`callcenter status changes grouped into one transaction (${backendLabel()})`, () => {
  let h: CallCenterHarness;
  beforeAll(async () => {
    h = await callcenterHarness();
  });
  afterAll(async () => {
    vi.restoreAllMocks();
    await h.close();
  });

  async function agents(name: string, n: number): Promise<string[]> {
    const ids = Array.from({ length: n }, (_, i) => h.id(`${name}-${i}`));
    for (const agentId of ids) await h.svc.agents.create({ agentId, username: agentId });
    return ids;
  }

  const statusOf = async (ids: string[]) =>
    Object.fromEntries(
      (await h.svc.agents.list({ ids, limit: ids.length })).map((a) => [a.agentId, a.status]),
    );

  it('commits many agents’ changes in few transactions; a refused change refuses only its caller', async () => {
    const ids = await agents('many', 40);
    const transactions = vi.spyOn(h.ctx.relational, 'transaction');
    const unknown = h.id('nobody');
    const results = await Promise.allSettled([
      ...ids.map((id) => h.svc.agents.setStatus(id, 'available')),
      // A second change for the first agent: it waits for the next group, and by then the
      // agent is available, so available → available is refused.
      h.svc.agents.setStatus(ids[0]!, 'available'),
      h.svc.agents.setStatus(unknown, 'available'),
    ]);
    const groupCount = transactions.mock.calls.length;
    transactions.mockRestore();
    // 42 changes asked for in one turn: groups of up to 16 distinct agents, and the second
    // change for the first agent in a group of its own once the first has committed.
    expect(groupCount).toBeGreaterThanOrEqual(3);
    expect(groupCount).toBeLessThanOrEqual(4);
    expect(results.slice(0, 40).every((r) => r.status === 'fulfilled')).toBe(true);
    const duplicate = results[40]!;
    expect(duplicate.status).toBe('rejected');
    expect((duplicate as PromiseRejectedResult).reason).toMatchObject({ code: 'ILLEGAL_STATUS_CHANGE' });
    expect((results[41] as PromiseRejectedResult).reason).toMatchObject({ code: 'AGENT_NOT_FOUND' });
    expect(Object.values(await statusOf(ids))).toEqual(ids.map(() => 'available'));
  });

  it('applies changes for one agent in the order they were asked for', async () => {
    const [id] = await agents('order', 1);
    // Each move is legal only after the one before it: any reordering is refused.
    const asked = ['available', 'away', 'available', 'offline', 'away', 'offline'] as const;
    const committed: number[] = [];
    const applied = await Promise.all(
      asked.map((status, i) =>
        h.svc.agents.setStatus(id!, status).then((agent) => {
          committed.push(i);
          return agent;
        }),
      ),
    );
    expect(applied.map((a) => a.status)).toEqual([...asked]);
    // One agent's changes commit one group after another, in the order asked.
    expect(committed).toEqual(asked.map((_, i) => i));
    await h.svc.agents.setStatus(id!, 'away');
    expect((await h.svc.agents.get(id!)).status).toBe('away');
    // An illegal move in a group leaves that agent as it was.
    await expectCode(h.svc.agents.setStatus(id!, 'busy'), 'ILLEGAL_STATUS_CHANGE', 'body.status');
    expect((await h.svc.agents.get(id!)).status).toBe('away');
  });

  it('runs a group that fails as a whole again change by change, so only the change at fault fails', async () => {
    const ids = await agents('fault', 5);
    const core = (h.svc.agents as unknown as { core: Core }).core;
    const faulty = ids[2]!;
    // The real move, except that the third agent's write fails as a database error would.
    const apply = vi.fn(async (...args: Parameters<ConstructorParameters<typeof StatusChanges>[1]>) => {
      const [trx, row, to, now, emit, options] = args;
      if (row.agent_id === faulty) throw new Error('simulated write failure');
      return h.svc.agents.move(trx, row, to, now, emit, options);
    });
    const changes = new StatusChanges(core, apply);
    const results = await Promise.allSettled(ids.map((id) => changes.request(id, 'available', false)));
    expect(results.map((r) => r.status)).toEqual([
      'fulfilled',
      'fulfilled',
      'rejected',
      'fulfilled',
      'fulfilled',
    ]);
    expect((results[2] as PromiseRejectedResult).reason).toMatchObject({
      message: 'simulated write failure',
    });
    expect(
      results
        .filter((r): r is PromiseFulfilledResult<Agent> => r.status === 'fulfilled')
        .map((r) => r.value.status),
    ).toEqual(['available', 'available', 'available', 'available']);
    // Committed for the others, nothing for the faulty one (its group's first attempt rolled back).
    expect(await statusOf(ids)).toEqual({
      [ids[0]!]: 'available',
      [ids[1]!]: 'available',
      [faulty]: 'offline',
      [ids[3]!]: 'available',
      [ids[4]!]: 'available',
    });
  });
});
