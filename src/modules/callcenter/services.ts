import type { Unsubscribe } from '../../ports/hot-state/store.js';
import type { Clock } from '../../shared/clock.js';
import type { SwitchboardContext } from '../module.js';
import { AgentService } from './agents.js';
import { AnalyticsService } from './analytics.js';
import { AssignmentService } from './assignment.js';
import type { Core } from './core.js';
import { CallCenterEvents, type CallCenterEvent } from './events.js';
import { CallLifecycle } from './lifecycle.js';
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
  const events = new CallCenterEvents(context.hotState, logger);
  const core: Core = {
    store: context.relational,
    dialect: context.relational.dialect,
    clock: options.clock ?? context.clock,
    events,
    wrapUpSeconds: config.wrap_up_seconds,
  };
  const agents = new AgentService(core);
  return {
    agents,
    queue: new QueueService(core, config.default_handle_seconds),
    assignment: new AssignmentService(core),
    calls: new CallLifecycle(core),
    records: new CallRecords(context.relational),
    analytics: new AnalyticsService(core, config.service_level_seconds),
    sweeper: new Sweeper(core, agents, {
      ringTimeoutSeconds: config.ring_timeout_seconds,
      heartbeatTimeoutSeconds: config.heartbeat_timeout_seconds,
      wrapUpSeconds: config.wrap_up_seconds,
    }),
    subscribe: (handler) => events.subscribe(handler),
  };
}
