/**
 * In-process group membership for the embedded log. A group's partitions are spread
 * round-robin over its live members (Kafka's RoundRobinAssignor: topic-partitions in name
 * order, each to the next member subscribed to its topic). Hand-over is cooperative: the
 * coordinator only says who *should* own a partition; a member releases a partition between
 * batches, after committing, and only then may the new owner take it. So two members never
 * hold one partition, and no work (committed or not) is processed twice by a rebalance.
 *
 * Membership is per log instance: two processes consuming one group from the same file are
 * not coordinated (use Kafka for consumers spread over processes).
 */
export interface GroupMember {
  readonly topics: readonly string[];
  /** Called when targets, ownership or a position changed, so the member re-syncs between batches. */
  resync(): void;
}

export interface TopicPartitionRef {
  topic: string;
  partition: number;
}

export const tpKey = (topic: string, partition: number): string => `${topic}\u0000${partition}`;

export class GroupCoordinator {
  private readonly members: GroupMember[] = [];
  private readonly owners = new Map<string, GroupMember>();
  private readonly seekGenerations = new Map<string, number>();
  private targets = new Map<GroupMember, TopicPartitionRef[]>();
  generation = 0;

  constructor(private readonly partitionsOf: (topic: string) => number) {}

  get size(): number {
    return this.members.length;
  }

  join(member: GroupMember): void {
    this.members.push(member);
    this.rebalance();
  }

  /** Removes the member and frees every partition it held; the others take them over. */
  leave(member: GroupMember): void {
    const index = this.members.indexOf(member);
    if (index >= 0) this.members.splice(index, 1);
    for (const [key, owner] of this.owners) if (owner === member) this.owners.delete(key);
    this.rebalance();
  }

  targetsOf(member: GroupMember): readonly TopicPartitionRef[] {
    return this.targets.get(member) ?? [];
  }

  ownerOf(key: string): GroupMember | undefined {
    return this.owners.get(key);
  }

  tryAcquire(member: GroupMember, key: string): boolean {
    const owner = this.owners.get(key);
    if (owner && owner !== member) return false;
    this.owners.set(key, member);
    return true;
  }

  release(member: GroupMember, key: string): void {
    if (this.owners.get(key) !== member) return;
    this.owners.delete(key);
    for (const m of this.members) if (m !== member) m.resync();
  }

  /** Counts seeks per partition so the owner can tell its in-flight commit is stale. */
  seekGeneration(key: string): number {
    return this.seekGenerations.get(key) ?? 0;
  }

  seeked(key: string): void {
    this.seekGenerations.set(key, this.seekGeneration(key) + 1);
    this.owners.get(key)?.resync();
  }

  private rebalance(): void {
    this.generation += 1;
    const topics = [...new Set(this.members.flatMap((m) => m.topics))].sort();
    const next = new Map<GroupMember, TopicPartitionRef[]>(this.members.map((m) => [m, []]));
    let cursor = 0;
    for (const topic of topics) {
      const eligible = this.members.filter((m) => m.topics.includes(topic));
      const partitions = this.partitionsOf(topic);
      for (let partition = 0; partition < partitions; partition += 1) {
        const member = eligible[cursor % eligible.length]!;
        cursor += 1;
        next.get(member)!.push({ topic, partition });
      }
    }
    this.targets = next;
    for (const m of this.members) m.resync();
  }
}
