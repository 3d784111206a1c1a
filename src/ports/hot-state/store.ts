import type { HealthReport } from '../wide-column/engine.js';

/**
 * The hot-state port: small values with short lives (typing indicators, presence, live
 * counters, cached agent status). Expiry is exact to the second on every adapter: a key set
 * with a TTL of n seconds is readable for n seconds and gone after.
 */
export interface SetOptions {
  ttlSeconds?: number;
  /** Only set when the key is absent (SET NX). */
  ifAbsent?: boolean;
}

export interface MemberWithExpiry {
  member: string;
  /** Epoch milliseconds at which the member expires, or null if it does not. */
  expiresAt: number | null;
}

export type Unsubscribe = () => Promise<void>;

export interface HotState {
  readonly kind: 'embedded' | 'redis';
  get(key: string): Promise<string | null>;
  /** Returns false when `ifAbsent` was set and the key existed. */
  set(key: string, value: string, options?: SetOptions): Promise<boolean>;
  delete(key: string): Promise<boolean>;
  /** Remaining TTL in whole seconds; null for a key without expiry; -1 when the key is absent. */
  ttl(key: string): Promise<number | null>;
  expire(key: string, ttlSeconds: number): Promise<boolean>;
  /** Atomic increment; creates the key at 0 first. A TTL, when given, is set only when the key is created. */
  increment(key: string, by?: number, options?: { ttlSeconds?: number }): Promise<number>;
  /**
   * Atomically replaces the value when it equals `expected` (null = key absent). `next` null
   * deletes the key. Returns whether the swap happened.
   */
  compareAndSet(
    key: string,
    expected: string | null,
    next: string | null,
    options?: { ttlSeconds?: number },
  ): Promise<boolean>;
  /** Adds or refreshes a set member with its own expiry (presence). */
  setAdd(key: string, member: string, options?: { ttlSeconds?: number }): Promise<void>;
  setRemove(key: string, member: string): Promise<boolean>;
  /** Live members only, sorted by member. */
  setMembers(key: string): Promise<MemberWithExpiry[]>;
  /** Fire-and-forget fan-out to every subscriber of `channel` (in this process or, on Redis, any). */
  publish(channel: string, message: string): Promise<void>;
  subscribe(channel: string, handler: (message: string) => void): Promise<Unsubscribe>;
  health(): Promise<HealthReport>;
  close(): Promise<void>;
}
