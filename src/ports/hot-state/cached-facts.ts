import { randomUUID } from 'node:crypto';
import type { HotState } from './store.js';

/** Values starting with this are invalidation marks, never cached facts. */
const MARK = '\u0000stale:';

/**
 * A read-through cache in hot state for facts that change rarely and are read on hot paths
 * (a channel member's role, a channel's Telegram link). Every process sharing the hot state
 * sees the same entries, so a change made through one process is seen by all of them from
 * the next read on: `invalidate` returns only after the entry is replaced.
 *
 * A naive "delete on change" loses a race: a reader that loaded the old fact from the record
 * before the change committed could put it back after the delete, and it would stay for the
 * whole TTL. Here an invalidation writes a unique mark instead of deleting, and a reader
 * stores what it loaded only by compare-and-set against the value it saw before loading. A
 * load that raced a change therefore finds the mark changed and stores nothing; the next
 * read loads again, after the change.
 *
 * The TTL bounds how long an entry lives if hot state loses an invalidation (it was
 * unreachable while the change committed: `invalidate` then throws, and callers report it).
 */
export class CachedFacts {
  constructor(
    private readonly hotState: HotState,
    private readonly options: { prefix: string; ttlSeconds: number },
  ) {}

  private key(id: string): string {
    return `${this.options.prefix}:${id}`;
  }

  /**
   * The cached value, or `load()`'s (stored for the next reader unless a change raced it).
   * With hot state unreachable the record answers directly: a cache outage costs speed, not
   * availability (the outage itself shows in /ready through the hot-state port's health).
   */
  async get(id: string, load: () => Promise<string>): Promise<string> {
    const key = this.key(id);
    let seen: string | null;
    try {
      seen = await this.hotState.get(key);
    } catch {
      return load();
    }
    if (seen !== null && !seen.startsWith(MARK)) return seen;
    const value = await load();
    await this.hotState
      .compareAndSet(key, seen, value, { ttlSeconds: this.options.ttlSeconds })
      .catch(() => undefined);
    return value;
  }

  /** Call after the change is committed to the record, before reporting it done. */
  async invalidate(id: string): Promise<void> {
    await this.hotState.set(this.key(id), `${MARK}${randomUUID()}`, { ttlSeconds: this.options.ttlSeconds });
  }
}
