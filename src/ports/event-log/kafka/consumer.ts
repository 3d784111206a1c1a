import { Consumer as KafkaClient, ListOffsetTimestamps, type Admin } from '@platformatic/kafka';
import type { Logger } from 'pino';
import type { SwitchboardConfig } from '../../../config/index.js';
import { SwitchboardError } from '../../../errors/index.js';
import type { Batch, Consumer, ConsumerHealth, LogMessage, PartitionLag } from '../log.js';
import type { EventLogMetrics } from '../metrics.js';
import { deliverBatch, LoopHealth, retryBackoffMs, type ResolvedConsumerOptions } from '../shared.js';
import { baseClientOptions } from './client-options.js';
import { hasProtocolError, toSwitchboardError, withTimeout } from './errors.js';
import { decodePartitionRecords } from './records.js';
import { ensureKafkaTopics } from './topics.js';

type FetchResponse = Awaited<ReturnType<KafkaClient['fetch']>>;

interface PartitionState {
  topic: string;
  partition: number;
  /** Next offset to fetch. */
  position: bigint;
  committed: bigint;
  /** Offsets below this may have reached a handler before. */
  redeliverBelow: bigint;
  /** Fetched, not yet handed over. */
  buffer: LogMessage[];
  seekGeneration: number;
}

interface PendingBatch {
  messages: LogMessage[];
  ends: Map<PartitionState, bigint>;
  seekGenerations: Map<PartitionState, number>;
  /** The join whose assignment the partition states were loaded from. */
  joinGeneration: number;
  /** The group generation at that join: a commit in the same generation is ours to make. */
  groupGeneration: number;
}

export interface KafkaConsumerDeps {
  config: SwitchboardConfig;
  admin: Admin;
  metrics: EventLogMetrics;
  logger: Logger | undefined;
  onStopped(consumer: KafkaGroupConsumer): void;
}

const key = (topic: string, partition: number) => `${topic}\u0000${partition}`;
const IDLE_FETCH_WAIT_MS = 250;
/** Above Kafka's default max.message.bytes (1 MiB + 12), so one whole batch always fits. */
const PARTITION_MAX_BYTES = 4 * 1_048_576;
/** Pause when no partition can be fetched (no leader yet), so the loop never spins without yielding. */
const NO_LEADER_PAUSE_MS = 100;

/**
 * One member of a Kafka consumer group. @platformatic/kafka runs the group protocol (join,
 * sync, heartbeats, rejoin on rebalance); this class fetches with `Consumer.fetch`, batches,
 * and commits itself, so offsets follow Kafka's convention exactly (the committed offset is
 * the next offset to read) whatever the library's MessagesStream does, and a rebalance is
 * handled between batches: after each (re)join, positions reload from the committed offsets of
 * the partitions now assigned, and a batch commits only partitions still assigned.
 *
 * mayContainRedeliveries is conservative here: Kafka does not record how far an earlier member
 * got, so the first batch of a partition that already had a committed offset when it was
 * assigned is flagged, as is every batch after a handler failure.
 */
export class KafkaGroupConsumer implements Consumer {
  private client: KafkaClient | undefined;
  /** A client outside the group for lag and for seeks while not running (standalone offset commits). */
  private offsetsClient: KafkaClient | undefined;
  private readonly states = new Map<string, PartitionState>();
  private handler: ((batch: Batch) => Promise<void>) | undefined;
  private loopDone: Promise<void> | undefined;
  private starting: Promise<void> | undefined;
  private stopping = false;
  private stopped: Promise<void> | undefined;
  /** Resolves when stop() is called, to cut short backoffs and idle pauses. */
  private readonly stopSignal = deferred();
  private joins = 0;
  private loadedJoin = -1;
  private loadedGeneration = -1;
  /** Per assigned partition: the join since which this member has owned it without interruption. */
  private ownedSince = new Map<string, number>();
  /** Between a REBALANCE_IN_PROGRESS and the next completed join: hand over no new batch. */
  private rebalancing = false;
  /** The library gave up rejoining (it emitted 'error'): the loop must join again itself. */
  private needsJoin = false;
  /** Set after a fetch error that means stale metadata (leader moved): refresh before the next fetch. */
  private staleMetadata = false;
  private readonly seekGenerations = new Map<string, number>();
  private readonly reads: LoopHealth;

