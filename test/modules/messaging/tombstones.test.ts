import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bucketOfId } from '../../../src/modules/messaging/buckets.js';
import { rawCqlClient, tracedRead } from '../../helpers/cql-tracing.js';
import { messagingHarness, type MessagingHarness } from './helpers.js';

/**
 * Issue 22: a sent message writes no tombstone for what it does not have (reply, attachments,
 * edit time), so "newest 50" reads only live cells. Proved on ScyllaDB/Cassandra by query
 * tracing; runs in the scale-out project when a cluster is configured.
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
  },
);
