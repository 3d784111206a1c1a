/**
 * A memo of facts remembered only to save a read, bounded: when it is full and a new key
 * comes, it starts over. Forgetting costs nothing but the reads it saved, and starting over
 * at once (rather than evicting one entry at a time) keeps every lookup one Map operation.
 */
export class BoundedMemo<K, V = true> {
  private readonly entries = new Map<K, V>();

  constructor(private readonly max: number) {}

  get(key: K): V | undefined {
    return this.entries.get(key);
  }

  has(key: K): boolean {
    return this.entries.has(key);
  }

  set(key: K, value: V): void {
    if (this.entries.size >= this.max && !this.entries.has(key)) this.entries.clear();
    this.entries.set(key, value);
  }

  delete(key: K): void {
    this.entries.delete(key);
  }
}