  constructor(
    private readonly options: ResolvedConsumerOptions,
    private readonly deps: KafkaConsumerDeps,
  ) {
    this.reads = new LoopHealth(options.group);
  }

  health(): ConsumerHealth {
    return this.reads.report();
  }

  async run(handler: (batch: Batch) => Promise<void>): Promise<void> {
    if (this.handler) throw new SwitchboardError('CONFLICT', 'This consumer is already running');
    if (this.stopping) throw new SwitchboardError('SHUTTING_DOWN', 'This consumer has been stopped');
    this.handler = handler;
    this.starting = this.start();
    await this.starting;
  }

  private async start(): Promise<void> {
    const { config } = this.deps;
    try {
      await ensureKafkaTopics(
        this.deps.admin,
        config,
        this.options.topics.map((name) => ({ name })),
      );
      const session = config.kafka.session_timeout_ms;
      const client = new KafkaClient({
        ...baseClientOptions(config, 'consumer'),
        groupId: this.options.group,
        autocommit: false,
        sessionTimeout: session,
        rebalanceTimeout: session * 2,
        heartbeatInterval: Math.min(3000, Math.floor(session / 3)),
        maxWaitTime: IDLE_FETCH_WAIT_MS,
      });
      this.client = client;
      client.on('consumer:group:join', () => this.onJoin(client));
      client.on('consumer:group:rebalance', () => {
        this.rebalancing = true;
      });
      // The library reports here every heartbeat error it does not rejoin for itself (an
      // ILLEGAL_GENERATION answer; a broker that cannot be reached), and in @platformatic/kafka
      // 1.35 it has cancelled its heartbeat timer by then and never schedules another: the
      // member would stay silent until the broker expires it, fetching with partitions it no
      // longer owns (found by test/faults/event-log-faults.test.ts: a broker killed and
      // restarted left a consumer idle for good). Rejoining restarts the heartbeats.
      client.on('consumer:heartbeat:error', (event: { error?: unknown }) => {
        this.needsJoin = true;
        this.deps.logger?.warn(
          { err: event?.error, group: this.options.group },
          'kafka heartbeat failed; the consumer will rejoin its group',
        );
      });
      // The library emits 'error' when its automatic rejoin failed for good; without a listener
      // Node would throw it as an uncaught exception and end the process.
      client.on('error', (error: unknown) => {
        this.needsJoin = true;
        this.deps.logger?.error(
          { err: error, group: this.options.group },
          'kafka consumer lost its group; rejoining',
        );
      });
      for (const topic of this.options.topics) client.topics.track(topic);
      await client.joinGroup({});
    } catch (error) {
      this.handler = undefined;
      if (this.client) await closeClient(this.client, true).catch(() => undefined);
      this.client = undefined;
      throw toSwitchboardError(error, 'consumer start');
    }
    this.loopDone = this.loop();
  }

  stop(): Promise<void> {
    // Every caller (the owner, EventLog.close) waits for the same drain.
    this.stopped ??= this.doStop();
    return this.stopped;
  }

  private async doStop(): Promise<void> {
    this.stopping = true;
    this.stopSignal.resolve();
    if (this.handler) {
      // A stop during run() waits for the join to finish (or fail) before leaving the group.
      await this.starting?.catch(() => undefined);
      await this.loopDone;
      // Leaving the group (instead of timing out) hands our partitions over at once.
      if (this.client) {
        await closeClient(this.client, false).catch((error: unknown) => {
          this.deps.logger?.warn({ err: error }, 'kafka consumer did not leave its group cleanly');
        });
      }
    }
    if (this.offsetsClient) await closeClient(this.offsetsClient, false).catch(() => undefined);
    this.offsetsClient = undefined;
    this.deps.onStopped(this);
  }

