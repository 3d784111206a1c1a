import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createConversationServices,
  type ConversationServices,
} from '../../../src/modules/conversations/services.js';
import { readSnapshot } from '../../../src/modules/conversations/sync.js';
import { backendLabel } from '../../helpers/backends.js';
import { faultyEngine, type Faults } from './faulty-engine.js';
import { account, conversationHarness, type ConversationHarness } from './helpers.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits (at least `minMs`) until `probe` holds; a loaded machine runs the workload slower. */
async function until(probe: () => Promise<boolean>, minMs: number, maxMs = 20_000): Promise<void> {
  const started = Date.now();
  await sleep(minMs);
  while (!(await probe())) {
    if (Date.now() - started > maxMs) throw new Error('condition not reached in time');
    await sleep(25);
  }
}

interface Owned {
  sessionUid: string;
  /** Acknowledged turns: id → steps acknowledged (agent) or -1 (human). */
  turns: Map<string, number>;
  humans: string[];
  agents: string[];
  openAgents: string[];
}

/**
 * A few users writing and reading their own conversations without pause; every write the
 * service acknowledged is remembered, every read failure counted.
 */
class Workload {
  readonly sessions: Owned[] = [];
  readFailures: unknown[] = [];
  writeFailures: unknown[] = [];
  acknowledged = 0;
  reads = 0;
  private stopped = false;
  private runs: Promise<void>[] = [];

  constructor(private readonly svc: ConversationServices) {}

  start(users: number): void {
    this.runs = Array.from({ length: users }, (_, u) => this.user(u));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.runs);
  }

  private async user(u: number): Promise<void> {
    const acct = account();
    const mine: Owned[] = [];
    let i = 0;
    while (!this.stopped) {
      i += 1;
      const c = this.svc.conversations;
      try {
        if (mine.length === 0 || i % 25 === 0) {
          const s = await c.createSession(acct, { title: `u${u} #${i}` });
          const owned = {
            sessionUid: s.sessionUid,
            turns: new Map(),
            humans: [],
            agents: [],
            openAgents: [],
          };
          mine.push(owned);
          this.sessions.push(owned);
        } else {
          const s = mine[i % mine.length]!;
          const roll = i % 7;
          if (roll === 0 || s.humans.length === 0) {
            const parent = s.agents.at(-1) ?? s.sessionUid;
            const t = await c.appendHumanTurn(s.sessionUid, { prompt: `q${i}`, parentUid: parent });
            s.turns.set(t.turnUid, -1);
            s.humans.push(t.turnUid);
          } else if (roll <= 2 && s.humans.length > 0) {
            // Answer or regenerate: a new agent turn (a sibling if the prompt has one).
            const parent = s.humans[i % s.humans.length]!;
            const t = await c.appendAgentTurn(s.sessionUid, {
              parentUid: parent,
              steps: [{ tpe: 'reasoning', content: `r${i}` }],
            });
            s.turns.set(t.turnUid, 1);
            s.agents.push(t.turnUid);
            s.openAgents.push(t.turnUid);
          } else if (roll <= 4 && s.openAgents.length > 0) {
            const turn = s.openAgents[0]!;
            const done = (s.turns.get(turn) ?? 0) >= 3;
            await c.appendSteps(s.sessionUid, turn, {
              steps: [{ tpe: 'text', content: `t${i}` }],
              complete: done,
            });
            s.turns.set(turn, (s.turns.get(turn) ?? 0) + 1);
            if (done) s.openAgents.shift();
          } else if (roll === 5 && s.agents.length > 0) {
            await c.like(s.sessionUid, s.agents[i % s.agents.length]!, i % 2 === 0);
          } else {
            this.reads += 1;
            try {
              const loaded = await c.loadActivePath(s.sessionUid);
              expect(loaded.session.sessionUid).toBe(s.sessionUid);
            } catch (error) {
              this.readFailures.push(error);
            }
            continue;
          }
        }
        this.acknowledged += 1;
      } catch (error) {
        this.writeFailures.push(error);
      }
      await sleep(1);
    }
  }
}

let h: ConversationHarness;
const faults: Faults = { writes: false, reads: false, readDelayMs: 0 };
beforeAll(async () => {
  h = await conversationHarness({
    env: {
      SWITCHBOARD_CONVERSATIONS_SHADOW_READ_SAMPLE: '0.5',
      SWITCHBOARD_CONVERSATIONS_READ_LATENCY_BUDGET_MS: '200',
      SWITCHBOARD_CONVERSATIONS_BREAKER_FAILURE_THRESHOLD: '3',
      SWITCHBOARD_CONVERSATIONS_BREAKER_RESET_MS: '300',
    },
  });
});
afterAll(async () => h.close());

async function counter(svc: ConversationServices, name: 'fallbacks' | 'shadow' | 'reads'): Promise<number> {
  const metric = await svc.metrics[name].get();
  return metric.values.reduce((n, v) => n + v.value, 0);
}

