import type { ArrayOrObject, Client, QueryOptions, types as driverTypes } from 'cassandra-driver';
import type { Logger } from 'pino';
import type { ScyllaConfig } from '../../../config/schema.js';
import { SwitchboardError } from '../../../errors/index.js';
import { CircuitBreaker } from '../../../shared/breaker.js';
import { consistencyOf } from './client-options.js';
import { isStoreFailure, toSwitchboardError } from './errors.js';
import type { ScyllaMetrics } from './metrics.js';

/**
 * Runs CQL for the ScyllaDB engine: every call goes through the circuit breaker, gets the
 * consistency, idempotence and timeout of its operation class, is prepared (and the
 * statement text remembered, so the driver's prepared-statement cache is reused, never
 * re-prepared), and fails with a catalogue error.
 */

export type ResultSet = driverTypes.ResultSet;

/**
 * - read: consistency_read, idempotent;
 * - write: plain INSERT/UPDATE/DELETE, consistency_write, idempotent (same values, same result);
 * - lwt: conditional writes, consistency_write + consistency_serial, not idempotent
 *   (a retried Paxos round can report "not applied" for its own first attempt);
 * - counter: increments, consistency_write, not idempotent (a retry would count twice);
 * - serial: a linearizable read at consistency_serial (sees every committed or in-progress
 *   Paxos round), to learn what a conditional write saw; idempotent;
 * - server-time-write: a plain write to a table that also takes conditional writes (or is
 *   declared `serverTimestamps`), timestamped by the coordinator instead of the driver. A Paxos
 *   round's cells carry its ballot, taken from the coordinator's clock at millisecond
 *   precision, while the driver's timestamps add a counter of the microseconds it handed out
 *   within the millisecond: a conditional update just after a plain write of the same cell
 *   could carry the smaller timestamp, report "applied", and be shadowed by the older value
 *   (Cassandra 5: 312 of 1,500 such updates lost under load, scratch measurement; 0 with
 *   coordinator timestamps). A coordinator orders its own plain timestamps and ballots; across
 *   replicas the order rests on the nodes' clocks, as Paxos ballots already do. Not
 *   idempotent: without a client timestamp, a copy retried or speculated on another node and
 *   applied late would take a later timestamp and could undo the write that followed.
 */
export type OperationClass = 'read' | 'write' | 'lwt' | 'counter' | 'serial' | 'server-time-write';

export interface CallContext {
  table: string;
  operation: string;
}

export interface Query {
  query: string;
  params: unknown[];
}

/** DDL may take much longer than a request on a busy cluster: at least a minute. */
const MIN_DDL_TIMEOUT_MS = 60_000;
const AGREEMENT_WAIT_MS = 30_000;

export class CqlExecutor {
  readonly breaker: CircuitBreaker;
  private readonly statements = new Map<string, { uses: number }>();
  private readonly options: Record<OperationClass, QueryOptions>;
  private closed = false;

  constructor(
    readonly client: Client,
    private readonly config: ScyllaConfig,
    private readonly metrics: ScyllaMetrics,
    private readonly logger: Logger | undefined,
  ) {
    this.breaker = new CircuitBreaker({
      name: 'scylladb',
      port: 'wide_column',
      failureThreshold: config.breaker_failure_threshold,
      resetMs: config.breaker_reset_ms,
      isFailure: isStoreFailure,
      onStateChange: (state) => {
        metrics.setBreakerState(state);
        logger?.warn({ engine: 'scylladb', breaker: state }, `ScyllaDB circuit breaker ${state}`);
      },
    });
    const base = { prepare: true, readTimeout: config.request_timeout_ms } satisfies QueryOptions;
    const write = consistencyOf(config.consistency_write);
    this.options = {
      read: { ...base, consistency: consistencyOf(config.consistency_read), isIdempotent: true },
      write: { ...base, consistency: write, isIdempotent: true },
      lwt: {
        ...base,
        consistency: write,
        serialConsistency: consistencyOf(config.consistency_serial),
        isIdempotent: false,
      },
      counter: { ...base, consistency: write, isIdempotent: false },
      serial: { ...base, consistency: consistencyOf(config.consistency_serial), isIdempotent: true },
      // `timestamp: null` makes the driver send none (its type definitions only allow numbers).
      'server-time-write': {
        ...base,
        consistency: write,
        isIdempotent: false,
        timestamp: null as unknown as number,
      },
    };
  }

