/**
 * CQL column types the wide-column port supports, and the TypeScript value each one maps
 * to. Values round-trip exactly on every engine:
 * - `bigint` and `counter` are JS `bigint` (never lossy `number`);
 * - `decimal` is a canonical decimal string ("7500.00"), never a float;
 * - `timestamp` is a `Date` with millisecond precision;
 * - `date` is an ISO calendar date string "YYYY-MM-DD";
 * - `uuid` / `timeuuid` are lower-case canonical strings;
 * - `blob` is a `Uint8Array` (Buffer on read);
 * - collections: `map<text,text>` is a plain object, `set<text>` a sorted array of unique
 *   strings, `list<text>` an array. As in CQL, an empty collection reads back as `null`.
 */
export type CqlType =
  | 'text'
  | 'int'
  | 'bigint'
  | 'double'
  | 'decimal'
  | 'boolean'
  | 'timestamp'
  | 'date'
  | 'uuid'
  | 'timeuuid'
  | 'blob'
  | 'map<text,text>'
  | 'set<text>'
  | 'list<text>'
  | 'counter';

export const CQL_TYPES: readonly CqlType[] = [
  'text',
  'int',
  'bigint',
  'double',
  'decimal',
  'boolean',
  'timestamp',
  'date',
  'uuid',
  'timeuuid',
  'blob',
  'map<text,text>',
  'set<text>',
  'list<text>',
  'counter',
];

/** Types allowed in a partition or clustering key. Stricter than CQL: no decimals, collections or counters. */
export const KEY_TYPES: readonly CqlType[] = [
  'text',
  'int',
  'bigint',
  'double',
  'boolean',
  'timestamp',
  'date',
  'uuid',
  'timeuuid',
  'blob',
];

export interface CqlValueMap {
  text: string;
  int: number;
  bigint: bigint;
  double: number;
  decimal: string;
  boolean: boolean;
  timestamp: Date;
  date: string;
  uuid: string;
  timeuuid: string;
  blob: Uint8Array;
  'map<text,text>': Record<string, string>;
  'set<text>': string[];
  'list<text>': string[];
  counter: bigint;
}

export type ValueOf<T extends CqlType> = CqlValueMap[T];
