import { EventEmitter } from 'node:events';
import type { Registry } from 'prom-client';
import { SwitchboardError } from '../../../errors/index.js';
import { instrumentHotState } from '../instrument.js';
import type { HotState, MemberWithExpiry, SetOptions } from '../store.js';
import {
  byMember,
  checkIncrement,
  checkTtl,
  deliver,
  notAnInteger,
  wholeSeconds,
  wrongType,
} from '../validate.js';

/** One key, holding either a value or a set, as a Redis key holds one type. */
type Entry =
  | { kind: 'value'; value: string; expiresAt: number | null }
  | {
      kind: 'set';
      members: Map<string, number | null>;
      /**
       * Set by `expire()` on the whole key, as EXPIRE on a Redis sorted set; otherwise null and
       * the set lives until its last member expires. `setAdd` clears it again.
       */
      keyExpiresAt: number | null;
    };

const SWEEP_INTERVAL_MS = 5_000;

/**
 * The embedded hot state: in-process maps. Expiry is decided on every read against `now()`
 * (a key with TTL n set at t is readable through t + n s and gone after, as on Redis), so it
 * is exact however late the sweeper runs; the sweeper only frees memory.
 */
export function createMemoryHotState(options: { registry?: Registry; now?: () => number } = {}): HotState {
  const now = options.now ?? Date.now;
  const entries = new Map<string, Entry>();
  const bus = new EventEmitter();
  // Presence fan-out can have many listeners per channel; the default cap of 10 would warn.
  bus.setMaxListeners(0);
  let closed = false;

  const expired = (expiresAt: number | null, at: number) => expiresAt !== null && at > expiresAt;

  const liveMembers = (entry: Entry & { kind: 'set' }, at: number) => {
    for (const [member, expiresAt] of entry.members) if (expired(expiresAt, at)) entry.members.delete(member);
    return entry.members;
  };

  /** The live entry at `key`, dropping it when it has expired (or, for a set, emptied). */
  const live = (key: string, at = now()): Entry | undefined => {
    const entry = entries.get(key);
    if (!entry) return undefined;
    const dead =
      entry.kind === 'value'
        ? expired(entry.expiresAt, at)
        : expired(entry.keyExpiresAt, at) || liveMembers(entry, at).size === 0;
    if (dead) {
      entries.delete(key);
      return undefined;
    }
    return entry;
  };

  const liveValue = (key: string, at = now()): (Entry & { kind: 'value' }) | undefined => {
    const entry = live(key, at);
    if (entry && entry.kind !== 'value') throw wrongType(key, 'a set');
    return entry;
  };

  const expiryFrom = (ttlSeconds: number | undefined, at: number) =>
    ttlSeconds === undefined ? null : at + ttlSeconds * 1000;

  const open = () => {
    if (closed) throw new SwitchboardError('STORE_UNAVAILABLE', 'The hot state has been closed');
  };

  const sweeper = setInterval(() => {
    const at = now();
    for (const key of entries.keys()) live(key, at);
  }, SWEEP_INTERVAL_MS);
  sweeper.unref();

  const store: HotState = {
    kind: 'embedded',

    async get(key) {
      open();
      return liveValue(key)?.value ?? null;
    },

    async set(key, value, setOptions: SetOptions = {}) {
      open();
      const ttl = checkTtl(setOptions.ttlSeconds);
      const at = now();
      // SET replaces whatever the key held, set included; only NX looks at it.
      if (setOptions.ifAbsent && live(key, at)) return false;
      entries.set(key, { kind: 'value', value, expiresAt: expiryFrom(ttl, at) });
      return true;
    },

    async delete(key) {
      open();
      const existed = live(key) !== undefined;
      entries.delete(key);
      return existed;
    },

    async ttl(key) {
      open();
      const at = now();
      const entry = live(key, at);
      if (!entry) return -1;
      const expiresAt = entry.kind === 'value' ? entry.expiresAt : (entry.keyExpiresAt ?? setExpiry(entry));
      return expiresAt === null ? null : wholeSeconds(expiresAt - at);
    },

    async expire(key, ttlSeconds) {
      open();
      const ttl = checkTtl(ttlSeconds)!;
      const at = now();
      const entry = live(key, at);
      if (!entry) return false;
      if (entry.kind === 'value') entry.expiresAt = at + ttl * 1000;
      else entry.keyExpiresAt = at + ttl * 1000;
      return true;
    },

    async increment(key, by = 1, incOptions = {}) {
      open();
      checkIncrement(by);
      const ttl = checkTtl(incOptions.ttlSeconds);
      const at = now();
      const entry = liveValue(key, at);
      if (!entry) {
        entries.set(key, { kind: 'value', value: String(by), expiresAt: expiryFrom(ttl, at) });
        return by;
      }
      if (!/^-?\d+$/.test(entry.value)) throw notAnInteger(key);
      const next = Number(entry.value) + by;
      if (!Number.isSafeInteger(next)) throw notAnInteger(key);
      entry.value = String(next);
      return next;
    },

    async compareAndSet(key, expected, next, casOptions = {}) {
      open();
      const ttl = checkTtl(casOptions.ttlSeconds);
      const at = now();
      const current = liveValue(key, at)?.value ?? null;
      if (current !== expected) return false;
      if (next === null) entries.delete(key);
      else entries.set(key, { kind: 'value', value: next, expiresAt: expiryFrom(ttl, at) });
      return true;
    },

    async setAdd(key, member, addOptions = {}) {
      open();
      const ttl = checkTtl(addOptions.ttlSeconds);
      const at = now();
      let entry = live(key, at);
      if (entry && entry.kind !== 'set') throw wrongType(key, 'a value');
      if (!entry) {
        entry = { kind: 'set', members: new Map(), keyExpiresAt: null };
        entries.set(key, entry);
      }
      entry.members.set(member, expiryFrom(ttl, at));
      entry.keyExpiresAt = null;
    },

    async setRemove(key, member) {
      open();
      const entry = live(key);
      if (!entry) return false;
      if (entry.kind !== 'set') throw wrongType(key, 'a value');
      const removed = entry.members.delete(member);
      if (entry.members.size === 0) entries.delete(key);
      return removed;
    },

    async setMembers(key): Promise<MemberWithExpiry[]> {
      open();
      const entry = live(key);
      if (!entry) return [];
      if (entry.kind !== 'set') throw wrongType(key, 'a value');
      return [...entry.members].map(([member, expiresAt]) => ({ member, expiresAt })).sort(byMember);
    },

    async publish(channel, message) {
      open();
      // Delivered on a later turn, as over Redis: a handler never runs inside publish().
      setImmediate(() => bus.emit(channel, message));
    },

    async subscribe(channel, handler) {
      open();
      const listener = (message: string) => deliver(handler, message, channel);
      bus.on(channel, listener);
      return async () => {
        bus.off(channel, listener);
      };
    },

    async health() {
      return closed
        ? { ok: false, detail: 'in-process: closed', latencyMs: 0 }
        : { ok: true, detail: `in-process, ${entries.size} keys`, latencyMs: 0 };
    },

    async close() {
      closed = true;
      clearInterval(sweeper);
      entries.clear();
      bus.removeAllListeners();
    },
  };
  return instrumentHotState(store, options.registry);
}

/** A set lives until its last member expires; Redis keeps the same key expiry (see redis-scripts.ts). */
function setExpiry(entry: Entry & { kind: 'set' }): number | null {
  let latest = 0;
  for (const expiresAt of entry.members.values()) {
    if (expiresAt === null) return null;
    latest = Math.max(latest, expiresAt);
  }
  return latest;
}
