import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { SwitchboardError } from '../../errors/index.js';
import type { CachedFacts } from '../../ports/hot-state/cached-facts.js';
import type { Executor, RelationalStore } from '../../ports/relational/store.js';
import type { WideColumnEngine } from '../../ports/wide-column/engine.js';
import type { Clock } from '../../shared/clock.js';
import { bucketOfTime } from './buckets.js';
import type { MessagingDatabase } from './migrations.js';
import { channelMetadataTable } from './tables.js';
import type { Channel, ChannelKind, Participant, ParticipantRole } from './types.js';
import { checkChannelId, checkTitle, checkUserId, invalid } from './validation.js';

const KINDS: readonly ChannelKind[] = ['direct', 'group', 'support'];
const ROLES: readonly ParticipantRole[] = ['owner', 'admin', 'member'];
const MAX_TITLE = 200;
const MAX_INITIAL_PARTICIPANTS = 1000;

export interface CreateChannelInput {
  title: string;
  kind: ChannelKind;
  /** Other participants; the creator is always added as owner. */
  participants?: { userId: string; role?: ParticipantRole }[];
}

type ChannelRow = MessagingDatabase['messaging_channels'];
/** The cached answer for "not a participant". */
const NO_ROLE = '-';
type ParticipantRow = MessagingDatabase['messaging_participants'];

function iso(value: string | Date): string {
  return value instanceof Date ? value.toISOString() : new Date(value).toISOString();
}

function toChannel(row: ChannelRow): Channel {
  return {
    id: row.id,
    title: row.title,
    kind: row.kind,
    createdAt: iso(row.created_at),
    createdBy: row.created_by,
  };
}

function toParticipant(row: ParticipantRow): Participant {
  return { channelId: row.channel_id, userId: row.user_id, role: row.role, joinedAt: iso(row.joined_at) };
}

/**
 * Chat metadata in the relational store: channels, participants and the membership check
 * every other service runs first. A missing channel and a channel the user is not in both
 * answer NOT_A_MEMBER, so the API does not reveal which channel ids exist.
 */
export class ChatService {
  constructor(
    private readonly relational: RelationalStore,
    private readonly wideColumn: WideColumnEngine,
    private readonly clock: Clock,
    /**
     * Told after a participant is removed (live streams use it to drop the user at once);
     * failures are swallowed: the removal stands, and open streams also re-check membership.
     */
    private readonly onParticipantRemoved?: (channelId: string, userId: string) => Promise<void>,
    /**
     * Roles cached in hot state, so a send does not query the relational store (issue 19).
     * Every change of a participant invalidates its entry before the change is reported done,
     * so the next request in any process sharing the hot state sees it (cached-facts.ts).
     */
    private readonly roles?: CachedFacts,
  ) {}

  private db(executor?: Executor): Kysely<MessagingDatabase> {
    return (executor ?? this.relational.db) as Kysely<MessagingDatabase>;
  }

  async create(actor: string, input: CreateChannelInput, executor?: Executor): Promise<Channel> {
    checkUserId(actor, 'actor');
    const title = checkTitle(input.title, MAX_TITLE);
    if (!KINDS.includes(input.kind)) throw invalid('kind', `expected one of ${KINDS.join(', ')}`);
    const others = input.participants ?? [];
    if (others.length > MAX_INITIAL_PARTICIPANTS)
      throw invalid('participants', `at most ${MAX_INITIAL_PARTICIPANTS}`);
    const members = new Map<string, ParticipantRole>([[actor, 'owner']]);
    others.forEach((p, i) => {
      const userId = checkUserId(p.userId, `participants.${i}.userId`);
      const role = p.role ?? 'member';
      if (!ROLES.includes(role))
        throw invalid(`participants.${i}.role`, `expected one of ${ROLES.join(', ')}`);
      // Listed twice (perhaps with two roles): which one was meant is the caller's to say.
      if (members.has(userId) && userId !== actor)
        throw invalid(`participants.${i}.userId`, `lists ${userId} a second time`);
      if (!members.has(userId)) members.set(userId, role);
    });
    if (input.kind === 'direct' && members.size !== 2) {
      throw invalid(
        'participants',
        'a direct channel has exactly two participants: the creator and one other',
      );
    }
    const now = this.clock.now();
    const row: ChannelRow = {
      id: randomUUID(),
      title,
      kind: input.kind,
      created_at: now.toISOString(),
      created_by: actor,
    };
    await this.relational.transaction(async (trx) => {
      const db = this.db(trx);
      await db.insertInto('messaging_channels').values(row).execute();
      await db
        .insertInto('messaging_participants')
        .values(
          [...members].map(([userId, role]) => ({
            channel_id: row.id,
            user_id: userId,
            role,
            joined_at: row.created_at,
          })),
        )
        .execute();
    }, executor);
    // Written after the relational rows: if a caller's transaction later rolls back, this row
    // is an orphan under an id nobody knows, which is harmless; the reverse order would not be.
    await this.wideColumn.insert(channelMetadataTable, {
      channel_id: row.id,
      name: row.title,
      first_bucket: bucketOfTime(now),
      created_at: now,
    });
    return toChannel(row);
  }

