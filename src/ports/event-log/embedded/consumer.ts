import type { Logger } from 'pino';
import { SwitchboardError } from '../../../errors/index.js';
import type { Batch, Consumer, ConsumerHealth, LogMessage, PartitionLag } from '../log.js';
import type { EventLogMetrics } from '../metrics.js';
import { deliverBatch, LoopHealth, retryBackoffMs, type ResolvedConsumerOptions } from '../shared.js';
import { tpKey, type GroupCoordinator, type GroupMember } from './coordinator.js';
import type { CommitRow, LogStore, TopicInfo } from './store.js';

/** What a member knows about one partition it owns. */
interface Owned {
  key: string;
  topic: TopicInfo;
  partition: number;
  /** Next offset to read (ahead of `committed` while a batch is being filled or handled). */
  readPos: bigint;
  committed: bigint;
  /** Offsets below this may have reached a handler before: batches holding them are flagged. */
  redeliverBelow: bigint;
  seekGeneration: number;
}

interface PendingBatch {
  messages: LogMessage[];
  /** Per owned partition in the batch: the offset after its last message, and the seek generation read under. */
  ends: Map<Owned, bigint>;
  seekGenerations: Map<Owned, number>;
}

export interface EmbeddedConsumerDeps {
  store: LogStore;
  coordinator: GroupCoordinator;
  metrics: EventLogMetrics;
  logger: Logger | undefined;
  pollIntervalMs: number;
  defaultPartitions: number;
  onStopped(consumer: EmbeddedConsumer): void;
}

/**
 * One member of a consumer group on the embedded log. The loop: take over assigned
 * partitions, fill a batch (up to maxBatchSize, waiting at most maxWaitMs once a first
 * message is there), record how far deliveries reached, run the handler, commit. A handler
 * that throws leaves the batch uncommitted; its partitions rewind to the committed offsets and
 * the next batch (flagged mayContainRedeliveries) starts there after a backoff.
 */
export class EmbeddedConsumer implements Consumer, GroupMember {
  readonly topics: readonly string[];
  private readonly owned = new Map<string, Owned>();
  private handler: ((batch: Batch) => Promise<void>) | undefined;
  private loopDone: Promise<void> | undefined;
  private stopping = false;
  /** Set by the coordinator (rebalance, released partition, seek); cleared by sync(). */
  private dirty = true;
  private rotate = 0;
  private wakeUp: (() => void) | undefined;
  /** Messages appended to our topics since the current wait began, and how many would fill the batch. */
  private appendedWhileWaiting = 0;
  private needed = 1;

  constructor(
    private readonly options: ResolvedConsumerOptions,
    private readonly deps: EmbeddedConsumerDeps,
  ) {
    this.topics = options.topics;
    this.reads = new LoopHealth(options.group);
  }

  private readonly reads: LoopHealth;

  health(): ConsumerHealth {
    return this.reads.report();
  }

  async run(handler: (batch: Batch) => Promise<void>): Promise<void> {
    if (this.handler) throw new SwitchboardError('CONFLICT', 'This consumer is already running');
    for (const topic of this.topics) this.deps.store.ensureTopic(topic, this.deps.defaultPartitions);
    this.handler = handler;
    this.deps.coordinator.join(this);
    this.loopDone = this.loop();
  }

  async stop(): Promise<void> {
    if (!this.handler) return;
    this.stopping = true;
    this.wake();
    await this.loopDone;
    // Release only after the last commit, so the next owner starts after it.
    this.deps.coordinator.leave(this);
    this.owned.clear();
    this.deps.onStopped(this);
  }

  async seek(topic: string, partition: number, offset: bigint): Promise<void> {
    const info = this.deps.store.findTopic(topic);
    if (!info || !this.topics.includes(topic)) {
      throw new SwitchboardError(
        'VALIDATION_FAILED',
        `Cannot seek: this consumer does not read topic ${topic}`,
        {
          field: 'topic',
        },
      );
    }
    if (!Number.isInteger(partition) || partition < 0 || partition >= info.partitions) {
      throw new SwitchboardError('VALIDATION_FAILED', `Topic ${topic} has no partition ${partition}`, {
        field: 'partition',
      });
    }
    if (offset < 0n) throw new SwitchboardError('VALIDATION_FAILED', 'Offsets are >= 0', { field: 'offset' });
    this.deps.store.commit(this.options.group, [{ topicId: info.id, partition, offset: Number(offset) }]);
    this.deps.coordinator.seeked(tpKey(topic, partition));
  }

