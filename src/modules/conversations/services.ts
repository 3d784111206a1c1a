import type { SwitchboardContext } from '../module.js';
import { CircuitBreaker } from '../../shared/breaker.js';
import type { ConversationMode } from './config.js';
import { MigrationMetrics } from './migration-metrics.js';
import { RelationalCopy } from './relational-copy.js';
import { RelationalConversationStore } from './relational-store.js';
import { RepairLog } from './repair-log.js';
import { MigrationRouter } from './router.js';
import { ConversationService } from './service.js';
import { MigrationTools } from './tools.js';
import { WideColumnConversationStore } from './wide-store.js';

export interface ConversationServices {
  conversations: ConversationService;
  /** The migration phase and its switch (`router.setMode`). */
  router: MigrationRouter;
  relational: RelationalConversationStore;
  wide: WideColumnConversationStore;
  repairs: RepairLog;
  tools: MigrationTools;
  /** wide_column mode's asynchronous copy to the relational store. */
  relationalCopy: RelationalCopy;
  metrics: MigrationMetrics;
}

export interface ConversationOptions {
  mode?: ConversationMode;
  /** Random source for shadow-read sampling (tests make it deterministic). */
  random?: () => number;
}

export function createConversationServices(
  context: SwitchboardContext,
  options: ConversationOptions = {},
): ConversationServices {
  const c = context.config.conversations;
  const logger = context.logger.child({ module: 'conversations' });
  const relational = new RelationalConversationStore(context.relational);
  const wide = new WideColumnConversationStore(context.wideColumn, c.load_concurrency);
  const repairs = new RepairLog(context.relational);
  const metrics = new MigrationMetrics(context.metrics, () => repairs.backlog());
  const relationalCopy = new RelationalCopy({ log: context.eventLog, wide, relational, repairs, logger });
  const breaker = new CircuitBreaker({
    name: 'conversations wide-column reads',
    port: 'wide_column',
    failureThreshold: c.breaker_failure_threshold,
    resetMs: c.breaker_reset_ms,
    // "Not found" is an answer (the session is not copied yet), not a failing store.
    isFailure: (error) => !(error instanceof Error && 'status' in error && Number(error.status) < 500),
    onStateChange: (state) =>
      logger.warn({ breaker: state }, 'conversations wide-column breaker changed state'),
  });
  const router = new MigrationRouter({
    relational,
    wide,
    mode: options.mode ?? c.mode,
    shadowSample: c.shadow_read_sample,
    wideReadPercent: c.wide_column_read_percent,
    latencyBudgetMs: c.read_latency_budget_ms,
    breaker,
    repairs,
    metrics,
    logger,
    publishChange: (sessionUid) => relationalCopy.publish(sessionUid),
    ...(options.random ? { random: options.random } : {}),
  });
  const conversations = new ConversationService(router, context.clock, {
    maxTurnsPerSession: c.max_turns_per_session,
    maxDepth: c.max_depth,
    maxStepsPerTurn: c.max_steps_per_turn,
    maxContentLength: c.max_content_length,
    loadMaxTurns: c.load_max_turns,
    loadMaxSteps: c.load_max_steps,
    loadConcurrency: c.load_concurrency,
    deletedGraceSeconds: c.deleted_grace_seconds,
  });
  router.setExclusive((key, fn) => conversations.exclusive(key, fn));
  const tools = new MigrationTools({
    relational,
    wide,
    repairs,
    router,
    db: context.relational,
    exclusive: (sessionUid, fn) => conversations.exclusive(sessionUid, fn),
  });
  return { conversations, router, relational, wide, repairs, tools, relationalCopy, metrics };
}
