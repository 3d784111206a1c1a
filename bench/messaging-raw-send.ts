import type Database from 'better-sqlite3';

/**
 * The baseline for what a send writes, as opposed to one INSERT (issue 19): the same six rows
 * a switchboard send stores on the embedded engine (the message, its effects-outbox row, the
 * channel and member counters, the feed event, the sender's read mark) by hand-written
 * better-sqlite3 statements in one transaction. The
 * distance from it to the service is the engine's and the service's own cost; the distance
 * from the single INSERT to it is what the send's rows cost.
 */
export function rawSendShape(
  raw: Database.Database,
): (channelId: string, id: bigint, content: string) => void {
  raw.exec(`CREATE TABLE shape_messages (channel_id TEXT, bucket INTEGER, message_id INTEGER, sender_id TEXT,
      content TEXT, message_type TEXT, source TEXT, deleted INTEGER, has_reactions INTEGER,
      PRIMARY KEY (channel_id, bucket, message_id)) WITHOUT ROWID;
    CREATE TABLE shape_effects (worker_id INTEGER, hour INTEGER, effect_id INTEGER, channel_id TEXT,
      message_id INTEGER, PRIMARY KEY (worker_id, hour, effect_id)) WITHOUT ROWID;
    CREATE TABLE shape_counts (channel_id TEXT PRIMARY KEY, message_count INTEGER) WITHOUT ROWID;
    CREATE TABLE shape_member_counts (channel_id TEXT, user_id TEXT, sent_count INTEGER,
      PRIMARY KEY (channel_id, user_id)) WITHOUT ROWID;
    CREATE TABLE shape_events (channel_id TEXT, bucket INTEGER, event_id INTEGER, type TEXT, payload TEXT,
      expires_at INTEGER, PRIMARY KEY (channel_id, bucket, event_id)) WITHOUT ROWID;
    CREATE TABLE shape_marks (channel_id TEXT, user_id TEXT, message_id INTEGER, marked_at INTEGER,
      PRIMARY KEY (channel_id, user_id, message_id)) WITHOUT ROWID;`);
  const message = raw.prepare('INSERT INTO shape_messages VALUES (?, ?, ?, ?, ?, ?, ?, 0, 0)');
  const effect = raw.prepare('INSERT INTO shape_effects VALUES (?, ?, ?, ?, ?)');
  const count = raw.prepare(
    'INSERT INTO shape_counts VALUES (?, 1) ON CONFLICT (channel_id) DO UPDATE SET message_count = message_count + 1',
  );
  const memberCount = raw.prepare(
    'INSERT INTO shape_member_counts VALUES (?, ?, 1) ON CONFLICT (channel_id, user_id) DO UPDATE SET sent_count = sent_count + 1',
  );
  const event = raw.prepare('INSERT INTO shape_events VALUES (?, ?, ?, ?, ?, ?)');
  const mark = raw.prepare('INSERT INTO shape_marks VALUES (?, ?, ?, ?)');
  const send = raw.transaction((channelId: string, id: bigint, content: string) => {
    const now = Date.now();
    message.run(channelId, 1, id, 'writer', content, 'text', 'api');
    effect.run(1, Math.floor(now / 3_600_000), id, channelId, id);
    count.run(channelId);
    memberCount.run(channelId, 'writer');
    const payload = {
      type: 'message.created',
      channelId,
      message: { id: String(id), senderId: 'writer', content },
    };
    event.run(channelId, 1, id, 'message.created', JSON.stringify(payload), now + 86_400_000);
    mark.run(channelId, 'writer', id, now);
  });
  return (channelId, id, content) => send(channelId, id, content);
}