  async lag(): Promise<PartitionLag[]> {
    const out: PartitionLag[] = [];
    for (const name of this.topics) {
      const topic = this.deps.store.findTopic(name);
      if (!topic) continue;
      for (let partition = 0; partition < topic.partitions; partition += 1) {
        const bounds = this.deps.store.bounds(topic, partition);
        const committed =
          this.deps.store.groupPosition(this.options.group, topic, partition).committed ??
          this.startOf(bounds);
        const lag = bounds.end > committed ? bounds.end - committed : 0n;
        this.deps.metrics.lag.set(
          { adapter: 'embedded', group: this.options.group, topic: name, partition: String(partition) },
          Number(lag),
        );
        out.push({ topic: name, partition, committed, end: bounds.end, lag });
      }
    }
    return out;
  }

  resync(): void {
    this.dirty = true;
    this.wake();
  }

  private wake(): void {
    const wake = this.wakeUp;
    this.wakeUp = undefined;
    wake?.();
  }

  /** Called by the log after every local append, so a waiting consumer does not wait for the poll. */
  onAppended(topic: string, count: number): void {
    if (!this.wakeUp || !this.topics.includes(topic)) return;
    this.appendedWhileWaiting += count;
    if (this.appendedWhileWaiting >= this.needed) this.wake();
  }

  private startOf(bounds: { start: bigint; end: bigint }): bigint {
    return this.options.startFrom === 'latest' ? bounds.end : bounds.start;
  }

  private async loop(): Promise<void> {
    let failures = 0;
    while (!this.stopping) {
      let batch: PendingBatch | null;
      try {
        this.sync();
        batch = await this.fill();
        this.reads.succeeded();
      } catch (error) {
        failures += 1;
        this.reads.failed(error);
        this.deps.logger?.error({ err: error, group: this.options.group }, 'event log read failed; retrying');
        await this.pause(retryBackoffMs(failures));
        continue;
      }
      if (!batch) continue;
      const flagged = batch.messages.some((m) => {
        const owned = this.owned.get(tpKey(m.topic, m.partition));
        return owned !== undefined && m.offset < owned.redeliverBelow;
      });
      const labels = { adapter: 'embedded', group: this.options.group };
      const pending = batch;
      const delivered = await deliverBatch(
        this.deps,
        labels,
        this.handler!,
        { messages: batch.messages, mayContainRedeliveries: flagged },
        // Recorded before the handler runs, so a crash inside it marks these as redeliveries.
        () => this.deps.store.markDelivered(this.options.group, this.rows(pending)),
      );
      if (!delivered) {
        failures += 1;
        this.rewind();
        await this.pause(retryBackoffMs(failures - 1));
        continue;
      }
      try {
        this.commit(batch);
        failures = 0;
      } catch (error) {
        failures += 1;
        this.reads.failed(error);
        this.deps.logger?.error(
          { err: error, group: this.options.group },
          'event log commit failed; batch will be redelivered',
        );
        this.rewind();
        await this.pause(retryBackoffMs(failures - 1));
      }
    }
  }

  /** Applies the coordinator's assignment: releases partitions we should no longer hold, takes free ones. */
  private sync(): void {
    const { coordinator, store } = this.deps;
    if (!this.dirty) return;
    this.dirty = false;
    const targets = coordinator.targetsOf(this);
    const wanted = new Set(targets.map((t) => tpKey(t.topic, t.partition)));
    for (const [key] of this.owned) {
      if (!wanted.has(key)) {
        this.owned.delete(key);
        coordinator.release(this, key);
      }
    }
    for (const { topic, partition } of targets) {
      const key = tpKey(topic, partition);
      const current = this.owned.get(key);
      if (current && coordinator.seekGeneration(key) === current.seekGeneration) continue;
      if (!current && !coordinator.tryAcquire(this, key)) continue;
      // (Re)load the position from the store: first ownership, or a seek moved it.
      const info = store.ensureTopic(topic, this.deps.defaultPartitions);
      const position = store.groupPosition(this.options.group, info, partition);
      const committed = position.committed ?? this.startOf(store.bounds(info, partition));
      this.owned.set(key, {
        key,
        topic: info,
        partition,
        readPos: committed,
        committed,
        redeliverBelow: position.delivered,
        seekGeneration: coordinator.seekGeneration(key),
      });
    }
  }

