import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backendLabel } from '../../helpers/backends.js';
import { eventually } from '../../helpers/services.js';
import { callcenterHarness, expectCode, snapshot, type CallCenterHarness } from './helpers.js';

describe(`callcenter hybrid mode: hot heartbeats, the events topic and its consumer (${backendLabel()})`, () => {
  let h: CallCenterHarness;
  const topic = `cc-events-${randomUUID().slice(0, 8)}`;
  const group = `cc-sync-${randomUUID().slice(0, 8)}`;
  beforeAll(async () => {
    h = await callcenterHarness({
      env: {
        SWITCHBOARD_CALLCENTER_MODE: 'hybrid',
        SWITCHBOARD_CALLCENTER_EVENTS_TOPIC: topic,
        SWITCHBOARD_CALLCENTER_CONSUMER_GROUP: group,
        SWITCHBOARD_CALLCENTER_HEARTBEAT_TIMEOUT_SECONDS: '60',
      },
    });
    await h.ctx.eventLog.ensureTopics([{ name: topic }]);
  });
  afterAll(async () => {
    await h.svc.sync?.stop();
    await h.close();
  });

  const lastBeats = async (ids: string[]) =>
    Object.fromEntries(
      (await h.svc.agents.list({ ids })).map((a) => [a.agentId, a.lastHeartbeatAt] as const),
    );

  async function agents(prefix: string, n: number): Promise<string[]> {
    const ids = Array.from({ length: n }, (_, i) => h.id(`${prefix}-${i}`));
    for (const id of ids) {
      await h.svc.agents.create({ agentId: id, username: `${id}-u` });
      await h.svc.agents.setStatus(id, 'available');
    }
    // The moves were taken in hot state; their rows follow from the write-behind.
    await h.svc.agents.settled();
    return ids;
  }

  it('writes heartbeats to hot state and the log; the consumer brings the relational store up to date', async () => {
    const ids = await agents('hb', 5);
    const before = await lastBeats(ids);
    const expected: Record<string, string> = {};
    for (let round = 0; round < 20; round += 1) {
      h.clock.advance(1000);
      for (const id of ids) expected[id] = (await h.svc.agents.heartbeat(id)).lastHeartbeatAt;
    }
    // Nothing relational yet: the consumer has not run.
    expect(await lastBeats(ids)).toEqual(before);
    await expectCode(h.svc.agents.heartbeat(h.id('ghost')), 'AGENT_NOT_FOUND', 'agentId');
    await h.svc.sync!.start();
    expect(
      await eventually(async () => JSON.stringify(await lastBeats(ids)) === JSON.stringify(expected)),
    ).toBe(true);
    await h.svc.sync!.stop();
  });

  it('replaying the whole topic (a new group from the start) changes nothing', async () => {
    const ids = await agents('replay', 3);
    for (const id of ids) await h.svc.agents.heartbeat(id);
    await h.svc.sync!.start();
    expect(await eventually(async () => Object.values(await lastBeats(ids)).every((v) => v !== null))).toBe(
      true,
    );
    await h.svc.sync!.stop();
    const settled = await snapshot(h, ids, []);
    for (const pass of [1, 2]) {
      const replay = h.svc.syncInGroup(`${group}-replay-${pass}`);
      await replay.start();
      const lag = async () => {
        const consumer = h.ctx.eventLog.consumer({ group: `${group}-replay-${pass}`, topics: [topic] });
        return (await consumer.lag()).every((p) => p.lag === 0n);
      };
      expect(await eventually(lag)).toBe(true);
      await replay.stop();
      expect(await snapshot(h, ids, [])).toEqual(settled);
    }
  });

  it('a consumer stopped mid-stream and restarted converges', async () => {
    const ids = await agents('crash', 10);
    const expected: Record<string, string> = {};
    const beat = async (rounds: number) => {
      for (let round = 0; round < rounds; round += 1) {
        h.clock.advance(500);
        for (const id of ids) expected[id] = (await h.svc.agents.heartbeat(id)).lastHeartbeatAt;
      }
    };
    await beat(30);
    const first = h.svc.syncInGroup(group);
    await first.start();
    expect(await eventually(async () => first.applied > 0, 15_000, 5)).toBe(true);
    await first.stop(); // mid-stream: more is published after it
    await beat(30);
    const second = h.svc.syncInGroup(group);
    await second.start();
    expect(
      await eventually(async () => JSON.stringify(await lastBeats(ids)) === JSON.stringify(expected)),
    ).toBe(true);
    await second.stop();
  });

  it('the sweeper reads the hot heartbeat, so a lagging consumer does not send a live agent away', async () => {
    const [id] = await agents('fresh', 1);
    h.clock.advance(50_000);
    await h.svc.agents.heartbeat(id!); // hot state and log only: the consumer is stopped
    h.clock.advance(20_000); // 70 s since the relational heartbeat, 20 s since the hot one
    await h.svc.sweeper.sweep();
    expect((await h.svc.agents.get(id!)).status).toBe('available');
    h.clock.advance(41_000);
    await h.svc.sweeper.sweep();
    expect((await h.svc.agents.get(id!)).status).toBe('away');
  });

  it('appends committed changes to the events topic, keyed by call or agent', async () => {
    const [id] = await agents('topic', 1);
    const consumer = h.ctx.eventLog.consumer({ group: `${group}-peek`, topics: [topic] });
    const seen: string[] = [];
    await consumer.run(async (batch) => {
      for (const m of batch.messages)
        if (m.key === id) seen.push(JSON.parse(m.value.toString()).type as string);
    });
    expect(await eventually(async () => seen.includes('agent.status'))).toBe(true);
    await consumer.stop();
  });
});
