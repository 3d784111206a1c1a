import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pino from 'pino';
import { createSwitchboard } from '../src/app/create-switchboard.js';
import { applySchema } from '../src/app/schema.js';
import { loadConfig } from '../src/config/index.js';
import { BUCKET_MS, bucketOfId } from '../src/modules/messaging/buckets.js';
import { composeId, SNOWFLAKE_EPOCH_MS } from '../src/modules/messaging/ids.js';
import { channelBucketsTable, channelMetadataTable, messagesTable } from '../src/modules/messaging/tables.js';
import { batchOp, type BatchOp } from '../src/ports/wide-column/engine.js';
import { rawSendShape } from './messaging-raw-send.js';
import { perOperation, storeTotals } from './store-split.js';
import { costRatio, formatTable, measure, recordResults, type ScenarioResult } from './lib.js';

/**
 * The messaging suite: a channel with MESSAGES messages spread over BUCKETS 10-day buckets
 * (ids generated directly over ~5 years, bulk-loaded through the engine's batch), then
 * - message sends/s through the messaging service (membership check, id, logged batch,
 *   counter, publish, read position) and, as the raw baseline, the same message INSERT on
 *   better-sqlite3;
 * - history page p50/p99 (50 messages, with reactions and membership) for the newest page
 *   and for pages before random ids deep in the history, and the same SELECTs raw.
 * Target: history page p99 < 2 ms on the embedded store.
 */
const SUITE = 'messaging';
const MESSAGES = Number(process.env.BENCH_MESSAGING_MESSAGES ?? 1_000_000);
const BUCKETS = 200;
const SENDS = 5_000;
const PAGES = 5_000;
const LIMIT = 50;
const LOAD_BATCH = 500;
const CONCURRENT = 64;
const CONCURRENT_SENDS = 64 * 320;
const SIDEBAR = 100;

/** Ids over BUCKETS buckets, ~evenly spaced in time, oldest first. */
function generateIds(): bigint[] {
  const start = 100 * BUCKET_MS; // 2024-01-01 + 1000 days
  const span = BUCKETS * BUCKET_MS;
  const step = span / MESSAGES;
  const ids: bigint[] = new Array(MESSAGES);
  for (let i = 0; i < MESSAGES; i += 1) ids[i] = composeId(Math.floor(start + i * step), 1, i % 4096);
  return ids;
}

/** The raw baseline writing a send's six rows (messaging-raw-send.ts). */
const RAW_SHAPE = "raw better-sqlite3, a send's 6 rows in one transaction";

const CONCURRENT_SCENARIO = `send, ${CONCURRENT} concurrent senders across ${CONCURRENT} channels`;

function concurrentSends(subject: string) {
  return {
    suite: SUITE,
    scenario: CONCURRENT_SCENARIO,
    subject,
    iterations: CONCURRENT_SENDS,
    concurrency: CONCURRENT,
  };
}