  /**
   * Reads up to maxBatchSize messages with one SELECT per owned partition per round, waiting
   * for more (woken by local appends, or polling for other processes') until the batch is full
   * or maxWaitMs has passed since its first message. Returns null to re-sync or stop.
   */
  private async fill(): Promise<PendingBatch | null> {
    const { maxBatchSize, maxWaitMs } = this.options;
    const batch: PendingBatch = { messages: [], ends: new Map(), seekGenerations: new Map() };
    let deadline = Number.POSITIVE_INFINITY;
    for (;;) {
      if (this.stopping) return null;
      const resync = this.dirty;
      if (resync && batch.messages.length === 0) return null;
      this.readRound(batch);
      const have = batch.messages.length;
      if (have >= maxBatchSize || (have > 0 && (maxWaitMs === 0 || resync))) return batch;
      const now = Date.now();
      if (have > 0) {
        if (deadline === Number.POSITIVE_INFINITY) deadline = now + maxWaitMs;
        if (now >= deadline) return batch;
      }
      await this.waitForAppends(maxBatchSize - have, Math.min(this.deps.pollIntervalMs, deadline - now));
    }
  }

  private readRound(batch: PendingBatch): void {
    const owned = [...this.owned.values()];
    if (owned.length === 0) return;
    // Start each round at a different partition so one busy partition cannot starve the rest.
    this.rotate = (this.rotate + 1) % owned.length;
    for (let i = 0; i < owned.length; i += 1) {
      const room = this.options.maxBatchSize - batch.messages.length;
      if (room <= 0) return;
      const o = owned[(this.rotate + i) % owned.length]!;
      if (o.seekGeneration !== this.deps.coordinator.seekGeneration(o.key)) continue;
      const messages = this.deps.store.read(o.topic, o.partition, o.readPos, room);
      if (messages.length === 0) continue;
      for (const m of messages) batch.messages.push(m);
      o.readPos = messages[messages.length - 1]!.offset + 1n;
      batch.ends.set(o, o.readPos);
      if (!batch.seekGenerations.has(o)) batch.seekGenerations.set(o, o.seekGeneration);
    }
  }

  private waitForAppends(needed: number, timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      this.appendedWhileWaiting = 0;
      this.needed = needed;
      const timer = setTimeout(() => this.wake(), Math.max(0, timeoutMs));
      this.wakeUp = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  private pause(ms: number): Promise<void> {
    if (this.stopping) return Promise.resolve();
    return this.waitForAppends(Number.POSITIVE_INFINITY, ms);
  }

  private rows(batch: PendingBatch): CommitRow[] {
    return [...batch.ends].map(([o, end]) => ({
      topicId: o.topic.id,
      partition: o.partition,
      offset: Number(end),
    }));
  }

  private commit(batch: PendingBatch): void {
    const rows: CommitRow[] = [];
    const counts = new Map<string, number>();
    for (const [o, end] of batch.ends) {
      // A seek during the batch wins over the batch's commit.
      if (this.deps.coordinator.seekGeneration(o.key) !== batch.seekGenerations.get(o)) continue;
      rows.push({ topicId: o.topic.id, partition: o.partition, offset: Number(end) });
      o.committed = end;
    }
    this.deps.store.commit(this.options.group, rows);
    for (const m of batch.messages) counts.set(m.topic, (counts.get(m.topic) ?? 0) + 1);
    for (const [topic, n] of counts)
      this.deps.metrics.consumed.inc({ adapter: 'embedded', group: this.options.group, topic }, n);
  }

  /** After a failed batch: read again from the committed offsets, flagging what was already handed over. */
  private rewind(): void {
    for (const o of this.owned.values()) {
      if (o.readPos > o.redeliverBelow) o.redeliverBelow = o.readPos;
      o.readPos = o.committed;
    }
  }
}
