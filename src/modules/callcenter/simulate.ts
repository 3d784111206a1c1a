import { isSwitchboardError } from '../../errors/index.js';
import type { Clock } from '../../shared/clock.js';
import type { Analytics } from './analytics.js';
import type { CallCenterServices } from './services.js';

/**
 * A simulated contact-center day driven through the real services: Poisson arrivals into
 * three queues, callers who hang up when their patience runs out, agents who ask for their
 * next call, answer after a ring, talk (sometimes with a hold), end and wrap up. Time runs
 * `timeScale` times faster than the wall clock, on a clock the services are built with, so a
 * day's durations fit in a short run while every operation is real. The simulated day lies in
 * the recent past (see ScaledClock): it ends at or before the real time, and the run's agents
 * are signed out and its queues emptied when it ends, so a service sharing the data finds
 * nothing of it live.
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
  /** Stops arrivals early (Ctrl-C in the CLI); calls in progress are then finished as usual. */
  signal?: AbortSignal;
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
  /**
   * This run's figures only (the analytics service over the run's own queues), by hour of
   * enqueue time. Other traffic in the same time range (another run, real calls) is not counted.
   */
  analytics: Analytics;
}

const SKILLS = ['billing', 'support', 'sales'] as const;
/** Means, in simulated seconds. */
const PATIENCE_S = 90;
const TALK_S = 180;

/**
 * Simulated seconds allowed, after arrivals stop, for the calls in progress to finish: the
 * callers still waiting run out of patience (exponential, mean 90 s), then each agent ends the
 * call it holds (ring, talk with mean 180 s, maybe a hold, up to 40 s of wrap-up). That usually
 * takes 5 to 15 simulated minutes; an hour is exceeded with odds of about one in a million
 * runs at the CLI's defaults, one in a thousand at its extremes (10,000 agents, 10,000 calls a
 * second). Past it, the clock's clamp holds (see ScaledClock).
 */
export const DRAIN_MARGIN_SECONDS = 60 * 60;

/** The simulated span of a run: its arrivals at `timeScale`, plus the drain margin. */
export function simulatedSpanSeconds(
  options: Pick<SimulationOptions, 'durationSeconds' | 'timeScale'>,
): number {
  return options.durationSeconds * options.timeScale + DRAIN_MARGIN_SECONDS;
}

/**
 * A simulated clock that never runs ahead of the wall clock, so a run against a service's data
 * leaves no time in the future (a record, a heartbeat, a status change) for its analytics or
 * its sweeper to trip over. It starts `spanSeconds` in the past and keeps pace with the wall
 * clock until `startScaling()`; from then on it runs `scale` times faster, and catches up with
 * the real time after `spanSeconds / (scale - 1)` wall seconds. Made with the run's span
 * (`forRun`), that is just after the simulated day ends. Should a run take longer, the clock is
 * clamped: it reads the wall clock, never later, and a duration timed after that point is
 * measured at 1× while the simulation still sleeps it at `scale`, so it comes out shorter.
 */
export class ScaledClock implements Clock {
  private readonly madeWall = Date.now();
  private readonly origin: number;
  private scalingFromWall: number | null = null;
  constructor(
    readonly scale: number,
    /** How far in the past simulated time starts, in simulated (= wall, until scaling) seconds. */
    spanSeconds = 0,
  ) {
    this.origin = this.madeWall - spanSeconds * 1000;
  }

  /** The clock for a run of these options: its simulated day ends at (or before) the real time. */
  static forRun(options: Pick<SimulationOptions, 'durationSeconds' | 'timeScale'>): ScaledClock {
    return new ScaledClock(options.timeScale, simulatedSpanSeconds(options));
  }

  /** From now on, simulated time runs `scale` times faster than the wall clock (once). */
  startScaling(): void {
    this.scalingFromWall ??= Date.now();
  }

