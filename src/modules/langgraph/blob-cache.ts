/** A channel value as stored in `lg_blobs`: the serde's type tag and bytes. */
export interface StoredBlob {
  type: string;
  bytes: Uint8Array;
}

/** The stored values a checkpoint names, by channel (with the version each was stored at). */
export type HeadBlobs = Map<string, { version: string; blob: StoredBlob }>;

interface Head {
  checkpointId: string;
  blobs: HeadBlobs;
  bytes: number;
}

const sizeOf = (blobs: HeadBlobs): number => {
  let bytes = 0;
  for (const { blob } of blobs.values()) bytes += blob.bytes.byteLength;
  return bytes;
};

/**
 * The channel values of the checkpoint a saver last wrote or read in each thread namespace
 * (its "head"), so that the `getTuple` LangGraph runs after every `put` finds them without a
 * point read per channel. Bounded: least recently used heads are dropped past `maxBytes`.
 *
 * Why this is safe with other processes writing and deleting threads: an entry is used only
 * for a checkpoint row just read from the store whose id is the head's, and only for the
 * channel versions that row names. Checkpoint ids are uuid6, never reused, so a row with that
 * id still in the store means the thread was not deleted since (deleteThread removes the row
 * with the blobs); a thread deleted and started again elsewhere has new checkpoint ids, read
 * from the store. Blobs are immutable per (thread, namespace, channel, version) otherwise.
 */
export class HeadCache {
  /** By thread and namespace, least recently used first. */
  private readonly heads = new Map<string, Head>();
  private total = 0;

  constructor(private readonly maxBytes: number) {}

  get enabled(): boolean {
    return this.maxBytes > 0;
  }

  /** The values known for checkpoint `checkpointId` if it is the head of its thread namespace. */
  lookup(threadId: string, ns: string, checkpointId: string): HeadBlobs | undefined {
    const key = headKey(threadId, ns);
    const head = this.heads.get(key);
    if (head === undefined || head.checkpointId !== checkpointId) return undefined;
    this.heads.delete(key);
    this.heads.set(key, head);
    return head.blobs;
  }

  /**
   * After a put of `checkpointId` (child of `parentId`) stored `changed`: the new head keeps
   * the parent's values when the parent was the head, since the checkpoint names them too.
   */
  advance(
    threadId: string,
    ns: string,
    parentId: string | undefined,
    checkpointId: string,
    changed: Iterable<[channel: string, version: string, blob: StoredBlob]>,
  ): void {
    if (!this.enabled) return;
    const previous = this.heads.get(headKey(threadId, ns));
    const blobs: HeadBlobs =
      previous !== undefined && previous.checkpointId === parentId ? previous.blobs : new Map();
    // A copy: the serde may have returned the caller's own array (a "bytes" value).
    for (const [channel, version, blob] of changed)
      blobs.set(channel, { version, blob: { type: blob.type, bytes: blob.bytes.slice() } });
    this.set(threadId, ns, checkpointId, blobs);
  }

  /** After reading checkpoint `checkpointId` and the values it names from the store. */
  remember(threadId: string, ns: string, checkpointId: string, blobs: HeadBlobs): void {
    if (this.enabled) this.set(threadId, ns, checkpointId, blobs);
  }

  /** Drops every namespace of a thread (deleteThread). */
  forget(threadId: string): void {
    const prefix = headKey(threadId, '');
    for (const [key, head] of this.heads) {
      if (!key.startsWith(prefix)) continue;
      this.total -= head.bytes;
      this.heads.delete(key);
    }
  }

  private set(threadId: string, ns: string, checkpointId: string, blobs: HeadBlobs): void {
    const key = headKey(threadId, ns);
    const previous = this.heads.get(key);
    if (previous !== undefined) {
      this.total -= previous.bytes;
      this.heads.delete(key);
    }
    const bytes = sizeOf(blobs);
    if (bytes > this.maxBytes) return;
    this.heads.set(key, { checkpointId, blobs, bytes });
    this.total += bytes;
    for (const [oldest, head] of this.heads) {
      if (this.total <= this.maxBytes) break;
      this.total -= head.bytes;
      this.heads.delete(oldest);
    }
  }
}

/** Thread ids and namespaces are text; NUL cannot end a thread id prefix by accident. */
const headKey = (threadId: string, ns: string): string => `${threadId}\u0000${ns}`;

/** A serialized value as kept in the cache (a missing type is JSON, as `load` reads it). */
export function stored([type, bytes]: [string | null, Uint8Array | null]): StoredBlob {
  return { type: type ?? 'json', bytes: bytes ?? new Uint8Array() };
}
