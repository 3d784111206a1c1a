import type { ClusteringOrder, Compaction, TableDef } from './declare.js';
import { CQL_TYPES, type CqlType } from './types.js';

/**
 * Comparing what a table is (recorded declaration, or the engine's own catalogue) with what
 * it is declared to be, so every engine upgrades a schema the same way: new regular columns
 * are added, changed options are altered, anything else (a changed key, a changed type, a
 * removed column) is refused as unsafe rather than attempted.
 */

/** An engine-neutral picture of a table; also the recorded form of an applied declaration. */
export interface TableSnapshot {
  name: string;
  /** Column name → CQL type (as declared, e.g. `map<text,text>`). */
  columns: Record<string, string>;
  partitionKey: string[];
  clusteringKey: { column: string; order: ClusteringOrder }[];
  defaultTtlSeconds: number;
  /** Null when not declared (the engine default) or not recognised. */
  compaction: Compaction | null;
  comment: string;
}

export interface TableDiff {
  /** Human-readable reasons the change cannot be applied safely; empty when it can. */
  unsafe: string[];
  addColumns: { column: string; type: CqlType }[];
  /** Options to alter; absent keys are unchanged. */
  options: { defaultTtlSeconds?: number; compaction?: Compaction; comment?: string };
}

export function snapshotOf(table: TableDef): TableSnapshot {
  const columns: Record<string, string> = {};
  for (const name of Object.keys(table.columns).sort()) columns[name] = table.columns[name]!;
  return {
    name: table.name,
    columns,
    partitionKey: [...table.partitionKey],
    clusteringKey: table.clusteringKey.map((c) => ({ column: c.column, order: c.order })),
    defaultTtlSeconds: table.defaultTtlSeconds,
    compaction: table.compaction ?? null,
    comment: table.comment ?? '',
  };
}

/** The stable text recorded for an applied declaration; equal text means nothing to apply. */
export function serializeDeclaration(table: TableDef): string {
  return JSON.stringify(snapshotOf(table));
}

/** Reads a recorded declaration; undefined when the text is not one (then treat the table as unknown). */
export function parseDeclaration(text: string): TableSnapshot | undefined {
  try {
    const value = JSON.parse(text) as Partial<TableSnapshot>;
    if (
      typeof value.name !== 'string' ||
      typeof value.columns !== 'object' ||
      value.columns === null ||
      !Array.isArray(value.partitionKey) ||
      !Array.isArray(value.clusteringKey)
    ) {
      return undefined;
    }
    return {
      name: value.name,
      columns: value.columns,
      partitionKey: value.partitionKey,
      clusteringKey: value.clusteringKey,
      defaultTtlSeconds: typeof value.defaultTtlSeconds === 'number' ? value.defaultTtlSeconds : 0,
      compaction: value.compaction ?? null,
      comment: typeof value.comment === 'string' ? value.comment : '',
    };
  } catch {
    return undefined;
  }
}

export function sameCompaction(a: Compaction | null, b: Compaction | null): boolean {
  if (a === null || b === null) return a === b;
  if (a.kind !== b.kind) return false;
  if (a.kind === 'time-window' && b.kind === 'time-window') {
    return a.windowSize === b.windowSize && a.windowUnit === b.windowUnit;
  }
  return true;
}

/** Normalises a type as engines report it (`map<text, text>`, `varchar`) to the declared spelling. */
export function normaliseType(type: string): string {
  const compact = type.replace(/\s+/g, '').toLowerCase();
  return compact.replace(/varchar/g, 'text');
}

const keyText = (columns: readonly string[]) => `(${columns.join(', ')})`;
const clusteringText = (key: TableSnapshot['clusteringKey']) =>
  key.length === 0 ? '(none)' : `(${key.map((c) => `${c.column} ${c.order}`).join(', ')})`;

/** What it takes to go from `current` to the declaration `next`. */
export function diffTable(current: TableSnapshot, next: TableDef): TableDiff {
  const wanted = snapshotOf(next);
  const unsafe: string[] = [];
  if (keyText(current.partitionKey) !== keyText(wanted.partitionKey)) {
    unsafe.push(
      `partition key changed from ${keyText(current.partitionKey)} to ${keyText(wanted.partitionKey)}`,
    );
  }
  if (clusteringText(current.clusteringKey) !== clusteringText(wanted.clusteringKey)) {
    unsafe.push(
      `clustering key changed from ${clusteringText(current.clusteringKey)} to ${clusteringText(wanted.clusteringKey)}`,
    );
  }
  const addColumns: TableDiff['addColumns'] = [];
  for (const [column, type] of Object.entries(wanted.columns)) {
    const had = current.columns[column];
    if (had === undefined) {
      addColumns.push({ column, type: type as CqlType });
    } else if (normaliseType(had) !== normaliseType(type)) {
      unsafe.push(`column ${column} changed type from ${had} to ${type}`);
    }
  }
  for (const column of Object.keys(current.columns)) {
    if (!(column in wanted.columns)) unsafe.push(`column ${column} was removed`);
  }
  for (const { column, type } of addColumns) {
    if (!CQL_TYPES.includes(type)) unsafe.push(`column ${column} has unknown type ${type}`);
  }
  const options: TableDiff['options'] = {};
  if (current.defaultTtlSeconds !== wanted.defaultTtlSeconds)
    options.defaultTtlSeconds = wanted.defaultTtlSeconds;
  // An undeclared compaction means "the engine's default": never altered back.
  if (wanted.compaction !== null && !sameCompaction(current.compaction, wanted.compaction)) {
    options.compaction = wanted.compaction;
  }
  if (current.comment !== wanted.comment) options.comment = wanted.comment;
  return { unsafe, addColumns, options };
}

export function hasChanges(diff: TableDiff): boolean {
  return diff.addColumns.length > 0 || Object.keys(diff.options).length > 0;
}
