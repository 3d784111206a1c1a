import pg from 'pg';

const INT8 = 20;
const JSON_OID = 114;
const JSONB = 3802;
const TIMESTAMP = 1114;
const TIMESTAMPTZ = 1184;

/**
 * Value parsing for the PostgreSQL pool, chosen so rows read the same as on SQLite: bigint
 * (and `count(*)`) as a number while it is exact, timestamps as ISO-8601 strings, JSON as
 * its text. Without this, the same module code would see strings, Dates and objects on
 * PostgreSQL but numbers and text on SQLite.
 */
export const postgresTypes = {
  getTypeParser(oid: number, format?: 'text' | 'binary'): (value: string) => unknown {
    switch (oid) {
      case INT8:
        return (value) => {
          const n = Number(value);
          return Number.isSafeInteger(n) ? n : value;
        };
      case JSON_OID:
      case JSONB:
        return (value) => value;
      case TIMESTAMP:
      case TIMESTAMPTZ: {
        const parseDate = pg.types.getTypeParser(oid, 'text') as (value: string) => Date | string;
        return (value) => {
          const date = parseDate(value);
          // 'infinity' and out-of-range values stay as PostgreSQL wrote them.
          return date instanceof Date && !Number.isNaN(date.getTime()) ? date.toISOString() : value;
        };
      }
      default:
        return pg.types.getTypeParser(oid, format ?? 'text') as (value: string) => unknown;
    }
  },
};
