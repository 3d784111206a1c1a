import {
  BaseStore,
  InvalidNamespaceError,
  type GetOperation,
  type Item,
  type ListNamespacesOperation,
  type MatchCondition,
  type Operation,
  type OperationResults,
  type PutOperation,
  type SearchItem,
  type SearchOperation,
} from '@langchain/langgraph-checkpoint';
import type { Row } from '../../ports/wide-column/declare.js';
import { batchOp, type WideColumnEngine } from '../../ports/wide-column/engine.js';
import { allRows, rowsOf } from '../../ports/wide-column/rows.js';
import { lgStoreItems, lgStoreNamespaces, lgStoreRoots } from './tables.js';
import { allShardRows, shardOf, ttlOption } from './shards.js';

export interface SwitchboardStoreOptions {
  /** Expire items this long after their last write (default: never). */
  ttlSeconds?: number;
}

type ItemRow = Row<typeof lgStoreItems>;
const DEFAULT_SEARCH_LIMIT = 10;

/**
 * LangGraph.js long-term memory (`BaseStore`) on the wide-column port: `put`, `get`, `delete`,
 * `search` by namespace prefix with a value filter (`{ field: value }` or `$eq`, `$ne`, `$gt`,
 * `$gte`, `$lt`, `$lte`, `$in`, `$nin`, as LangGraph's InMemoryStore), and `listNamespaces`
 * with prefix/suffix conditions (`*` matches any label), `maxDepth`, `limit` and `offset`.
 * Results are ordered by namespace, then key. Semantic search (`query` with an embeddings
 * index) is not offered: a query is ignored and results carry no score, as in the in-memory
 * store without an index.
 */
export class SwitchboardStore extends BaseStore {
  private readonly ttl: { ttlSeconds?: number };

  constructor(
    private readonly engine: WideColumnEngine,
    options: SwitchboardStoreOptions = {},
  ) {
    super();
    this.ttl = ttlOption(options.ttlSeconds);
  }

  /** A store on an open Switchboard's wide-column port (its tables come with `schema apply`). */
  static from(switchboard: { context: { wideColumn: WideColumnEngine } }, options?: SwitchboardStoreOptions) {
    return new SwitchboardStore(switchboard.context.wideColumn, options);
  }

  async batch<Op extends Operation[]>(operations: Op): Promise<OperationResults<Op>> {
    const results: unknown[] = [];
    // In order: a get after a put in the same batch sees the put.
    for (const op of operations) {
      if ('value' in op) results.push(await this.putOp(op));
      else if ('namespacePrefix' in op) results.push(await this.searchOp(op));
      else if ('matchConditions' in op || 'maxDepth' in op || 'limit' in op) {
        results.push(await this.listOp(op as ListNamespacesOperation));
      } else results.push(await this.getOp(op));
    }
    return results as OperationResults<Op>;
  }

  private async getOp(op: GetOperation): Promise<Item | null> {
    checkNamespace(op.namespace);
    const row = await this.engine.get(lgStoreItems, { namespace: encode(op.namespace), key: op.key });
    return row ? toItem(row) : null;
  }

  private async putOp(op: PutOperation): Promise<void> {
    checkNamespace(op.namespace);
    const namespace = encode(op.namespace);
    if (op.value === null) {
      await this.engine.delete(lgStoreItems, { namespace, key: op.key });
      return;
    }
    const now = new Date();
    const existing = await this.engine.get(lgStoreItems, { namespace, key: op.key });
    const root = op.namespace[0]!;
    await this.engine.batch([
      batchOp.insert(
        lgStoreItems,
        {
          namespace,
          key: op.key,
          value: JSON.stringify(op.value),
          created_at: existing?.created_at ?? now,
          updated_at: now,
        },
        this.ttl,
      ),
      batchOp.insert(lgStoreNamespaces, { root, namespace }, this.ttl),
      batchOp.insert(lgStoreRoots, { shard: shardOf(root), root }, this.ttl),
    ]);
  }

