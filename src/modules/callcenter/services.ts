import type { Unsubscribe } from '../../ports/hot-state/store.js';
import type { Clock } from '../../shared/clock.js';
import type { SwitchboardContext } from '../module.js';
import { AgentService, type HybridAgents } from './agents.js';
import { AnalyticsService } from './analytics.js';
import { AssignmentService } from './assignment.js';
import type { Core } from './core.js';
import { CallCenterEvents, type CallCenterEvent } from './events.js';
import { CallLifecycle } from './lifecycle.js';
import { HotAgents } from './hybrid/agent-state.js';
import { HotMoves, type ApplyMove } from './hybrid/hot-moves.js';
import { HotPresence } from './hybrid/presence.js';
import { CallCenterSync } from './hybrid/sync-consumer.js';
import { QueueService } from './queue.js';
import { CallRecords } from './records.js';
import { Sweeper } from './sweeper.js';

export interface CallCenterServices {
  agents: AgentService;
  queue: QueueService;
  assignment: AssignmentService;
  calls: CallLifecycle;
  records: CallRecords;
  analytics: AnalyticsService;
  /** Timeouts (offers, heartbeats, wrap-up) and start-up reconciliation; run by the worker. */
  sweeper: Sweeper;
  /** Hybrid only: the consumer writing the events topic to the relational store. */
  sync: CallCenterSync | null;
  /** Hybrid only: another such consumer, in its own consumer group (a replay from the start). */
  syncInGroup(group: string): CallCenterSync;
  /** Live agent and queue changes (the SSE stream's source). */
  subscribe(handler: (event: CallCenterEvent) => void): Promise<Unsubscribe>;
}

export interface CallCenterOptions {
  clock?: Clock;
}

export function createCallCenterServices(
  context: SwitchboardContext,
  options: CallCenterOptions = {},
): CallCenterServices {
  const config = context.config.callcenter;
  const logger = context.logger.child({ module: 'callcenter' });
  const hybrid = config.mode === 'hybrid';
  const clock = options.clock ?? context.clock;
  const log = { eventLog: context.eventLog, topic: config.events_topic };
  const events = new CallCenterEvents(context.hotState, logger, hybrid ? log : undefined);
  const presence = hybrid
    ? new HotPresence({
        store: context.relational,
        hotState: context.hotState,
        ...log,
        clock,
        ttlSeconds: Math.max(60, 3 * config.heartbeat_timeout_seconds),
      })
    : undefined;
  const records = hybrid
    ? new HotAgents({ hotState: context.hotState, store: context.relational, ...log, logger })
    : undefined;
  const core: Core = {
    store: context.relational,
    dialect: context.relational.dialect,
    clock,
    events,
    wrapUpSeconds: config.wrap_up_seconds,
    ...(records ? { hot: records } : {}),
  };
  // Moves taken in hot state are written back through AgentService.move (the service is
  // created below: it needs the hot moves first).
  const apply: ApplyMove = (...move) => agents.move(...move);
  const hot: HybridAgents | undefined =
    presence && records
      ? {
          presence,
          records,
          moves: new HotMoves({
            core,
            agents: records,
            ...log,
            clock,
            events,
            apply,
            logger,
          }),
        }
      : undefined;
  const agents = new AgentService(core, hot);
  const syncInGroup = (group: string): CallCenterSync => {
    if (!hybrid) throw new Error('the callcenter events consumer runs in the hybrid shape only');
    return new CallCenterSync({
      store: context.relational,
      ...log,
      group,
      logger: logger.child({ worker: 'sync' }),
      moves: { core, apply },
    });
  };
  return {
    agents,
    queue: new QueueService(core, config.default_handle_seconds),
    assignment: new AssignmentService(core),
    calls: new CallLifecycle(core),
    records: new CallRecords(context.relational),
    analytics: new AnalyticsService(core, config.service_level_seconds),
    sweeper: new Sweeper(
      core,
      agents,
      {
        ringTimeoutSeconds: config.ring_timeout_seconds,
        heartbeatTimeoutSeconds: config.heartbeat_timeout_seconds,
        wrapUpSeconds: config.wrap_up_seconds,
      },
      presence,
    ),
    sync: hybrid ? syncInGroup(config.consumer_group) : null,
    syncInGroup,
    subscribe: (handler) => events.subscribe(handler),
  };
}
