import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { MetricObjectWithValues, MetricValue, Registry } from 'prom-client';
import type { SwitchboardConfig } from '../config/index.js';
import type { EventLog, TopicSpec } from '../ports/event-log/log.js';
import type { HotState } from '../ports/hot-state/store.js';
import type { Migration, RelationalStore } from '../ports/relational/store.js';
import type { TableDef } from '../ports/wide-column/declare.js';
import type { WideColumnEngine } from '../ports/wide-column/engine.js';
import type { Clock } from '../shared/clock.js';

/** What every module receives: the opened ports and the shared instruments. */
export interface SwitchboardContext {
  config: SwitchboardConfig;
  wideColumn: WideColumnEngine;
  relational: RelationalStore;
  hotState: HotState;
  eventLog: EventLog;
  metrics: Registry;
  /** Never log phone numbers, message text, session memory or keys. */
  logger: Logger;
  clock: Clock;
}

/** A long-running job (SMS delivery, the interactions consumer). `stop` drains and flushes. */
export interface Worker {
  name: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Reported by /ready when present. */
  health?(): Promise<{ ok: boolean; detail: string }>;
  /**
   * Metrics the worker keeps outside the process registry (a worker on its own thread has
   * its own), as prom-client JSON; /metrics merges them in, summing series both report.
   */
  metrics?(): Promise<MetricObjectWithValues<MetricValue<string>>[]>;
}

/**
 * A domain module: its wide-column tables, relational migrations, topics, services, HTTP
 * routes and workers. `createSwitchboard` wires every module; the server mounts `routes`
 * under `/v1`. A route declares the scope it needs with `config: { scope: 'read' | 'write' | 'admin' }`.
 */
export interface ModuleDefinition<S> {
  name: string;
  tables: readonly TableDef[];
  migrations?: readonly Migration[];
  topics?(config: SwitchboardConfig): readonly TopicSpec[];
  createServices(context: SwitchboardContext): S;
  routes?(app: FastifyInstance, services: S, context: SwitchboardContext): void | Promise<void>;
  workers?(services: S, context: SwitchboardContext): Worker[];
}

export type Scope = 'read' | 'write' | 'admin';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The API key scope a /v1 route requires (default: read for GET, write otherwise). */
    scope?: Scope;
    /** Routes that authenticate themselves (e.g. the Telegram webhook secret) set this. */
    public?: boolean;
  }
}