/** Issue 19's embedded targets, each met or not. */
function targets(results: readonly ScenarioResult[]): string[] {
  const of = (scenario: string, subject = 'switchboard') =>
    results.find((r) => r.scenario === scenario && r.subject === subject)!;
  const send = of('send message');
  const sendRaw = of('send message', 'raw better-sqlite3');
  const sendShape = of('send message', RAW_SHAPE);
  const concurrent = of(CONCURRENT_SCENARIO);
  const unread = of('unread count (cap 99)');
  const sidebar = of(`unread sidebar (${SIDEBAR} channels)`);
  const pageP99 = Math.max(
    ...results
      .filter((r) => r.scenario.startsWith('history') && r.subject === 'switchboard')
      .map((r) => r.p99Ms),
  );
  const verdict = (ok: boolean) => (ok ? 'met' : 'NOT met');
  const ratio = costRatio(send, sendRaw);
  return [
    `- Target send one at a time ≥ 8,000/s, p99 < 2 ms, ≤ 5× raw: ${Math.round(send.opsPerSecond).toLocaleString('en-US')}/s, p99 ${send.p99Ms.toFixed(3)} ms, ${ratio.toFixed(1)}× — ${verdict(send.opsPerSecond >= 8000 && send.p99Ms < 2 && ratio <= 5)}.`,
    `- The send's rows written by hand (${RAW_SHAPE}): ${Math.round(sendShape.opsPerSecond).toLocaleString('en-US')}/s, p50 ${sendShape.p50Ms.toFixed(3)} ms, ${costRatio(sendShape, sendRaw).toFixed(1)}× the single INSERT; the service costs ${costRatio(send, sendShape).toFixed(1)}× that (the engine's statement planning and cell-state columns, the membership check, the id, the live publish, and the effects worker indexing each message for search on the same thread).`,
    `- Target ${CONCURRENT} concurrent senders ≥ 20,000/s: ${Math.round(concurrent.opsPerSecond).toLocaleString('en-US')}/s — ${verdict(concurrent.opsPerSecond >= 20_000)}.`,
    `- Target unread count p50 < 0.1 ms (a member with a read mark): ${unread.p50Ms.toFixed(3)} ms — ${verdict(unread.p50Ms < 0.1)}; sidebar across ${SIDEBAR} channels p50 < 2 ms: ${sidebar.p50Ms.toFixed(3)} ms — ${verdict(sidebar.p50Ms < 2)}.`,
    `- Target history page (50) p99 < 1 ms at ${MESSAGES.toLocaleString('en-US')} messages: ${pageP99.toFixed(3)} ms — ${verdict(pageP99 < 1)}.`,
  ];
}

