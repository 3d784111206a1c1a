import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isSwitchboardError } from '../../src/errors/index.js';
import type { HotState } from '../../src/ports/hot-state/store.js';
import { eventually, type TcpProxy } from '../helpers/services.js';

export interface HotStateFixture {
  hot: HotState;
  /** An adapter reaching the server through a proxy the test can cut; absent for in-process state. */
  openThroughProxy?(): Promise<{ hot: HotState; proxy: TcpProxy }>;
  cleanup(): Promise<void>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function codeOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => 'no error',
    (e: unknown) => (isSwitchboardError(e) ? e.code : e),
  );
}

/** Collects what a subscription receives. */
function inbox() {
  const messages: string[] = [];
  return { messages, handler: (m: string) => void messages.push(m) };
}

export function hotStateContract(name: string, factory: () => Promise<HotStateFixture>): void {
  describe(`hot state contract: ${name}`, () => {
    let fx: HotStateFixture;
    let hot: HotState;

    beforeEach(async () => {
      fx = await factory();
      hot = fx.hot;
    });
    afterEach(async () => {
      await fx.cleanup();
    });

    describe('values', () => {
      it('gets, sets and deletes', async () => {
        expect(await hot.get('k')).toBeNull();
        expect(await hot.set('k', 'v1')).toBe(true);
        expect(await hot.get('k')).toBe('v1');
        expect(await hot.set('k', 'v2')).toBe(true);
        expect(await hot.get('k')).toBe('v2');
        expect(await hot.delete('k')).toBe(true);
        expect(await hot.delete('k')).toBe(false);
        expect(await hot.get('k')).toBeNull();
      });

      it('sets only when absent with ifAbsent', async () => {
        expect(await hot.set('lock', 'a', { ifAbsent: true, ttlSeconds: 30 })).toBe(true);
        expect(await hot.set('lock', 'b', { ifAbsent: true })).toBe(false);
        expect(await hot.get('lock')).toBe('a');
        expect(await hot.ttl('lock')).toBe(30);
      });

      it('reports ttl: whole seconds, null without expiry, -1 when absent', async () => {
        await hot.set('a', '1', { ttlSeconds: 10 });
        await hot.set('b', '1');
        expect(await hot.ttl('a')).toBe(10);
        expect(await hot.ttl('b')).toBeNull();
        expect(await hot.ttl('missing')).toBe(-1);
        // A plain set replaces the value and its expiry, as Redis SET does.
        await hot.set('a', '2');
        expect(await hot.ttl('a')).toBeNull();
        expect(await hot.expire('b', 20)).toBe(true);
        expect(await hot.ttl('b')).toBe(20);
        expect(await hot.expire('missing', 20)).toBe(false);
      });

      it('refuses TTLs that are not whole positive seconds', async () => {
        expect(await codeOf(hot.set('k', 'v', { ttlSeconds: 0 }))).toBe('VALUE_INVALID');
        expect(await codeOf(hot.set('k', 'v', { ttlSeconds: 1.5 }))).toBe('VALUE_INVALID');
        expect(await codeOf(hot.expire('k', -1))).toBe('VALUE_INVALID');
        expect(await hot.get('k')).toBeNull();
      });

      it('expires exactly on the second: present at 1.5 s of a 2 s TTL, gone at 2.3 s', async () => {
        await Promise.all([
          hot.set('typing', 'yes', { ttlSeconds: 2 }),
          hot.increment('counter', 1, { ttlSeconds: 2 }),
          hot.setAdd('presence', 'agent-1', { ttlSeconds: 2 }),
          hot.setAdd('presence', 'agent-2'),
          hot.set('forever', 'yes'),
        ]);
        const started = Date.now();
        await sleep(1500 - (Date.now() - started));
        expect(await hot.get('typing')).toBe('yes');
        expect(await hot.get('counter')).toBe('1');
        expect((await hot.setMembers('presence')).map((m) => m.member)).toEqual(['agent-1', 'agent-2']);
        await sleep(2300 - (Date.now() - started));
        expect(await hot.get('typing')).toBeNull();
        expect(await hot.ttl('typing')).toBe(-1);
        expect(await hot.get('counter')).toBeNull();
        expect((await hot.setMembers('presence')).map((m) => m.member)).toEqual(['agent-2']);
        expect(await hot.get('forever')).toBe('yes');
      });
    });

    describe('counters', () => {
      it('increments atomically, creating the key at 0', async () => {
        expect(await hot.increment('n')).toBe(1);
        expect(await hot.increment('n', 5)).toBe(6);
        expect(await hot.increment('n', -2)).toBe(4);
        const results = await Promise.all(Array.from({ length: 50 }, () => hot.increment('burst')));
        expect(new Set(results).size).toBe(50);
        expect(await hot.get('burst')).toBe('50');
      });

      it('sets the TTL only when the increment creates the key', async () => {
        await hot.increment('rate', 1, { ttlSeconds: 5 });
        await hot.increment('rate', 1, { ttlSeconds: 100 });
        await hot.increment('rate');
        expect(await hot.get('rate')).toBe('3');
        expect(await hot.ttl('rate')).toBe(5);
        await hot.increment('plain');
        expect(await hot.ttl('plain')).toBeNull();
      });

      it('refuses to increment a value that is not an integer', async () => {
        await hot.set('text', 'hello');
        expect(await codeOf(hot.increment('text'))).toBe('VALUE_INVALID');
        expect(await hot.get('text')).toBe('hello');
      });
    });

    describe('compare-and-set', () => {
      it('swaps only when the current value is the expected one', async () => {
        expect(await hot.compareAndSet('status', null, 'idle')).toBe(true);
        expect(await hot.compareAndSet('status', null, 'busy')).toBe(false);
        expect(await hot.compareAndSet('status', 'busy', 'away')).toBe(false);
        expect(await hot.get('status')).toBe('idle');
        expect(await hot.compareAndSet('status', 'idle', 'busy', { ttlSeconds: 30 })).toBe(true);
        expect(await hot.get('status')).toBe('busy');
        expect(await hot.ttl('status')).toBe(30);
        expect(await hot.compareAndSet('status', 'busy', null)).toBe(true);
        expect(await hot.get('status')).toBeNull();
      });

      it('lets exactly one of many concurrent swaps win', async () => {
        await hot.set('agent:7', 'available');
        const outcomes = await Promise.all(
          Array.from({ length: 20 }, (_, i) => hot.compareAndSet('agent:7', 'available', `call-${i}`)),
        );
        expect(outcomes.filter(Boolean)).toHaveLength(1);
        const winner = outcomes.indexOf(true);
        expect(await hot.get('agent:7')).toBe(`call-${winner}`);
      });
    });

    describe('sets with per-member expiry', () => {
      it('adds, lists sorted by member with expiry, refreshes and removes', async () => {
        const before = Date.now();
        await hot.setAdd('room', 'zoe', { ttlSeconds: 30 });
        await hot.setAdd('room', 'adam');
        await hot.setAdd('room', 'mia', { ttlSeconds: 10 });
        const members = await hot.setMembers('room');
        expect(members.map((m) => m.member)).toEqual(['adam', 'mia', 'zoe']);
        expect(members[0]!.expiresAt).toBeNull();
        // Server clock vs ours: same machine, so within a second.
        expect(Math.abs(members[1]!.expiresAt! - (before + 10_000))).toBeLessThan(1000);
        expect(Math.abs(members[2]!.expiresAt! - (before + 30_000))).toBeLessThan(1000);

        await hot.setAdd('room', 'mia', { ttlSeconds: 60 });
        const refreshed = (await hot.setMembers('room')).find((m) => m.member === 'mia')!;
        expect(refreshed.expiresAt! - members[1]!.expiresAt!).toBeGreaterThan(45_000);

        expect(await hot.setRemove('room', 'mia')).toBe(true);
        expect(await hot.setRemove('room', 'mia')).toBe(false);
        expect(await hot.setRemove('nowhere', 'mia')).toBe(false);
        expect((await hot.setMembers('room')).map((m) => m.member)).toEqual(['adam', 'zoe']);
        expect(await hot.setMembers('nowhere')).toEqual([]);
      });

      it('keeps the set key alive as long as its longest-lived member', async () => {
        await hot.setAdd('s', 'a', { ttlSeconds: 10 });
        await hot.setAdd('s', 'b', { ttlSeconds: 40 });
        expect(await hot.ttl('s')).toBe(40);
        await hot.setAdd('s', 'c');
        expect(await hot.ttl('s')).toBeNull();
      });

      it('refuses set operations on a plain value and value reads on a set', async () => {
        await hot.set('plain', 'v');
        await hot.setAdd('set', 'm');
        expect(await codeOf(hot.setAdd('plain', 'm'))).toBe('VALUE_INVALID');
        expect(await codeOf(hot.setMembers('plain'))).toBe('VALUE_INVALID');
        expect(await codeOf(hot.get('set'))).toBe('VALUE_INVALID');
        expect(await hot.delete('set')).toBe(true);
      });
    });

    describe('publish / subscribe', () => {
      it('delivers to every subscriber of the channel, never inside publish, and stops after unsubscribe', async () => {
        const first = inbox();
        const second = inbox();
        const other = inbox();
        const unsubscribeFirst = await hot.subscribe('chat:1', first.handler);
        const unsubscribeSecond = await hot.subscribe('chat:1', second.handler);
        const unsubscribeOther = await hot.subscribe('chat:2', other.handler);

        // Never inside publish: a handler must not run synchronously in the publisher's call.
        // (Once the publish promise settles the message may already be there: over Redis the
        // subscriber connection can receive it before PUBLISH's own reply arrives.)
        const published = hot.publish('chat:1', 'hello');
        expect(first.messages).toEqual([]);
        await published;
        expect(
          await eventually(async () => first.messages.length === 1 && second.messages.length === 1, 5000, 10),
        ).toBe(true);
        expect(first.messages).toEqual(['hello']);

        await unsubscribeFirst();
        await hot.publish('chat:1', 'again');
        expect(await eventually(async () => second.messages.length === 2, 5000, 10)).toBe(true);
        await sleep(50);
        expect(first.messages).toEqual(['hello']);
        expect(second.messages).toEqual(['hello', 'again']);
        expect(other.messages).toEqual([]);
        await unsubscribeSecond();
        await unsubscribeOther();
      });

      it('keeps delivering to others when one handler throws', async () => {
        const good = inbox();
        const unsubscribeBad = await hot.subscribe('c', () => {
          throw new Error('handler bug');
        });
        const unsubscribeGood = await hot.subscribe('c', good.handler);
        const warnings: unknown[] = [];
        const onWarning = (w: unknown) => warnings.push(w);
        process.on('warning', onWarning);
        try {
          await hot.publish('c', 'm');
          expect(await eventually(async () => good.messages.length === 1, 5000, 10)).toBe(true);
        } finally {
          process.off('warning', onWarning);
          await unsubscribeBad();
          await unsubscribeGood();
        }
      });
    });

    describe('health', () => {
      it('reports ok', async () => {
        const report = await hot.health();
        expect(report.ok).toBe(true);
        expect(report.latencyMs).toBeGreaterThanOrEqual(0);
      });

      it('turns unhealthy while the server is unreachable and recovers without reopening', async (ctx) => {
        if (!fx.openThroughProxy) return ctx.skip('in-process hot state: there is no network to cut');
        const { hot: proxied, proxy } = await fx.openThroughProxy();
        try {
          await proxied.set('k', 'v');
          proxy.cut();
          expect(await eventually(async () => !(await proxied.health()).ok, 5000, 50)).toBe(true);
          expect(await codeOf(proxied.get('k'))).toBe('STORE_UNAVAILABLE');
          proxy.restore();
          expect(await eventually(async () => (await proxied.health()).ok)).toBe(true);
          expect(await proxied.get('k')).toBe('v');
        } finally {
          await proxied.close();
          await proxy.close();
        }
      });
    });
  });
}