  /**
   * The actor's role in the channel; NOT_A_MEMBER when they have none. Inside a transaction
   * (`executor`) the record is read, never the cache: role changes decide on what they lock.
   */
  async requireMember(channelId: string, actor: string, executor?: Executor): Promise<ParticipantRole> {
    const role =
      executor || !this.roles
        ? await this.loadRole(channelId, actor, executor)
        : await this.roles.get(roleKey(channelId, actor), () => this.loadRole(channelId, actor));
    if (role === NO_ROLE) {
      throw new SwitchboardError('NOT_A_MEMBER', `User is not a member of channel ${channelId}`, {
        field: 'userId',
        details: { channelId },
      });
    }
    return role as ParticipantRole;
  }

  private async loadRole(channelId: string, actor: string, executor?: Executor): Promise<string> {
    const row = await this.db(executor)
      .selectFrom('messaging_participants')
      .select('role')
      .where('channel_id', '=', channelId)
      .where('user_id', '=', actor)
      .executeTakeFirst();
    return row?.role ?? NO_ROLE;
  }

  /**
   * Drops the cached role of a participant whose row changed. Call after the change is
   * committed; a failure (hot state unreachable) is thrown, so the change is not reported
   * done while another process could still act on the old role.
   */
  async participantChanged(channelId: string, userId: string): Promise<void> {
    await this.roles?.invalidate(roleKey(channelId, userId));
  }

  async get(channelId: string, actor: string): Promise<Channel & { participants: Participant[] }> {
    const id = checkChannelId(channelId);
    await this.requireMember(id, actor);
    const db = this.db();
    const [channel, participants] = await Promise.all([
      db.selectFrom('messaging_channels').selectAll().where('id', '=', id).executeTakeFirstOrThrow(),
      db
        .selectFrom('messaging_participants')
        .selectAll()
        .where('channel_id', '=', id)
        .orderBy('joined_at')
        .orderBy('user_id')
        .execute(),
    ]);
    return { ...toChannel(channel), participants: participants.map(toParticipant) };
  }

  /** The channels the user belongs to, newest first. */
  async listForUser(actor: string): Promise<(Channel & { role: ParticipantRole })[]> {
    checkUserId(actor, 'actor');
    const rows = await this.db()
      .selectFrom('messaging_participants as p')
      .innerJoin('messaging_channels as c', 'c.id', 'p.channel_id')
      .select(['c.id', 'c.title', 'c.kind', 'c.created_at', 'c.created_by', 'p.role'])
      .where('p.user_id', '=', actor)
      .orderBy('c.created_at', 'desc')
      .orderBy('c.id')
      .execute();
    return rows.map((r) => ({ ...toChannel(r), role: r.role }));
  }

  /** The user's channel ids, the most recently joined first, at most `limit`. */
  async channelIdsOf(actor: string, limit?: number): Promise<string[]> {
    let query = this.db()
      .selectFrom('messaging_participants')
      .select('channel_id')
      .where('user_id', '=', actor)
      .orderBy('joined_at', 'desc')
      .orderBy('channel_id');
    if (limit !== undefined) query = query.limit(limit);
    const rows = await query.execute();
    return rows.map((r) => r.channel_id);
  }

