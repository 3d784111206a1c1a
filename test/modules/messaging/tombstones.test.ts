import cassandra from 'cassandra-driver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bucketOfId } from '../../../src/modules/messaging/buckets.js';
import { rawCqlClient, tracedRead } from '../../helpers/cql-tracing.js';
import { messagingHarness, type MessagingHarness } from './helpers.js';

/**
 * Issue 22: a sent message writes no tombstone for what it does not have (reply, attachments,
 * edit time), so "newest 50" reads only live cells. Proved on ScyllaDB/Cassandra by query
 * tracing; and every statement of the hot paths reaches the driver with what token-aware
 * routing needs. Runs in the scale-out project when a cluster is configured.
 */
const onCluster =
  process.env.SWITCHBOARD_TEST_MODULES_ON === 'scale-out' &&
  Boolean(process.env.SWITCHBOARD_TEST_SCYLLA_CONTACT_POINTS);

describe.skipIf(!onCluster)(
  'messages on the cluster (skipped unless the scale-out project has a cluster)',
  () => {
    let h: MessagingHarness;

    beforeAll(async () => {
      h = await messagingHarness();
    });
    afterAll(async () => {
      await h?.close();
    });

    it('sending 60 plain messages leaves 0 tombstone cells in the newest-50 read', async () => {
      const channel = (
        await h.svc.chats.create('alice', { title: 't', kind: 'group', participants: [{ userId: 'bob' }] })
      ).id;
      const sent = [];
      for (let i = 0; i < 60; i += 1)
        sent.push(await h.svc.messages.send(channel, i % 2 ? 'alice' : 'bob', { content: `m${i}` }));
      const newest = sent[sent.length - 1]!.id;
      const raw = rawCqlClient();
      await raw.connect();
      try {
        const stats = await tracedRead(
          raw,
          `SELECT * FROM ${h.ctx.config.scylla.keyspace}.messages WHERE channel_id = ? AND bucket = ? LIMIT 50`,
          [channel, bucketOfId(BigInt(newest))],
        );
        expect(stats.liveRows).toBe(50);
        expect(stats.tombstoneCells).toBe(0);
      } finally {
        await raw.shutdown();
      }
    });

    it('gives the driver a keyspace and routing key for every statement of a send, a page and a read mark', async () => {
      // The driver's default policy is token-aware only when both are known; without either it
      // falls back to any local host (load-balancing.js, DefaultLoadBalancingPolicy). Observed
      // where the driver decides, on the real client.
      const policy = cassandra.policies.loadBalancing.DefaultLoadBalancingPolicy.prototype;
      const original = policy.newQueryPlan;
      const plans: { keyspace: string | undefined; routed: boolean }[] = [];
      policy.newQueryPlan = function (this: typeof policy, keyspace, options, callback) {
        if (options) {
          plans.push({
            keyspace: options.getKeyspace() ?? keyspace,
            routed: Boolean(options.getRoutingKey()),
          });
        }
        return original.call(this, keyspace, options, callback);
      };
      try {
        const channel = (
          await h.svc.chats.create('alice', { title: 'r', kind: 'group', participants: [{ userId: 'bob' }] })
        ).id;
        await h.svc.messages.send(channel, 'alice', { content: 'warm' });
        plans.length = 0;
        const sent = await h.svc.messages.send(channel, 'alice', { content: 'routed' });
        await h.svc.messages.history(channel, 'bob', { limit: 50 });
        await h.svc.reads.markRead(channel, 'bob', sent.id);
        await h.svc.effects.applyPending();
      } finally {
        policy.newQueryPlan = original;
      }
      const ours = plans.filter((p) => p.keyspace === h.ctx.config.scylla.keyspace);
      // A send alone is several statements; all of them are on the module's keyspace.
      expect(ours.length).toBeGreaterThanOrEqual(6);
      expect(plans.filter((p) => p.keyspace !== h.ctx.config.scylla.keyspace)).toEqual([]);
      expect(ours.filter((p) => !p.routed)).toEqual([]);
    });
  },
);
