import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { messageReadMarksTable, messageReadPositionsTable } from '../../../src/modules/messaging/tables.js';
import type { WideColumnEngine } from '../../../src/ports/wide-column/engine.js';
import { messagingHarness, type MessagingHarness } from './helpers.js';

/** Every engine call with its options, to see which writes are conditional. */
function recording(calls: { method: string; table: string; conditional: boolean }[]) {
  return (engine: WideColumnEngine): WideColumnEngine =>
    new Proxy(engine, {
      get(target, prop, receiver) {
        const value = Reflect.get(target, prop, receiver) as unknown;
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          if (prop === 'batch') {
            // A send writes its mark inside one batch with the message: record each row.
            for (const op of args[0] as { kind: string; table: { name: string } }[])
              calls.push({ method: op.kind, table: op.table.name, conditional: false });
            return (value as (...a: unknown[]) => unknown).apply(target, args);
          }
          const table = (args[0] as { name?: string } | undefined)?.name ?? '';
          const options = args.find((a, i) => i > 1 && typeof a === 'object' && a !== null) as
            | Record<string, unknown>
            | undefined;
          const conditional = Boolean(
            options && ('ifNotExists' in options || 'ifExists' in options || 'if' in options),
          );
          calls.push({ method: String(prop), table, conditional });
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      },
    });
}

describe('read marks (issue 22: no Paxos, no read before the write)', () => {
  let h: MessagingHarness;
  const calls: { method: string; table: string; conditional: boolean }[] = [];
  let channel: string;

  beforeAll(async () => {
    h = await messagingHarness({ wrap: (ctx) => ({ ...ctx, wideColumn: recording(calls)(ctx.wideColumn) }) });
    channel = (
      await h.svc.chats.create('alice', { title: 'marks', kind: 'group', participants: [{ userId: 'bob' }] })
    ).id;
  });
  afterAll(() => h.close());

  it("moves the sender's position on a send with one unconditional insert (in the send's write) and no read of it", async () => {
    calls.length = 0;
    const sent = await h.svc.messages.send(channel, 'alice', { content: 'hi' });
    const touched = calls.filter(
      (c) => c.table === messageReadMarksTable.name || c.table === messageReadPositionsTable.name,
    );
    expect(touched.filter((c) => c.method !== 'deleteSlice')).toEqual([
      { method: 'insert', table: messageReadMarksTable.name, conditional: false },
    ]);
    expect(calls.filter((c) => c.conditional)).toEqual([]);
    expect(await h.svc.reads.position(channel, 'alice')).toBe(sent.id);
  });

  it('keeps the furthest mark under concurrent marks from several devices, without conditional writes', async () => {
    const ids = [];
    for (let i = 0; i < 5; i += 1)
      ids.push((await h.svc.messages.send(channel, 'alice', { content: `m${i}` })).id);
    calls.length = 0;
    await Promise.all(
      [ids[4]!, ids[0]!, ids[2]!, ids[4]!, ids[1]!].map((id) => h.svc.reads.markRead(channel, 'bob', id)),
    );
    expect(await h.svc.reads.position(channel, 'bob')).toBe(ids[4]);
    expect(calls.filter((c) => c.conditional)).toEqual([]);
    // A later mark of an older message changes nothing and says so.
    expect(await h.svc.reads.markRead(channel, 'bob', ids[0]!)).toEqual({
      moved: false,
      lastReadMessageId: ids[4],
    });
  });

  it('reads a position stored before read marks existed, and moves on from it', async () => {
    const ids = [];
    for (let i = 0; i < 3; i += 1)
      ids.push((await h.svc.messages.send(channel, 'alice', { content: `l${i}` })).id);
    await h.ctx.wideColumn.insert(messageReadPositionsTable, {
      channel_id: channel,
      user_id: 'carol',
      last_read_message_id: ids[1]!,
      updated_at: new Date(),
    });
    await h.svc.chats.addParticipant(channel, 'alice', 'carol');
    expect(await h.svc.reads.position(channel, 'carol')).toBe(ids[1]);
    expect((await h.svc.reads.unread(channel, 'carol')).count).toBe(1);
    await h.svc.reads.markRead(channel, 'carol', ids[2]!);
    expect(await h.svc.reads.position(channel, 'carol')).toBe(ids[2]);
  });

  it('clears old marks now and then, so a partition stays small however often a member reads', async () => {
    const ids = [];
    for (let i = 0; i < 200; i += 1)
      ids.push((await h.svc.messages.send(channel, 'bob', { content: `r${i}` })).id);
    for (const id of ids) await h.svc.reads.markRead(channel, 'alice', id);
    const marks = await h.ctx.wideColumn.slice(messageReadMarksTable, {
      key: { channel_id: channel, user_id: 'alice' },
      limit: 1000,
    });
    expect(marks.rows[0]!.message_id).toBe(ids[199]);
    // One clear in 16 advances on average: 400 advances (sends + marks) leave far fewer rows.
    expect(marks.rows.length).toBeLessThan(150);
  });
});