  /**
   * Owners and admins add participants; adding someone already present changes their role.
   * Role rules: only an owner makes, demotes or removes an owner; an admin manages admins
   * and members; a channel always keeps at least one owner (OWNER_REQUIRED), so the last
   * owner hands over (makes another owner) before stepping down or leaving.
   */
  async addParticipant(
    channelId: string,
    actor: string,
    userId: string,
    role: ParticipantRole = 'member',
    executor?: Executor,
  ): Promise<Participant> {
    const id = checkChannelId(channelId);
    checkUserId(userId);
    if (!ROLES.includes(role)) throw invalid('role', `expected one of ${ROLES.join(', ')}`);
    const participant = await this.relational.transaction(async (trx) => {
      const channel = await this.lockChannel(id, trx);
      const actorRole = await this.requireMember(id, actor, trx);
      if (actorRole === 'member') throw notAllowed('only owners and admins add participants');
      if (role === 'owner' && actorRole !== 'owner') throw notAllowed('only an owner can make another owner');
      const db = this.db(trx);
      const existing = await db
        .selectFrom('messaging_participants')
        .selectAll()
        .where('channel_id', '=', id)
        .where('user_id', '=', userId)
        .executeTakeFirst();
      if (existing) {
        if (existing.role === role) return toParticipant(existing);
        if (existing.role === 'owner') {
          if (actorRole !== 'owner') throw notAllowed("only an owner can change an owner's role");
          await this.requireAnotherOwner(id, userId, trx);
        }
        await db
          .updateTable('messaging_participants')
          .set({ role })
          .where('channel_id', '=', id)
          .where('user_id', '=', userId)
          .execute();
        return toParticipant({ ...existing, role });
      }
      if (channel.kind === 'direct') throw notAllowed('a direct channel cannot take more participants');
      const row: ParticipantRow = {
        channel_id: id,
        user_id: userId,
        role,
        joined_at: this.clock.now().toISOString(),
      };
      await db.insertInto('messaging_participants').values(row).execute();
      return toParticipant(row);
    }, executor);
    // Also when nothing changed: cheap, and it repairs an entry a lost invalidation left.
    await this.participantChanged(id, userId);
    return participant;
  }

  /**
   * Owners and admins remove others; anyone may leave. Only an owner removes an owner, and
   * the last owner cannot leave (OWNER_REQUIRED): they make another owner first.
   */
  async removeParticipant(
    channelId: string,
    actor: string,
    userId: string,
    executor?: Executor,
  ): Promise<boolean> {
    const id = checkChannelId(channelId);
    checkUserId(userId);
    const removed = await this.relational.transaction(async (trx) => {
      await this.lockChannel(id, trx);
      const actorRole = await this.requireMember(id, actor, trx);
      if (userId !== actor && actorRole === 'member')
        throw notAllowed('only owners and admins remove others');
      const target = await this.db(trx)
        .selectFrom('messaging_participants')
        .select('role')
        .where('channel_id', '=', id)
        .where('user_id', '=', userId)
        .executeTakeFirst();
      if (!target) return false;
      if (target.role === 'owner') {
        if (actorRole !== 'owner') throw notAllowed('only an owner can remove an owner');
        await this.requireAnotherOwner(id, userId, trx);
      }
      const result = await this.db(trx)
        .deleteFrom('messaging_participants')
        .where('channel_id', '=', id)
        .where('user_id', '=', userId)
        .executeTakeFirst();
      return Number(result.numDeletedRows) > 0;
    }, executor);
    await this.participantChanged(id, userId);
    if (removed && this.onParticipantRemoved) {
      await this.onParticipantRemoved(id, userId).catch(() => undefined);
    }
    return removed;
  }

  /**
   * Reads the channel inside a role change; on PostgreSQL it locks the row so role changes of
   * one channel run one at a time (two owners demoting each other cannot both pass the
   * owner count). SQLite transactions already run one at a time. A missing channel answers
   * NOT_A_MEMBER, as the membership check does.
   */
  private async lockChannel(channelId: string, trx: Executor): Promise<{ kind: ChannelKind }> {
    let query = this.db(trx).selectFrom('messaging_channels').select('kind').where('id', '=', channelId);
    if (this.relational.dialect === 'postgres') query = query.forUpdate();
    const channel = await query.executeTakeFirst();
    if (!channel) {
      throw new SwitchboardError('NOT_A_MEMBER', `User is not a member of channel ${channelId}`, {
        field: 'userId',
        details: { channelId },
      });
    }
    return channel;
  }

  /** OWNER_REQUIRED unless an owner other than `userId` stays in the channel. */
  private async requireAnotherOwner(channelId: string, userId: string, trx: Executor): Promise<void> {
    const other = await this.db(trx)
      .selectFrom('messaging_participants')
      .select('user_id')
      .where('channel_id', '=', channelId)
      .where('role', '=', 'owner')
      .where('user_id', '!=', userId)
      .limit(1)
      .executeTakeFirst();
    if (!other) {
      throw new SwitchboardError(
        'OWNER_REQUIRED',
        'A channel must keep an owner: make another participant owner first',
        { field: 'userId', details: { channelId } },
      );
    }
  }
}

function roleKey(channelId: string, userId: string): string {
  return `${channelId}:${userId}`;
}

export function notAllowed(why: string): SwitchboardError {
  return new SwitchboardError('NOT_ALLOWED', why, { field: 'userId' });
}