export async function run(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'switchboard-bench-messaging-'));
  const results: ScenarioResult[] = [];
  try {
    const config = loadConfig({ path: undefined, env: { SWITCHBOARD_STORE_DATA_DIR: dir } });
    const switchboard = await createSwitchboard(config, { logger: pino({ level: 'silent' }) });
    await applySchema(switchboard);
    const messaging = switchboard.messaging;
    const engine = switchboard.context.wideColumn;
    const channel = await messaging.chats.create('reader', {
      title: 'bench',
      kind: 'group',
      participants: [{ userId: 'writer' }],
    });
    const sendChannel = await messaging.chats.create('writer', { title: 'bench sends', kind: 'group' });

    const ids = generateIds();
    const t0 = Date.now();
    let ops: BatchOp[] = [];
    const seenBuckets = new Set<number>();
    for (let i = 0; i < ids.length; i += 1) {
      const id = ids[i]!;
      const bucket = bucketOfId(id);
      ops.push(
        batchOp.insert(messagesTable, {
          channel_id: channel.id,
          bucket,
          message_id: id,
          sender_id: i % 2 ? 'writer' : 'reader',
          content: `message ${i} with some ordinary chat text in it`,
          message_type: 'text',
          source: 'bench',
          deleted: false,
          has_reactions: false,
        }),
      );
      if (!seenBuckets.has(bucket)) {
        seenBuckets.add(bucket);
        ops.push(batchOp.insert(channelBucketsTable, { channel_id: channel.id, bucket }));
      }
      if (ops.length >= LOAD_BATCH) {
        await engine.batch(ops);
        ops = [];
      }
    }
    if (ops.length > 0) await engine.batch(ops);
    await engine.update(
      channelMetadataTable,
      { channel_id: channel.id },
      { first_bucket: bucketOfId(ids[0]!), last_message_id: ids.at(-1)! },
    );
    const loadSeconds = (Date.now() - t0) / 1000;
    console.log(
      `loaded ${MESSAGES} messages over ${seenBuckets.size} buckets in ${loadSeconds.toFixed(1)} s`,
    );
    // A few reactions on the newest page, so pages pay for the reaction reads they would in real use.
    for (let k = 1; k <= 5; k += 1)
      await messaging.reactions.add(channel.id, 'reader', ids[ids.length - k * 7]!, '👍');

    // Raw better-sqlite3: the same table layout, rows and statements.
    const raw = new Database(join(dir, 'raw.db'));
    raw.pragma('journal_mode = WAL');
    raw.pragma('synchronous = NORMAL');
    raw.exec(`CREATE TABLE messages (channel_id TEXT NOT NULL, bucket INTEGER NOT NULL, message_id INTEGER NOT NULL,
      sender_id TEXT, content TEXT, message_type TEXT, source TEXT, deleted INTEGER, has_reactions INTEGER,
      PRIMARY KEY (channel_id, bucket, message_id)) WITHOUT ROWID;
      CREATE TABLE channel_buckets (channel_id TEXT NOT NULL, bucket INTEGER NOT NULL, PRIMARY KEY (channel_id, bucket)) WITHOUT ROWID;`);
    const rawInsert = raw.prepare(
      'INSERT INTO messages (channel_id, bucket, message_id, sender_id, content, message_type, source, deleted, has_reactions) VALUES (?, ?, ?, ?, ?, ?, ?, 0, 0)',
    );
    const rawLoad = raw.transaction(() => {
      for (let i = 0; i < ids.length; i += 1) {
        rawInsert.run(
          channel.id,
          bucketOfId(ids[i]!),
          ids[i]!,
          i % 2 ? 'writer' : 'reader',
          `message ${i} with some ordinary chat text in it`,
          'text',
          'bench',
        );
      }
      for (const b of seenBuckets)
        raw.prepare('INSERT INTO channel_buckets VALUES (?, ?)').run(channel.id, b);
    });
    rawLoad();
    raw.defaultSafeIntegers(true);
    const rawBuckets = raw.prepare(
      'SELECT bucket FROM channel_buckets WHERE channel_id = ? AND bucket <= ? ORDER BY bucket DESC LIMIT 64',
    );
    // `LIMIT +?` as the engine writes it: a bare bound `LIMIT ?` makes SQLite re-prepare on every run.
    const rawPage = raw.prepare(
      'SELECT * FROM messages WHERE channel_id = ? AND bucket = ? AND message_id < ? ORDER BY message_id DESC LIMIT +?',
    );
    const rawHistory = (before: bigint) => {
      const rows: unknown[] = [];
      for (const { bucket } of rawBuckets.all(channel.id, bucketOfId(before)) as { bucket: bigint }[]) {
        rows.push(...rawPage.all(channel.id, bucket, before, LIMIT + 1 - rows.length));
        if (rows.length > LIMIT) break;
      }
      return rows;
    };

    // Sends, with the effects worker running as `serve` runs it (the search index follows).
    await messaging.effects.start();
    const storeBefore = await storeTotals(switchboard.context.metrics);
    results.push(
      await measure(
        { suite: SUITE, scenario: 'send message', subject: 'switchboard', iterations: SENDS },
        (i) =>
          messaging.messages.send(sendChannel.id, 'writer', {
            content: `send ${i} with some ordinary chat text`,
          }),
      ),
    );
    let drainStart = performance.now();
    await messaging.effects.catchUp();
    const sequentialDrainMs = performance.now() - drainStart;
    // Per send, warm-up sends (measure's default) and their effects included.
    const sendSteps = perOperation(
      storeBefore,
      await storeTotals(switchboard.context.metrics),
      SENDS + Math.min(1000, Math.floor(SENDS / 10)),
    );
    const concurrentChannels = await Promise.all(
      Array.from({ length: CONCURRENT }, (_, k) =>
        messaging.chats.create(`writer-${k}`, { title: `concurrent ${k}`, kind: 'group' }),
      ),
    );
    results.push(
      await measure(concurrentSends('switchboard'), (i) =>
        messaging.messages.send(concurrentChannels[i % CONCURRENT]!.id, `writer-${i % CONCURRENT}`, {
          content: `concurrent send ${i} with some ordinary chat text`,
        }),
      ),
    );
    drainStart = performance.now();
    await messaging.effects.catchUp();
    const concurrentDrainMs = performance.now() - drainStart;
    const indexed = await messaging.search.inChannel(concurrentChannels[0]!.id, 'writer-0', {
      q: 'concurrent',
      limit: 100,
    });
    let nextRaw = composeId(Date.now() - SNOWFLAKE_EPOCH_MS, 2, 0);
    const rawSend = (channelId: string, i: number) => {
      nextRaw += 1n;
      rawInsert.run(
        channelId,
        bucketOfId(nextRaw),
        nextRaw,
        'writer',
        `send ${i} with some ordinary chat text`,
        'text',
        'bench',
      );
    };
    results.push(
      await measure(
        { suite: SUITE, scenario: 'send message', subject: 'raw better-sqlite3', iterations: SENDS },
        (i) => rawSend('send-channel', i),
      ),
    );
    results.push(
      await measure(
        concurrentSends('raw better-sqlite3'),
        // better-sqlite3 is synchronous: concurrent callers simply take turns, one commit each.
        async (i) => rawSend(`channel-${i % CONCURRENT}`, i),
      ),
    );
    const shapeSend = rawSendShape(raw);
    results.push(
      await measure(
        { suite: SUITE, scenario: 'send message', subject: RAW_SHAPE, iterations: SENDS },
        (i) => {
          nextRaw += 1n;
          shapeSend('send-channel', nextRaw, `send ${i} with some ordinary chat text`);
        },
      ),
    );

    // History pages.
    const deepAnchor = (i: number) => ids[LIMIT + ((i * 7919) % (ids.length - LIMIT))]!;
    const newest = ids.at(-1)! + 1n;
    results.push(
      await measure(
        { suite: SUITE, scenario: 'history newest page (50)', subject: 'switchboard', iterations: PAGES },
        () => messaging.messages.history(channel.id, 'reader', { limit: LIMIT }),
      ),
    );
    results.push(
      await measure(
        {
          suite: SUITE,
          scenario: 'history newest page (50)',
          subject: 'raw better-sqlite3',
          iterations: PAGES,
        },
        () => rawHistory(newest),
      ),
    );
    results.push(
      await measure(
        {
          suite: SUITE,
          scenario: 'history page before a random id (50)',
          subject: 'switchboard',
          iterations: PAGES,
        },
        (i) => messaging.messages.history(channel.id, 'reader', { limit: LIMIT, before: deepAnchor(i) }),
      ),
    );
    results.push(
      await measure(
        {
          suite: SUITE,
          scenario: 'history page before a random id (50)',
          subject: 'raw better-sqlite3',
          iterations: PAGES,
        },
        (i) => rawHistory(deepAnchor(i)),
      ),
    );
    // The reader has read up to the 40th newest message (an explicit mark: a counter snapshot).
    await messaging.reads.markRead(channel.id, 'reader', ids[ids.length - 40]!);
    results.push(
      await measure(
        { suite: SUITE, scenario: 'unread count (cap 99)', subject: 'switchboard', iterations: 5_000 },
        () => messaging.reads.unread(channel.id, 'reader'),
      ),
    );
    // The writer never marked this channel: no snapshot, so the count reads cap + 1 messages.
    results.push(
      await measure(
        {
          suite: SUITE,
          scenario: 'unread count (cap 99), no read mark: counted by reading',
          subject: 'switchboard',
          iterations: 2_000,
        },
        () => messaging.reads.unread(channel.id, 'writer'),
      ),
    );
    // The sidebar: one member of SIDEBAR channels, each with a few messages, some read.
    for (let k = 0; k < SIDEBAR; k += 1) {
      const c = await messaging.chats.create('owner', {
        title: `sidebar ${k}`,
        kind: 'group',
        participants: [{ userId: 'member' }],
      });
      let last;
      for (let m = 0; m < 5; m += 1)
        last = await messaging.messages.send(c.id, 'owner', { content: `s${m}` });
      // Half read to the end, half with three unread.
      const history = await messaging.messages.history(c.id, 'member', { limit: 4 });
      await messaging.reads.markRead(c.id, 'member', k % 2 === 0 ? last!.id : history.messages[3]!.id);
    }
    results.push(
      await measure(
        {
          suite: SUITE,
          scenario: `unread sidebar (${SIDEBAR} channels)`,
          subject: 'switchboard',
          iterations: 500,
        },
        () => messaging.reads.unreadAll('member'),
      ),
    );
    raw.close();
    await switchboard.close();

    // The same scenarios on ScyllaDB/Cassandra when a cluster is configured (issue 22).
    let clusterNotes = [
      '- ScyllaDB/Cassandra: skipped (set SWITCHBOARD_TEST_SCYLLA_CONTACT_POINTS to run the cluster scenarios).',
    ];
    if (process.env.SWITCHBOARD_TEST_SCYLLA_CONTACT_POINTS) {
      const { runScyllaMessagingBench } = await import('./messaging-scylla.js');
      const cluster = await runScyllaMessagingBench();
      results.push(...cluster.results);
      clusterNotes = [
        `- Cluster scenarios: ${process.env.SWITCHBOARD_TEST_SCYLLA_FLAVOR ?? 'scylla'} at ${process.env.SWITCHBOARD_TEST_SCYLLA_CONTACT_POINTS}, the messaging wide-column store on it, the other ports embedded.`,
        ...cluster.notes,
      ];
    }

    const table = formatTable(results);
    const ratio = (scenario: string) => {
      const s = results.find((r) => r.scenario === scenario && r.subject === 'switchboard')!;
      const b = results.find((r) => r.scenario === scenario && r.subject === 'raw better-sqlite3')!;
      return `${scenario}: ${costRatio(s, b).toFixed(1)}× the raw cost per operation`;
    };
    const body = [
      `${MESSAGES.toLocaleString('en-US')} messages in one channel over ${seenBuckets.size} buckets (loaded through the engine's batch in ${loadSeconds.toFixed(1)} s).`,
      '',
      table,
      '',
      `- ${ratio('send message')}`,
      `- ${ratio(CONCURRENT_SCENARIO)}`,
      `- Where a sequential send's store time goes embedded (per send, from the service's own metrics, costliest first: wide-column by table and operation, "*" for a batch, i.e. the send's group-commit write; the effects worker's reads and writes and the search index's relational statements included; the rest is the service, hot state and Node): ${sendSteps.join('; ')}.`,
      `- Search index (effects outbox, applied by the running worker): caught up ${sequentialDrainMs.toFixed(0)} ms after the last sequential send and ${concurrentDrainMs.toFixed(0)} ms after the last concurrent one; a search of one concurrent channel then found ${indexed.messages.length} messages (limit 100, of ${CONCURRENT_SENDS / CONCURRENT} sent).`,
      ...targets(results),
      `- ${ratio('history newest page (50)')}`,
      `- ${ratio('history page before a random id (50)')}`,
      ...clusterNotes,
      "- A switchboard send (issue 19) includes the membership check (role cached in hot state), the Snowflake id, the Telegram link check (cached per process), then one write holding the message, the channel's and the sender's counters, the feed event (for stream resume), the sender's read mark and the effects-outbox row (one transaction shared by concurrent sends embedded; on a cluster the message, its outbox row and its feed event as one logged batch, the counters and the read mark as concurrent statements), and the live-event publish; the search index and the channel's last-message fields follow from the outbox. The raw row is one INSERT in its own transaction.",
    ].join('\n');
    console.log(body);
    recordResults(SUITE, body);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