  /** Distinct statement texts prepared so far. */
  preparedStatements(): number {
    return this.statements.size;
  }

  private remember(cql: string): void {
    const known = this.statements.get(cql);
    if (known) {
      known.uses += 1;
      return;
    }
    this.statements.set(cql, { uses: 1 });
    this.metrics.setPreparedStatements(this.statements.size);
  }

  private ensureOpen(context: CallContext): void {
    if (this.closed) {
      throw new SwitchboardError(
        'STORE_UNAVAILABLE',
        `The ScyllaDB engine is closed (${context.operation})`,
        {
          details: { engine: 'scylladb', transient: false },
        },
      );
    }
  }

  private async guarded<T>(context: CallContext, call: () => Promise<T>): Promise<T> {
    this.ensureOpen(context);
    return this.breaker.run(async () => {
      try {
        return await call();
      } catch (error) {
        throw toSwitchboardError(error, context);
      }
    });
  }

  async connect(): Promise<void> {
    await this.guarded({ table: '-', operation: 'connect' }, () => this.client.connect());
  }

  /** A prepared statement of one operation class; `paging` adds fetch size and paging state. */
  execute(
    cql: string,
    params: unknown[],
    kind: OperationClass,
    context: CallContext,
    paging?: { fetchSize: number; pageState?: string | undefined },
  ): Promise<ResultSet> {
    this.remember(cql);
    const options = paging
      ? {
          ...this.options[kind],
          fetchSize: paging.fetchSize,
          ...(paging.pageState ? { pageState: paging.pageState } : {}),
        }
      : this.options[kind];
    return this.guarded(context, () => this.client.execute(cql, params as ArrayOrObject, options));
  }

  /**
   * A logged batch (or a counter batch), prepared; `serverTime`: its tables take coordinator
   * timestamps (as `server-time-write`, and so it is not idempotent either).
   */
  async batch(
    queries: readonly Query[],
    counter: boolean,
    context: CallContext,
    serverTime = false,
  ): Promise<void> {
    for (const q of queries) this.remember(q.query);
    const options: QueryOptions = counter
      ? { ...this.options.counter, counter: true }
      : // A logged batch of idempotent writes is idempotent: replaying it writes the same cells.
        { ...this.options[serverTime ? 'server-time-write' : 'write'], logged: true };
    await this.guarded(context, () =>
      this.client.batch(
        queries.map((q) => ({ query: q.query, params: q.params })),
        options,
      ),
    );
  }

  /**
   * A schema statement: unprepared, with a long timeout, and only done once every node has
   * the new schema (the driver waits up to its limit; then we poll a while longer), so the
   * statements that follow never meet a node that does not know the table.
   */
  async ddl(cql: string, context: CallContext): Promise<void> {
    const timeout = Math.max(this.config.request_timeout_ms, MIN_DDL_TIMEOUT_MS);
    const result = await this.guarded(context, () =>
      this.client.execute(cql, [], { prepare: false, readTimeout: timeout, isIdempotent: true }),
    );
    // Both exist at run time (cassandra-driver 4.x) but are missing from its type definitions.
    if ((result.info as { isSchemaInAgreement?: boolean }).isSchemaInAgreement !== false) return;
    const metadata = this.client.metadata as unknown as { checkSchemaAgreement(): Promise<boolean> };
    const deadline = Date.now() + AGREEMENT_WAIT_MS;
    while (Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      const agreed = await this.guarded(context, () => metadata.checkSchemaAgreement());
      if (agreed) return;
    }
    throw new SwitchboardError(
      'STORE_TIMEOUT',
      `ScyllaDB nodes did not agree on the schema after ${context.operation} on ${context.table}; check that every node is up`,
      { details: { engine: 'scylladb' } },
    );
  }

  async shutdown(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.client.shutdown();
  }
}
