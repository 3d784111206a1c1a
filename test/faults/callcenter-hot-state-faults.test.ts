import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isSwitchboardError } from '../../src/errors/index.js';
import { agentKey, type HotAgent } from '../../src/modules/callcenter/hybrid/agent-state.js';
import { eventually } from '../helpers/services.js';
import { callcenterHarness, caller, type CallCenterHarness } from '../modules/callcenter/helpers.js';
import { freePort, OwnRedis } from './harness.js';

/**
 * The hybrid call center when its Redis goes away (its own redis-server, killed and started
 * again with its data): status changes, which live in hot state, fail with the catalogue's
 * error; routing and the call lifecycle, which are relational, go on from the rows; and once
 * Redis is back the start-up reconciliation brings the agents' records up to their rows.
 */
const hasRedis = await import('node:fs').then((fs) => fs.existsSync('/usr/bin/redis-server'));

describe.skipIf(!hasRedis && process.env.CI !== 'true')('callcenter hybrid with its Redis down', () => {
  let redis: OwnRedis;
  let dir: string;
  let h: CallCenterHarness;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'switchboard-cc-redis-'));
    redis = new OwnRedis(await freePort(), dir);
    await redis.start();
    h = await callcenterHarness({
      env: {
        SWITCHBOARD_CALLCENTER_MODE: 'hybrid',
        SWITCHBOARD_STORE_HOT_STATE: 'redis',
        SWITCHBOARD_REDIS_URL: redis.url,
        SWITCHBOARD_REDIS_CONNECT_TIMEOUT_MS: '500',
        SWITCHBOARD_STORE_RELATIONAL: 'embedded',
        SWITCHBOARD_STORE_EVENT_LOG: 'embedded',
      },
    });
  });
  afterAll(async () => {
    await h?.close();
    await redis?.kill();
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses status changes, keeps routing from the rows, and reconciles the records once Redis is back', async () => {
    const id = h.id('agent');
    await h.svc.agents.create({ agentId: id, username: `${id}-u`, skills: { faults: 1 } });
    await h.svc.agents.setStatus(id, 'available');
    await h.svc.agents.settled();
    await redis.save();
    await redis.kill();

    const refused = await h.svc.agents.setStatus(id, 'away').then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(isSwitchboardError(refused), String(refused)).toBe(true);
    expect((refused as { status: number }).status).toBe(503);

    const callId = h.id('call');
    await h.svc.queue.enqueue({
      callId,
      queue: h.queue('faults'),
      caller: caller(),
      requiredSkills: { faults: 1 },
    });
    expect((await h.svc.assignment.route(callId))?.agentId).toBe(id);
    await h.svc.calls.answer(callId);

    await redis.start({ withData: true });
    // The client reconnects with a backoff: the reconciliation runs once hot state answers.
    expect(await eventually(async () => (await h.ctx.hotState.health()).ok)).toBe(true);
    const stale = JSON.parse(
      (await redis.command(['GET', `switchboard:${agentKey(id)}`])) as string,
    ) as HotAgent;
    expect(stale.agent).toMatchObject({ status: 'available', currentCalls: 0 });
    await h.svc.sweeper.reconcile();
    const fixed = JSON.parse(
      (await redis.command(['GET', `switchboard:${agentKey(id)}`])) as string,
    ) as HotAgent;
    expect(fixed.agent).toMatchObject({ status: 'busy', currentCalls: 1 });
    // Status changes work again.
    expect((await h.svc.agents.setStatus(id, 'away')).status).toBe('away');
  });
});