  now(): Date {
    const wall = Date.now();
    const from = this.scalingFromWall ?? wall;
    const simulated = this.origin + (from - this.madeWall) + (wall - from) * this.scale;
    return new Date(Math.min(wall, simulated));
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
  clock: ScaledClock,
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

  /**
   * Answers the offer: true when the call is then talking with this agent. Normally the answer
   * simply succeeds, or fails because the caller hung up while it rang (counted by the caller).
   * With a service's sweeper about (see agentLoop) an offer can also be withdrawn while it
   * rings and offered to another agent, and `answer`, which names only the call, then answers
   * it for that agent: the call is that agent's to talk on, and the agent whose own answer
   * then fails finds it talking with it.
   */
  const answer = async (agentId: string, callId: string): Promise<boolean> => {
    try {
      const answered = await services.calls.answer(callId);
      return answered.agentId === agentId;
    } catch {
      const held = await services.calls.ofAgent(agentId);
      return held.some((c) => c.callId === callId && c.state === 'talking');
    }
  };

  const agentLoop = async (agentId: string) => {
    // Until arrivals stop and every caller has been taken or hung up.
    while (arriving || pending.size > 0) {
      let call;
      try {
        call = await services.assignment.next(agentId, { queues });
      } catch (error) {
        if (!isSwitchboardError(error, 'AGENT_NOT_AVAILABLE')) throw error;
        // The sweeper of a service sharing the data judges this agent's heartbeat, which is
        // simulated time and so in the past, by the real clock, and sets it away: it comes back.
        try {
          await services.agents.setStatus(agentId, 'available');
        } catch (again) {
          // Available again meanwhile (the sweeper ended a wrap-up).
          if (!isSwitchboardError(again, 'ILLEGAL_STATUS_CHANGE')) throw again;
        }
        continue;
      }
      if (!call) {
        await sleepSim(2);
        continue;
      }
      await sleepSim(1 + rand() * 4); // ringing
      if (!(await answer(agentId, call.callId))) continue;
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
      if (agent.status === 'after_call_work') {
        try {
          await services.agents.finishWrapUp(agentId);
        } catch (error) {
          // A sweeper ended the wrap-up first.
          if (!isSwitchboardError(error, 'ILLEGAL_STATUS_CHANGE')) throw error;
        }
      }
    }
  };

  let arrivalsStartedWall = Date.now();
  const loops: Promise<void>[] = [];
  let failure: { error: unknown } | null = null;
  try {
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
      agentIds.push(agentId);
      await services.agents.setStatus(agentId, 'available');
    }

    // Simulated time has kept pace with the wall clock while the agents signed in: the
    // simulated day (arrivals, then the drain) starts now, the clock's span before the real time.
    clock.startScaling();
    arrivalsStartedWall = Date.now();
    // An agent that fails stops the arrivals; the others finish their calls.
    for (const id of agentIds) {
      loops.push(
        agentLoop(id).catch((error: unknown) => {
          failure ??= { error };
        }),
      );
    }
    const tickMs = 50;
    let seq = 0;
    while (
      Date.now() - arrivalsStartedWall < options.durationSeconds * 1000 &&
      !options.signal?.aborted &&
      failure === null
    ) {
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
      progress.elapsedSeconds = (Date.now() - arrivalsStartedWall) / 1000;
      options.onProgress?.({ ...progress });
      await new Promise((resolve) => setTimeout(resolve, tickMs));
    }
  } catch (error) {
    failure = { error };
  }
  arriving = false;
  // Callers still waiting hang up in their own time; agents finish the calls they hold.
  await Promise.all([...pending, ...loops]);
  // Nothing of the run stays live for a service sharing the data: its agents sign out (after
  // a failure, with any call they still hold put back in its queue) and what is left in its
  // queues is hung up. Normally both find nothing: every call has ended by now.
  for (const agentId of agentIds) {
    try {
      await services.agents.setStatus(agentId, 'offline', { force: true });
    } catch (error) {
      failure ??= { error };
    }
  }
  for (const queue of queues) {
    for (;;) {
      const left = await services.queue.list(queue, { limit: 100 });
      let gone = 0;
      for (const call of left) {
        try {
          await services.queue.abandon(call.callId);
          progress.abandoned += 1;
          gone += 1;
        } catch {
          // Taken meanwhile by an agent of the service: its call now.
        }
      }
      if (left.length < 100 || gone === 0) break;
    }
  }
  // Hybrid: the status moves taken in hot state are on their rows.
  await services.agents.settled();
  if (failure) throw failure.error;
  progress.elapsedSeconds = (Date.now() - arrivalsStartedWall) / 1000;
  options.onProgress?.({ ...progress });
  const to = new Date(clock.now().getTime() + 1);
  return {
    runId,
    queues,
    agentIds,
    // This run's queues only: other traffic of the same period (another run, real calls) is not its own.
    analytics: await services.analytics.history({ from, to, queues, groupBy: 'hour' }),
    ...progress,
  };
}