  async seek(topic: string, partition: number, offset: bigint): Promise<void> {
    if (!this.options.topics.includes(topic)) {
      throw new SwitchboardError(
        'VALIDATION_FAILED',
        `Cannot seek: this consumer does not read topic ${topic}`,
        {
          field: 'topic',
        },
      );
    }
    if (offset < 0n) throw new SwitchboardError('VALIDATION_FAILED', 'Offsets are >= 0', { field: 'offset' });
    const k = key(topic, partition);
    this.seekGenerations.set(k, (this.seekGenerations.get(k) ?? 0) + 1);
    const state = this.states.get(k);
    try {
      if (this.client && !this.stopping && state) {
        // We own the partition: move our position and make it durable for whoever comes next.
        await this.client.commit({ offsets: [{ topic, partition, offset, leaderEpoch: -1 }] });
        // What was fetched beyond the new position has been handed over (or may have been).
        if (state.position > state.redeliverBelow) state.redeliverBelow = state.position;
        state.position = offset;
        state.committed = offset;
        state.buffer = [];
        state.seekGeneration = this.seekGenerations.get(k)!;
        return;
      }
      // Not running: a standalone commit (generation -1, no member), what Kafka's admin tools
      // use to reset offsets. Kafka accepts it only while the group has no active members.
      const client = this.helper();
      client.generationId = -1;
      client.memberId = '';
      await client.commit({ offsets: [{ topic, partition, offset, leaderEpoch: -1 }] });
    } catch (error) {
      if (hasProtocolError(error, 'UNKNOWN_MEMBER_ID') || hasProtocolError(error, 'ILLEGAL_GENERATION')) {
        throw new SwitchboardError(
          'CONFLICT',
          `Cannot seek ${topic}/${partition}: group ${this.options.group} has active members; seek from the member that owns the partition`,
          { cause: error },
        );
      }
      throw toSwitchboardError(error, 'seek');
    }
  }

  async lag(): Promise<PartitionLag[]> {
    try {
      const client = this.helper();
      // A topic nobody has published to yet has nothing to consume: no lag, not an error.
      const topics = await existingTopics(this.deps.admin, this.options.topics);
      if (topics.length === 0) return [];
      const metadata = await client.metadata({ topics });
      const assignments = topics.map((topic) => ({
        topic,
        partitions: Array.from({ length: metadata.topics.get(topic)?.partitionsCount ?? 0 }, (_, i) => i),
      }));
      const [ends, starts, committed] = await Promise.all([
        client.listOffsets({ topics, timestamp: ListOffsetTimestamps.LATEST }),
        client.listOffsets({ topics, timestamp: ListOffsetTimestamps.EARLIEST }),
        committedOffsets(client, assignments),
      ]);
      const out: PartitionLag[] = [];
      for (const { topic, partitions } of assignments) {
        for (const partition of partitions) {
          const end = ends.get(topic)?.[partition] ?? 0n;
          const c = committed.get(topic)?.[partition] ?? -1n;
          const position =
            c >= 0n ? c : this.options.startFrom === 'latest' ? end : (starts.get(topic)?.[partition] ?? 0n);
          const lag = end > position ? end - position : 0n;
          this.deps.metrics.lag.set(
            { adapter: 'kafka', group: this.options.group, topic, partition: String(partition) },
            Number(lag),
          );
          out.push({ topic, partition, committed: position, end, lag });
        }
      }
      return out;
    } catch (error) {
      throw toSwitchboardError(error, 'lag');
    }
  }

  /** After a completed (re)join: which partitions stayed ours, which are new. */
  private onJoin(client: KafkaClient): void {
    this.joins += 1;
    this.rebalancing = false;
    this.needsJoin = false;
    const owned = new Map<string, number>();
    for (const a of client.assignments ?? []) {
      for (const p of a.partitions) {
        const k = key(a.topic, p);
        owned.set(k, this.ownedSince.get(k) ?? this.joins);
      }
    }
    this.ownedSince = owned;
  }