  private async searchOp(op: SearchOperation): Promise<SearchItem[]> {
    const prefix = op.namespacePrefix;
    const offset = op.offset ?? 0;
    const limit = op.limit ?? DEFAULT_SEARCH_LIMIT;
    const found: SearchItem[] = [];
    for (const namespace of await this.namespaces(prefix[0])) {
      if (!startsWith(namespace, prefix)) continue;
      for await (const row of allRows(this.engine, lgStoreItems, { key: { namespace: encode(namespace) } })) {
        const item = toItem(row);
        if (op.filter && !Object.entries(op.filter).every(([k, v]) => matches(item.value[k], v))) continue;
        found.push(item);
        if (found.length >= offset + limit) return found.slice(offset);
      }
    }
    return found.slice(offset);
  }

  private async listOp(op: ListNamespacesOperation): Promise<string[][]> {
    const conditions = op.matchConditions ?? [];
    // A prefix condition with a literal first label reads that label's index partition only.
    const root = conditions.find(
      (c) => c.matchType === 'prefix' && c.path[0] !== undefined && c.path[0] !== '*',
    )?.path[0];
    let namespaces = (await this.namespaces(root)).filter((ns) =>
      conditions.every((c) => conditionHolds(c, ns)),
    );
    if (op.maxDepth !== undefined) {
      const depth = op.maxDepth;
      namespaces = [
        ...new Map(namespaces.map((ns) => ns.slice(0, depth)).map((ns) => [encode(ns), ns])).values(),
      ];
    }
    namespaces.sort((a, b) => a.join(':').localeCompare(b.join(':')));
    const offset = op.offset ?? 0;
    return namespaces.slice(offset, offset + (op.limit ?? namespaces.length));
  }

  /** Namespaces under one first label, or all of them. */
  private async namespaces(root: string | undefined): Promise<string[][]> {
    const roots = root !== undefined ? [root] : await this.roots();
    const out: string[][] = [];
    for (const r of roots) {
      for (const row of await rowsOf(this.engine, lgStoreNamespaces, { key: { root: r } })) {
        out.push(JSON.parse(row.namespace) as string[]);
      }
    }
    return out;
  }

  private async roots(): Promise<string[]> {
    const roots: string[] = [];
    for await (const row of allShardRows(this.engine, lgStoreRoots)) roots.push(row.root);
    return roots.sort();
  }
}

function checkNamespace(namespace: readonly string[]): void {
  if (namespace.length === 0) throw new InvalidNamespaceError('Namespace cannot be empty.');
  for (const label of namespace) {
    if (typeof label !== 'string' || label === '') {
      throw new InvalidNamespaceError(
        `Namespace labels must be non-empty strings: ${JSON.stringify(namespace)}`,
      );
    }
  }
}

/** A namespace as its partition key: JSON keeps any label (dots, colons) unambiguous. */
const encode = (namespace: readonly string[]) => JSON.stringify(namespace);
const startsWith = (namespace: readonly string[], prefix: readonly string[]) =>
  prefix.length <= namespace.length && prefix.every((label, i) => namespace[i] === label);

function conditionHolds({ matchType, path }: MatchCondition, namespace: readonly string[]): boolean {
  if (path.length > namespace.length) return false;
  const start = matchType === 'prefix' ? 0 : namespace.length - path.length;
  return path.every((label, i) => label === '*' || namespace[start + i] === label);
}

function toItem(row: ItemRow): Item {
  return {
    namespace: JSON.parse(row.namespace) as string[],
    key: row.key,
    value: JSON.parse(row.value ?? '{}') as Record<string, unknown>,
    createdAt: row.created_at ?? new Date(0),
    updatedAt: row.updated_at ?? new Date(0),
  };
}

/** A filter value: a literal (equality) or operators, with LangGraph's InMemoryStore semantics. */
function matches(actual: unknown, expected: unknown): boolean {
  if (expected === null || typeof expected !== 'object' || Array.isArray(expected))
    return actual === expected;
  const ops = Object.entries(expected as Record<string, unknown>);
  if (!ops.every(([op]) => op.startsWith('$'))) return actual === expected;
  return ops.every(([op, value]) => {
    switch (op) {
      case '$eq':
        return actual === value;
      case '$ne':
        return actual !== value;
      case '$gt':
        return Number(actual) > Number(value);
      case '$gte':
        return Number(actual) >= Number(value);
      case '$lt':
        return Number(actual) < Number(value);
      case '$lte':
        return Number(actual) <= Number(value);
      case '$in':
        return Array.isArray(value) && value.includes(actual);
      case '$nin':
        return !Array.isArray(value) || !value.includes(actual);
      default:
        return false;
    }
  });
}