describe(`live migration relational → wide_column (${backendLabel()})`, () => {
  it('moves through every phase under load, with a wide-column fault in the middle, losing nothing', async () => {
    const svc = createConversationServices(
      { ...h.ctx, wideColumn: faultyEngine(h.ctx.wideColumn, faults) },
      {
        mode: 'relational',
      },
    );
    const work = new Workload(svc);
    work.start(3);
    await sleep(300);

    await svc.router.setMode('dual_write');
    await sleep(200);
    const backfill = await svc.tools.backfill({ batchSize: 5, restart: true });
    expect(backfill.copied).toBeGreaterThan(0);
    let report = await svc.tools.verify({ restart: true });
    expect(report.checked).toBeGreaterThan(0);
    expect(report.mismatches).toBe(0);

    // The wide-column side fails for a while: requests still succeed, failures go to the repair log.
    faults.writes = true;
    await until(async () => (await svc.repairs.backlog()) > 2, 300);
    faults.writes = false;
    expect(await svc.repairs.backlog()).toBeGreaterThan(0);
    await expect(svc.router.setMode('wide_column')).rejects.toMatchObject({ code: 'CONFLICT' });
    report = await svc.tools.verify({ restart: true });
    expect(report.mismatches).toBeGreaterThan(0);
    const repaired = await svc.tools.repair();
    expect(repaired.failed).toBe(0);
    expect(await svc.repairs.backlog()).toBe(0);
    report = await svc.tools.verify({ restart: true });
    expect(report.mismatches).toBe(0);

    await svc.router.setMode('wide_column_reads');
    await until(async () => svc.metrics.staleReadRate().compared > 3, 300);
    expect(await counter(svc, 'shadow')).toBeGreaterThan(0);
    // After repair and verify the copy is exact and dual writes keep it so: no stale read.
    const clean = svc.metrics.staleReadRate();
    expect(clean.compared).toBeGreaterThan(0);
    expect(clean.rate).toBeLessThan(0.01);
    // Reads failing, then too slow, on the wide-column side: they fall back, the breaker opens.
    faults.reads = true;
    await until(async () => (await counter(svc, 'fallbacks')) > 3, 200);
    faults.reads = false;
    faults.readDelayMs = 400;
    const before = await counter(svc, 'fallbacks');
    await until(async () => (await counter(svc, 'fallbacks')) > before, 500);
    faults.readDelayMs = 0;
    await sleep(400);
    expect(await counter(svc, 'fallbacks')).toBeGreaterThan(0);
    // A session only the relational side has (as before a backfill) is read from there.
    const onlyRelational = {
      ...(await svc.conversations.createSession(account())),
      sessionUid: 'rel-only-' + Date.now(),
    };
    await svc.relational.insertSession(onlyRelational);
    expect((await svc.conversations.getSession(onlyRelational.sessionUid)).sessionUid).toBe(
      onlyRelational.sessionUid,
    );

    // Reads that opened the breaker also sent dual writes straight to the repair log, and the
    // relational-only session differs: repair and verify until both sides agree, then switch.
    let rounds = 0;
    for (;;) {
      rounds += 1;
      await svc.tools.repair();
      report = await svc.tools.verify({ restart: true });
      if (report.mismatches === 0 && (await svc.repairs.backlog()) === 0) break;
      expect(rounds).toBeLessThan(6);
    }
    expect(await readSnapshot(svc.wide, onlyRelational.sessionUid)).not.toBeNull();
    await svc.relationalCopy.start();
    await svc.router.setMode('wide_column');
    await sleep(300);
    await work.stop();
    await svc.router.settle();

    expect(work.readFailures).toEqual([]);
    expect(work.writeFailures).toEqual([]);
    expect(work.acknowledged).toBeGreaterThan(50);
    expect(work.reads).toBeGreaterThan(5);

    // Every acknowledged write is on the wide-column side (now primary) ...
    const missing: string[] = [];
    const check = async (side: 'wide' | 'relational') => {
      for (const owned of work.sessions) {
        const snap = await readSnapshot(svc[side], owned.sessionUid);
        if (!snap) {
          missing.push(`${side}: session ${owned.sessionUid}`);
          continue;
        }
        const turns = new Set(snap.turns.map((t) => t.turnUid));
        for (const [turn, steps] of owned.turns) {
          if (!turns.has(turn)) missing.push(`${side}: turn ${turn}`);
          const stored = snap.steps.filter((s) => s.turnUid === turn).length;
          if (steps > 0 && stored !== steps) missing.push(`${side}: ${turn} has ${stored} of ${steps} steps`);
        }
      }
    };
    await check('wide');
    // ... and, once the event log's copy has caught up, on the relational side too.
    const deadline = Date.now() + 15_000;
    while ((await svc.relationalCopy.lag()) > 0n && Date.now() < deadline) await sleep(50);
    await sleep(200);
    await check('relational');
    expect(missing).toEqual([]);
    expect(svc.relationalCopy.copied).toBeGreaterThan(0);
    report = await svc.tools.verify({ restart: true });
    expect(report.mismatches).toBe(0);
    await svc.relationalCopy.stop();
  });
});
