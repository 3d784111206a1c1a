import { describe, expect, it } from 'vitest';
import { SwitchboardError } from '../../src/errors/index.js';
import { defineTable } from '../../src/ports/wide-column/declare.js';

/** Calls `defineTable` with an untyped spec (bad declarations do not type-check) and returns its error. */
function declarationError(spec: Record<string, unknown>): SwitchboardError {
  try {
    defineTable({ module: 'test', ...spec } as never);
  } catch (error) {
    expect(error).toBeInstanceOf(SwitchboardError);
    expect((error as SwitchboardError).code).toBe('DECLARATION_INVALID');
    return error as SwitchboardError;
  }
  throw new Error('the declaration was accepted');
}

describe('defineTable', () => {
  it('accepts a full declaration and derives keys and regular columns', () => {
    const table = defineTable({
      name: 'messages',
      module: 'messaging',
      columns: {
        channel_id: 'bigint',
        bucket: 'int',
        message_id: 'bigint',
        content: 'text',
        meta: 'map<text,text>',
      },
      partitionKey: ['channel_id', 'bucket'],
      clusteringKey: [{ column: 'message_id', order: 'DESC' }],
      defaultTtlSeconds: 3600,
      compaction: { kind: 'time-window', windowSize: 1, windowUnit: 'DAYS' },
    });
    expect(table.primaryKey).toEqual(['channel_id', 'bucket', 'message_id']);
    expect(table.regularColumns).toEqual(['content', 'meta']);
    expect(table.isCounterTable).toBe(false);
    expect(table.defaultTtlSeconds).toBe(3600);
    expect(Object.isFrozen(table)).toBe(true);
  });

  it('recognises a counter table', () => {
    const table = defineTable({
      name: 'reaction_counts',
      module: 'messaging',
      columns: { message_id: 'bigint', emoji: 'text', count: 'counter' },
      partitionKey: ['message_id'],
      clusteringKey: [{ column: 'emoji', order: 'ASC' }],
    });
    expect(table.isCounterTable).toBe(true);
  });

  it('rejects an unknown column type, naming the column, the type and the known types', () => {
    const error = declarationError({
      name: 't',
      columns: { id: 'text', v: 'varchar' },
      partitionKey: ['id'],
    });
    expect(error.message).toContain('t');
    expect(error.message).toContain('"v"');
    expect(error.message).toContain('"varchar"');
    expect(error.message).toContain('map<text,text>');
  });

  it('rejects a clustering column that is not among the columns', () => {
    const error = declarationError({
      name: 'events',
      columns: { id: 'text', v: 'text' },
      partitionKey: ['id'],
      clusteringKey: [{ column: 'at', order: 'ASC' }],
    });
    expect(error.message).toContain('events');
    expect(error.message).toContain('"at"');
    expect(error.message).toMatch(/not among the columns/);
  });

  it('rejects a partition key column that is not among the columns, and an empty partition key', () => {
    expect(
      declarationError({ name: 't', columns: { id: 'text' }, partitionKey: ['nope'] }).message,
    ).toContain('"nope"');
    expect(declarationError({ name: 't', columns: { id: 'text' }, partitionKey: [] }).message).toMatch(
      /partition key is empty/,
    );
  });

  it('rejects counters mixed with regular columns, naming the regular ones', () => {
    const error = declarationError({
      name: 'mixed',
      columns: { id: 'text', views: 'counter', title: 'text' },
      partitionKey: ['id'],
    });
    expect(error.message).toContain('mixed');
    expect(error.message).toContain('title');
    expect(error.message).toMatch(/counter/);
  });

  it('rejects a default TTL or lightweight transactions on a counter table', () => {
    expect(
      declarationError({
        name: 'c',
        columns: { id: 'text', n: 'counter' },
        partitionKey: ['id'],
        defaultTtlSeconds: 60,
      }).message,
    ).toMatch(/counter table cannot have a default TTL/);
    expect(
      declarationError({
        name: 'c',
        columns: { id: 'text', n: 'counter' },
        partitionKey: ['id'],
        usesLwt: true,
      }).message,
    ).toMatch(/lightweight transactions/);
  });

  it('rejects key columns of types that cannot be keys', () => {
    for (const type of ['decimal', 'map<text,text>', 'set<text>', 'list<text>', 'counter']) {
      const error = declarationError({ name: 't', columns: { id: type, v: 'text' }, partitionKey: ['id'] });
      expect(error.message).toContain(`type ${type}`);
      expect(error.message).toMatch(/cannot be a key/);
    }
    const clustering = declarationError({
      name: 't',
      columns: { id: 'text', c: 'set<text>' },
      partitionKey: ['id'],
      clusteringKey: [{ column: 'c', order: 'ASC' }],
    });
    expect(clustering.message).toMatch(/cannot be a key/);
  });

  it('rejects a bad clustering order, a repeated key column, a bad TTL, bad names and a bad compaction window', () => {
    expect(
      declarationError({
        name: 't',
        columns: { id: 'text', c: 'int' },
        partitionKey: ['id'],
        clusteringKey: [{ column: 'c', order: 'asc' }],
      }).message,
    ).toMatch(/order ASC or DESC/);
    expect(
      declarationError({
        name: 't',
        columns: { id: 'text' },
        partitionKey: ['id'],
        clusteringKey: [{ column: 'id', order: 'ASC' }],
      }).message,
    ).toMatch(/appears twice/);
    expect(
      declarationError({ name: 't', columns: { id: 'text' }, partitionKey: ['id'], defaultTtlSeconds: -1 })
        .message,
    ).toMatch(/defaultTtlSeconds/);
    expect(
      declarationError({ name: 'Bad-Name', columns: { id: 'text' }, partitionKey: ['id'] }).message,
    ).toMatch(/lower-case/);
    expect(
      declarationError({ name: 't', columns: { 'Bad col': 'text' }, partitionKey: ['Bad col'] }).message,
    ).toMatch(/not a valid identifier/);
    expect(
      declarationError({
        name: 't',
        columns: { id: 'text' },
        partitionKey: ['id'],
        compaction: { kind: 'time-window', windowSize: 0, windowUnit: 'DAYS' },
      }).message,
    ).toMatch(/windowSize/);
  });
});