  /** Sleeps `ms`, or less if stop() is called meanwhile. */
  private pause(ms: number): Promise<void> {
    if (this.stopping) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      void this.stopSignal.promise.then(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  private helper(): KafkaClient {
    this.offsetsClient ??= new KafkaClient({
      ...baseClientOptions(this.deps.config, 'offsets'),
      groupId: this.options.group,
      autocommit: false,
    });
    return this.offsetsClient;
  }

  private async loop(): Promise<void> {
    let failures = 0;
    const labels = { adapter: 'kafka', group: this.options.group };
    while (!this.stopping) {
      let batch: PendingBatch | null;
      try {
        if (this.needsJoin) await this.rejoin();
        if (this.rebalancing) {
          // The group is rebalancing: our partitions may move, so start no new batch until the
          // library's rejoin completes (the join event), or give up waiting and rejoin ourselves.
          await this.waitForJoin();
          continue;
        }
        if (this.loadedJoin !== this.joins) {
          await this.loadPositions();
          this.reads.succeeded();
        }
        batch = await this.fill();
        this.reads.succeeded();
      } catch (error) {
        failures += 1;
        this.reads.failed(error);
        this.deps.logger?.error({ err: error, group: this.options.group }, 'kafka fetch failed; retrying');
        if (isStaleMetadata(error)) this.staleMetadata = true;
        this.loadedJoin = -1;
        await this.pause(retryBackoffMs(failures));
        continue;
      }
      if (!batch) continue;
      let flagged = false;
      for (const [state] of batch.ends) {
        const first = batch.messages.find((m) => m.topic === state.topic && m.partition === state.partition);
        if (first && first.offset < state.redeliverBelow) flagged = true;
      }
      const delivered = await deliverBatch(this.deps, labels, this.handler!, {
        messages: batch.messages,
        mayContainRedeliveries: flagged,
      });
      if (!delivered) {
        failures += 1;
        this.rewind();
        if (!this.stopping) await this.pause(retryBackoffMs(failures - 1));
        continue;
      }
      try {
        await this.commitThroughRebalance(batch);
        failures = 0;
      } catch (error) {
        failures += 1;
        this.reads.failed(error);
        this.deps.logger?.error(
          { err: error, group: this.options.group },
          'kafka commit failed; batch will be redelivered',
        );
        this.rewind();
        this.loadedJoin = -1;
        if (!this.stopping) await this.pause(retryBackoffMs(failures - 1));
      }
    }
  }

  /**
   * Commits a handled batch. A commit sent while our own rejoin is pending reaches the
   * coordinator after it (one connection, requests in order) with the old generation and is
   * refused (ILLEGAL_GENERATION, or REBALANCE_IN_PROGRESS while assignments are handed out).
   * Then wait for the join and commit again what stayed ours, rather than redeliver it.
   */
  private async commitThroughRebalance(batch: PendingBatch): Promise<void> {
    const joinsBefore = this.joins;
    try {
      await this.commit(batch);
    } catch (error) {
      const lostRace =
        hasProtocolError(error, 'ILLEGAL_GENERATION') ||
        hasProtocolError(error, 'REBALANCE_IN_PROGRESS') ||
        hasProtocolError(error, 'UNKNOWN_MEMBER_ID');
      if (!lostRace) throw error;
      const { session_timeout_ms, request_timeout_ms } = this.deps.config.kafka;
      const deadline = Date.now() + session_timeout_ms * 2 + request_timeout_ms;
      while (!this.stopping && this.joins === joinsBefore && Date.now() < deadline && !this.needsJoin) {
        await this.pause(50);
      }
      if (this.joins === joinsBefore) throw error;
      await this.commit(batch);
    }
  }

  /** Joins the group again after the library gave up (its rejoin failed) or never noticed. */
  private async rejoin(): Promise<void> {
    const client = this.client!;
    this.needsJoin = false;
    try {
      await withTimeout(
        client.joinGroup({}),
        this.deps.config.kafka.session_timeout_ms * 2 + this.deps.config.kafka.request_timeout_ms,
        'group join',
      );
    } catch (error) {
      this.needsJoin = true;
      throw error;
    }
  }

  private async waitForJoin(): Promise<void> {
    const since = this.joins;
    // The library's rejoin may legitimately wait the whole rebalance timeout for other members.
    const { session_timeout_ms, request_timeout_ms } = this.deps.config.kafka;
    const deadline = Date.now() + session_timeout_ms * 2 + request_timeout_ms;
    while (!this.stopping && this.rebalancing && this.joins === since && !this.needsJoin) {
      if (Date.now() >= deadline) {
        this.needsJoin = true;
        return;
      }
      await this.pause(50);
    }
  }

  /** After a (re)join: positions of the partitions now assigned, from the group's committed offsets. */
  private async loadPositions(): Promise<void> {
    const client = this.client!;
    // Read together, synchronously: the library sets assignments and generation before it
    // emits the join event that bumps `joins`.
    const joinSeen = this.joins;
    const generation = client.generationId;
    // The leader assigns its own subscription to every member, so a member of a group whose
    // consumers read different topics may be handed a topic it did not ask for: skip those.
    const assignments = (client.assignments ?? []).filter(
      (a) => a.partitions.length > 0 && this.options.topics.includes(a.topic),
    );
    const previous = new Map(this.states);
    this.states.clear();
    if (assignments.length === 0) {
      this.loadedJoin = joinSeen;
      this.loadedGeneration = generation;
      return;
    }
    const topics = assignments.map((a) => a.topic);
    const timeout = this.deps.config.kafka.request_timeout_ms * 2;
    const [committed, fallback] = await Promise.all([
      withTimeout(client.listCommittedOffsets({ topics: assignments }), timeout, 'committed offsets'),
      withTimeout(
        client.listOffsets({
          topics,
          timestamp:
            this.options.startFrom === 'latest' ? ListOffsetTimestamps.LATEST : ListOffsetTimestamps.EARLIEST,
        }),
        timeout,
        'list offsets',
      ),
    ]);
    for (const { topic, partitions } of assignments) {
      for (const partition of partitions) {
        const c = committed.get(topic)?.[partition] ?? -1n;
        const position = c >= 0n ? c : (fallback.get(topic)?.[partition] ?? 0n);
        const k = key(topic, partition);
        // A committed offset means an earlier member worked here: its last batch may come again.
        // What this member already handed over (before a failure or a rejoin) stays flagged.
        const before = previous.get(k)?.redeliverBelow ?? 0n;
        const fromCommit = c >= 0n ? position + 1n : 0n;
        this.states.set(k, {
          topic,
          partition,
          position,
          committed: position,
          redeliverBelow: before > fromCommit ? before : fromCommit,
          buffer: [],
          seekGeneration: this.seekGenerations.get(k) ?? 0,
        });
      }
    }
    this.loadedJoin = joinSeen;
    this.loadedGeneration = generation;
  }

  /**
   * Fills a batch from the per-partition buffers, fetching (one request per partition leader)
   * for partitions whose buffer is empty, until maxBatchSize or maxWaitMs after the first
   * message. A rejoin in the middle drops the unfinished batch: nothing of it was handed over.
   */
  private async fill(): Promise<PendingBatch | null> {
    const { maxBatchSize, maxWaitMs } = this.options;
    const batch: PendingBatch = {
      messages: [],
      ends: new Map(),
      seekGenerations: new Map(),
      // The join the states come from (not `joins`, which a join during loadPositions moved on).
      joinGeneration: this.loadedJoin,
      groupGeneration: this.loadedGeneration,
    };
    let deadline = Number.POSITIVE_INFINITY;
    for (;;) {
      if (this.stopping || this.rebalancing || this.needsJoin || this.joins !== batch.joinGeneration) {
        return null;
      }
      this.drainBuffers(batch);
      const have = batch.messages.length;
      if (have >= maxBatchSize || (have > 0 && maxWaitMs === 0)) return batch;
      const now = Date.now();
      if (have > 0) {
        if (deadline === Number.POSITIVE_INFINITY) deadline = now + maxWaitMs;
        if (now >= deadline) return batch;
      }
      if (this.states.size === 0) {
        await this.pause(IDLE_FETCH_WAIT_MS);
        continue;
      }
      const wait = have > 0 ? Math.max(0, deadline - now) : IDLE_FETCH_WAIT_MS;
      await this.fetchInto(Math.min(wait, IDLE_FETCH_WAIT_MS), batch.joinGeneration);
      // A fetch answered: the consumer reads again, even on a topic where nothing arrives
      // (health would otherwise report the last failures until the next message).
      this.reads.succeeded();
    }
  }

  private drainBuffers(batch: PendingBatch): void {
    for (const state of this.states.values()) {
      if (state.buffer.length === 0) continue;
      const room = this.options.maxBatchSize - batch.messages.length;
      if (room <= 0) return;
      const taken = state.buffer.splice(0, room);
      for (const m of taken) batch.messages.push(m);
      batch.ends.set(state, taken[taken.length - 1]!.offset + 1n);
      if (!batch.seekGenerations.has(state)) batch.seekGenerations.set(state, state.seekGeneration);
    }
  }

  private async fetchInto(maxWaitMs: number, joinGeneration: number): Promise<void> {
    const client = this.client!;
    const wanted = [...this.states.values()].filter((s) => s.buffer.length === 0);
    if (wanted.length === 0) return;
    const timeout = this.deps.config.kafka.request_timeout_ms + maxWaitMs;
    const forceUpdate = this.staleMetadata;
    const metadata = await withTimeout(
      client.metadata({ topics: [...new Set(wanted.map((s) => s.topic))], forceUpdate }),
      timeout,
      'metadata',
    );
    if (forceUpdate) this.staleMetadata = false;
    const byLeader = new Map<number, Map<string, PartitionState[]>>();
    for (const s of wanted) {
      const topicMeta = metadata.topics.get(s.topic);
      const leader = topicMeta?.partitions[s.partition]?.leader;
      if (topicMeta === undefined || leader === undefined || leader < 0) continue;
      const perTopic = byLeader.get(leader) ?? new Map<string, PartitionState[]>();
      perTopic.set(topicMeta.id, [...(perTopic.get(topicMeta.id) ?? []), s]);
      byLeader.set(leader, perTopic);
    }
    if (byLeader.size === 0) {
      // No wanted partition has a leader (an election, or a topic still being created). Without
      // a pause this loop would only ever await cached metadata, never yield to the event loop,
      // and starve the heartbeats.
      this.staleMetadata = true;
      await this.pause(NO_LEADER_PAUSE_MS);
      return;
    }
    await Promise.all(
      [...byLeader].map(async ([node, perTopic]) => {
        const requested = new Map<PartitionState, { position: bigint; seekGeneration: number }>();
        const topicIds = new Map<string, string>();
        const topics = [...perTopic].map(([topicId, states]) => {
          topicIds.set(topicId, states[0]!.topic);
          return {
            topicId,
            partitions: states.map((s) => {
              requested.set(s, { position: s.position, seekGeneration: s.seekGeneration });
              return {
                partition: s.partition,
                fetchOffset: s.position,
                partitionMaxBytes: PARTITION_MAX_BYTES,
                currentLeaderEpoch: -1,
                lastFetchedEpoch: -1,
              };
            }),
          };
        });
        let response: FetchResponse;
        try {
          // The library has no per-request timeout (only a connect timeout): bound it ourselves so
          // a broker that stops answering cannot hang the loop, and stop() with it.
          response = await withTimeout(
            client.fetch({
              node,
              topics,
              maxWaitTime: maxWaitMs,
              minBytes: 1,
              maxBytes: 16 * 1_048_576,
            }),
            timeout,
            'fetch',
          );
        } catch (error) {
          if (hasProtocolError(error, 'OFFSET_OUT_OF_RANGE')) {
            await this.resetOutOfRange(error, topicIds);
            return;
          }
          throw error;
        }
        // A rejoin or a seek while the request was out makes its records stale.
        if (this.joins !== joinGeneration) return;
        this.absorb(response, topicIds, requested);
      }),
    );
  }

  private absorb(
    response: FetchResponse,
    topicIds: Map<string, string>,
    requested: Map<PartitionState, { position: bigint; seekGeneration: number }>,
  ): void {
    for (const t of response.responses) {
      const topic = topicIds.get(t.topicId);
      if (topic === undefined) continue;
      for (const p of t.partitions) {
        const state = this.states.get(key(topic, p.partitionIndex));
        const asked = state ? requested.get(state) : undefined;
        if (
          !state ||
          !asked ||
          asked.seekGeneration !== state.seekGeneration ||
          asked.position !== state.position
        ) {
          continue;
        }
        const { messages, next } = decodePartitionRecords(
          topic,
          p.partitionIndex,
          state.position,
          p.records ?? [],
          p.abortedTransactions ?? [],
        );
        for (const m of messages) state.buffer.push(m);
        state.position = next;
      }
    }
  }

  /** The group's position fell outside the log (retention deleted it): restart at the earliest kept offset. */
  private async resetOutOfRange(error: unknown, topicIds: Map<string, string>): Promise<void> {
    const response = (error as { response?: FetchResponse }).response;
    const reset: PartitionState[] = [];
    for (const t of response?.responses ?? []) {
      const topic = topicIds.get(t.topicId);
      for (const p of t.partitions) {
        const state = topic !== undefined ? this.states.get(key(topic, p.partitionIndex)) : undefined;
        if (state && p.errorCode === 1) reset.push(state);
      }
    }
    if (reset.length === 0) {
      this.loadedJoin = -1;
      return;
    }
    const earliest = await this.client!.listOffsets({
      topics: [...new Set(reset.map((s) => s.topic))],
      timestamp: ListOffsetTimestamps.EARLIEST,
    });
    for (const s of reset) {
      const start = earliest.get(s.topic)?.[s.partition] ?? 0n;
      this.deps.logger?.warn(
        {
          group: this.options.group,
          topic: s.topic,
          partition: s.partition,
          from: String(s.position),
          to: String(start),
        },
        'consumer position is outside the log (retention); resuming at the earliest kept message',
      );
      s.position = start;
      s.buffer = [];
    }
  }

  private async commit(batch: PendingBatch): Promise<void> {
    const client = this.client!;
    // Still the generation the batch was fetched in: every partition of it is ours to commit
    // (also while a rebalance is being prepared, which Kafka accepts, like a Java consumer's
    // commit on revocation). In a later generation, only partitions this member has owned
    // without interruption since the batch's join: one that went to another member and came
    // back may have been processed and committed further by it meanwhile.
    const sameGeneration = client.generationId === batch.groupGeneration;
    const offsets = [];
    const applied: [PartitionState, bigint][] = [];
    for (const [state, end] of batch.ends) {
      const k = key(state.topic, state.partition);
      const owned = this.ownedSince.get(k);
      const stillOurs = sameGeneration || (owned !== undefined && owned <= batch.joinGeneration);
      // Not ours any more (a rebalance during the handler) or moved by a seek: leave it to its new position.
      if (!stillOurs || batch.seekGenerations.get(state) !== state.seekGeneration) continue;
      offsets.push({ topic: state.topic, partition: state.partition, offset: end, leaderEpoch: -1 });
      applied.push([state, end]);
    }
    if (offsets.length > 0) {
      await withTimeout(client.commit({ offsets }), this.deps.config.kafka.request_timeout_ms * 2, 'commit');
    }
    for (const [state, end] of applied) state.committed = end;
    const counts = new Map<string, number>();
    for (const m of batch.messages) counts.set(m.topic, (counts.get(m.topic) ?? 0) + 1);
    for (const [topic, n] of counts)
      this.deps.metrics.consumed.inc({ adapter: 'kafka', group: this.options.group, topic }, n);
  }

  /** After a failed batch: fetch again from the committed offsets, flagging what was handed over. */
  private rewind(): void {
    for (const s of this.states.values()) {
      if (s.position > s.redeliverBelow) s.redeliverBelow = s.position;
      s.position = s.committed;
      s.buffer = [];
    }
  }
}

/** The subset of `topics` that exists on the cluster. */
async function existingTopics(admin: Admin, topics: readonly string[]): Promise<string[]> {
  const listed = new Set(await admin.listTopics({ includeInternals: false }));
  return topics.filter((topic) => listed.has(topic));
}

/**
 * The group's committed offsets. Some brokers (Kafka before 4.0's new group coordinator, and
 * Redpanda) answer OffsetFetch for a group that has never committed with GROUP_ID_NOT_FOUND
 * rather than with -1 per partition: that group simply has no commits yet.
 */
async function committedOffsets(
  client: KafkaClient,
  assignments: { topic: string; partitions: number[] }[],
): Promise<Map<string, bigint[]>> {
  try {
    return await client.listCommittedOffsets({ topics: assignments });
  } catch (error) {
    if (hasProtocolError(error, 'GROUP_ID_NOT_FOUND')) return new Map();
    throw error;
  }
}

function isStaleMetadata(error: unknown): boolean {
  const e = error as { findBy?: (property: string, value: unknown) => unknown };
  return (
    (typeof e?.findBy === 'function' && e.findBy('hasStaleMetadata', true) !== null) ||
    hasProtocolError(error, 'UNKNOWN_TOPIC_ID') ||
    hasProtocolError(error, 'FENCED_LEADER_EPOCH') ||
    hasProtocolError(error, 'UNKNOWN_LEADER_EPOCH')
  );
}

function deferred(): { promise: Promise<void>; resolve(): void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

/** Closes a client; `force` leaves the group even with work in flight. (The callback form avoids an overload that returns void.) */
function closeClient(client: KafkaClient, force: boolean): Promise<void> {
  return new Promise((resolve, reject) =>
    client.close(force, (error) => (error ? reject(error) : resolve())),
  );
}
