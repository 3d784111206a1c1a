/**
 * Identifier and literal quoting for generated CQL. Values never go through here: every
 * value is a bind marker. Only names (keyspaces, tables, columns, data-center names in the
 * replication map, comments) are written into the statement text.
 */

/**
 * Keywords that cannot be used unquoted, taken as the union over Cassandra 3.x–5.x and
 * ScyllaDB (some engines reserve words the others do not, e.g. DEFAULT, MBEAN, UNSET, IS).
 * Quoting a lower-case name that is not reserved is harmless: `"name"` and `name` are the
 * same identifier, so erring on the side of quoting is safe.
 */
const RESERVED = new Set([
  'add', 'allow', 'alter', 'and', 'any', 'apply', 'asc', 'authorize', 'batch', 'begin', 'by',
  'columnfamily', 'create', 'default', 'delete', 'desc', 'describe', 'drop', 'each_quorum',
  'entries', 'execute', 'for', 'from', 'full', 'grant', 'if', 'in', 'index', 'inet', 'infinity',
  'insert', 'into', 'is', 'keyspace', 'keyspaces', 'limit', 'local_one', 'local_quorum',
  'materialized', 'mbean', 'mbeans', 'modify', 'nan', 'norecursive', 'not', 'null', 'of', 'on',
  'one', 'or', 'order', 'password', 'primary', 'quorum', 'rename', 'replace', 'revoke', 'schema',
  'select', 'set', 'table', 'three', 'to', 'token', 'truncate', 'two', 'unlogged', 'unset',
  'update', 'use', 'using', 'view', 'where', 'with',
]); // prettier-ignore

const PLAIN = /^[a-z][a-z0-9_]*$/;

/** A name as it must appear in CQL: bare when that is unambiguous, else double-quoted (case-sensitive). */
export function quoteIdent(name: string): string {
  if (PLAIN.test(name) && !RESERVED.has(name)) return name;
  return `"${name.replace(/"/g, '""')}"`;
}

/** `keyspace.table`, each part quoted as needed. */
export function qualified(keyspace: string, table: string): string {
  return `${quoteIdent(keyspace)}.${quoteIdent(table)}`;
}

/** A CQL string literal ('it''s'). */
export function stringLiteral(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

const KEYSPACE_NAME = /^[A-Za-z][A-Za-z0-9_]{0,47}$/;

/** Keyspace names CQL accepts: letters, digits and underscores, at most 48 characters. */
export function isValidKeyspaceName(name: string): boolean {
  return KEYSPACE_NAME.test(name);
}
