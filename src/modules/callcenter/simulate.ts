import type { Clock } from '../../shared/clock.js';
import type { Analytics } from './analytics.js';
import type { CallCenterServices } from './services.js';

/**
 * A simulated contact-center day driven through the real services: Poisson arrivals into
 * three queues, callers who hang up when their patience runs out, agents who ask for their
 * next call, answer after a ring, talk (sometimes with a hold), end and wrap up. Time runs
 * `timeScale` times faster than the wall clock, on a clock the services are built with, so a
 * day's durations fit in a short run while every operation is real.
 */
export interface SimulationOptions {
  agents: number;
  /** Mean arrivals per wall-clock second. */
  callsPerSecond: number;
  /** Wall-clock seconds of arrivals; calls in progress are then finished. */
  durationSeconds: number;
  /** Simulated seconds per wall-clock second. */
  timeScale: number;
  seed?: number;
  onProgress?: (progress: SimulationProgress) => void;
}

export interface SimulationProgress {
  elapsedSeconds: number;
  enqueued: number;
  answered: number;
  abandoned: number;
}

export interface SimulationResult extends SimulationProgress {
  runId: string;
  queues: string[];
  agentIds: string[];
  analytics: Analytics;
}

const SKILLS = ['billing', 'support', 'sales'] as const;
/** Means, in simulated seconds. */
const PATIENCE_S = 90;
const TALK_S = 180;

/** A simulated clock: `timeScale` times faster than the wall clock from the moment it is made. */
export class ScaledClock implements Clock {
  private readonly startedWall = Date.now();
  constructor(
    private readonly scale: number,
    private readonly origin = new Date(),
  ) {}
  now(): Date {
    return new Date(this.origin.getTime() + (Date.now() - this.startedWall) * this.scale);
  }
}

function random(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

export async function simulateCallCenter(
  services: CallCenterServices,
  clock: Clock,
  options: SimulationOptions,
): Promise<SimulationResult> {
  const rand = random(options.seed ?? Date.now());
  const exp = (mean: number) => -Math.log(1 - rand()) * mean;
  const sleepSim = (simSeconds: number) =>
    new Promise<void>((resolve) => setTimeout(resolve, (simSeconds / options.timeScale) * 1000));
  const runId = `sim${Date.now().toString(36)}`;
  const queues = SKILLS.map((s) => `${runId}-${s}`);
  const agentIds: string[] = [];
  const progress: SimulationProgress = { elapsedSeconds: 0, enqueued: 0, answered: 0, abandoned: 0 };
  const from = clock.now();

  for (let i = 0; i < options.agents; i += 1) {
    const agentId = `${runId}-agent-${i}`;
    // Each agent holds one to three of the skills (the first always, so every queue is staffed).
    const skills = Object.fromEntries(
      SKILLS.filter((_, k) => k === i % SKILLS.length || rand() < 0.4).map((s) => [
        s,
        1 + Math.floor(rand() * 5),
      ]),
    );
    await services.agents.create({ agentId, username: agentId, skills });
    await services.agents.setStatus(agentId, 'available');
    agentIds.push(agentId);
  }

  let arriving = true;
  const pending = new Set<Promise<void>>();
  const track = (p: Promise<void>) => {
    pending.add(p);
    void p.finally(() => pending.delete(p));
  };

  // A caller waits up to its patience, then hangs up if nobody has taken the call.
  const caller = async (callId: string) => {
    await sleepSim(exp(PATIENCE_S));
    try {
      await services.queue.abandon(callId);
      progress.abandoned += 1;
    } catch {
      // Taken by an agent (or ringing and answered): not abandoned.
    }
  };

  const agentLoop = async (agentId: string) => {
    // Until arrivals stop and every caller has been taken or hung up.
    while (arriving || pending.size > 0) {
      const call = await services.assignment.next(agentId, { queues });
      if (!call) {
        await sleepSim(2);
        continue;
      }
      await sleepSim(1 + rand() * 4); // ringing
      try {
        await services.calls.answer(call.callId);
      } catch {
        // The caller hung up while it rang (counted by the caller).
        continue;
      }
      progress.answered += 1;
      await sleepSim(exp(TALK_S) / 2);
      if (rand() < 0.2) {
        await services.calls.hold(call.callId);
        await sleepSim(exp(40));
        await services.calls.resume(call.callId);
      }
      await sleepSim(exp(TALK_S) / 2);
      await services.calls.end(call.callId, rand() < 0.85 ? 'resolved' : 'callback');
      await sleepSim(10 + rand() * 30); // wrap-up
      const agent = await services.agents.get(agentId);
      if (agent.status === 'after_call_work') await services.agents.finishWrapUp(agentId);
    }
  };
  const loops = agentIds.map((id) => agentLoop(id));

  const startedWall = Date.now();
  const tickMs = 50;
  let seq = 0;
  while (Date.now() - startedWall < options.durationSeconds * 1000) {
    // Poisson arrivals for one tick: exponential gaps summed until the tick is used up.
    let t = exp(1 / options.callsPerSecond);
    while (t < tickMs / 1000) {
      const callId = `${runId}-call-${seq}`;
      seq += 1;
      const queue = queues[Math.floor(rand() * queues.length)]!;
      const skill = queue.slice(runId.length + 1);
      await services.queue.enqueue({
        callId,
        queue,
        caller: `+1415${String(5550000 + (seq % 10_000)).padStart(7, '0')}`,
        priority: rand() < 0.1 ? 10 : 0,
        requiredSkills: { [skill]: 1 },
      });
      progress.enqueued += 1;
      track(caller(callId));
      t += exp(1 / options.callsPerSecond);
    }
    progress.elapsedSeconds = (Date.now() - startedWall) / 1000;
    options.onProgress?.({ ...progress });
    await new Promise((resolve) => setTimeout(resolve, tickMs));
  }
  arriving = false;
  // Callers still waiting hang up in their own time; agents finish the calls they hold.
  await Promise.all([...pending]);
  await Promise.all(loops);
  for (const agentId of agentIds) await services.agents.setStatus(agentId, 'offline', { force: true });
  progress.elapsedSeconds = (Date.now() - startedWall) / 1000;
  options.onProgress?.({ ...progress });
  const analytics = await services.analytics.history({
    from,
    to: new Date(clock.now().getTime() + 1000),
    groupBy: 'hour',
  });
  return { runId, queues, agentIds, analytics, ...progress };
}
