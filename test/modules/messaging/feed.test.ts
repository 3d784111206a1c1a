import { afterEach, describe, expect, it } from 'vitest';
import { FEED_BUCKET_MS, feedBucketOfId } from '../../../src/modules/messaging/feed.js';
import { formatId } from '../../../src/modules/messaging/ids.js';
import type { StreamDelivery } from '../../../src/modules/messaging/stream.js';
import { FakeTime, messagingHarness, type MessagingHarness } from './helpers.js';

describe('channel feed', () => {
  let h: MessagingHarness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  it('replays across day partitions, with empty days between, in id order and only after the cursor', async () => {
    // Ids from three days ago onwards, with a silent day in the middle; well inside the retention.
    const time = new FakeTime(Date.now() - 3 * FEED_BUCKET_MS);
    h = await messagingHarness({ time });
    const { svc } = h;
    const channel = (await svc.chats.create('alice', { title: 'days', kind: 'group' })).id;
    const m1 = await svc.messages.send(channel, 'alice', { content: 'day one' });
    time.current += FEED_BUCKET_MS;
    await svc.messages.edit(channel, 'alice', m1.id, { content: 'day two' });
    time.current += 2 * FEED_BUCKET_MS;
    await svc.reactions.add(channel, 'alice', m1.id, '👍');
    await svc.typing.start(channel, 'alice');
    await svc.pins.pin(channel, 'alice', m1.id);
    const m2 = await svc.messages.send(channel, 'alice', { content: 'day four' });
    await svc.messages.delete(channel, 'alice', m2.id);

    const all: { id: bigint; type: string }[] = [];
    for await (const { eventId, event } of svc.feed.replay(channel, 0n))
      all.push({ id: eventId, type: event.type });
    expect(all.map((e) => e.type)).toEqual([
      'message.created',
      'message.edited',
      'reaction.added',
      'pin.added',
      'message.created',
      'message.deleted',
    ]);
    expect(new Set(all.map((e) => feedBucketOfId(e.id))).size).toBe(3);

    const got: StreamDelivery[] = [];
    const stream = await svc.stream(channel, 'alice', {
      lastEventId: all[0]!.id,
      deliver: (d) => got.push(d),
    });
    await stream.close();
    expect(got.map((d) => d.id)).toEqual(all.slice(1).map((e) => formatId(e.id)));
  });
});
