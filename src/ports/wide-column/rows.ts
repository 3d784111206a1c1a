import type { Row, TableDef } from './declare.js';
import type { SliceQuery, WideColumnEngine } from './engine.js';

/**
 * Every row of a slice, page after page (`pageSize` rows per round trip), read lazily: a
 * caller that stops early reads no further page.
 */
export async function* allRows<T extends TableDef>(
  engine: WideColumnEngine,
  table: T,
  query: Omit<SliceQuery<T>, 'pageToken' | 'limit'>,
  pageSize = 500,
): AsyncGenerator<Row<T>> {
  let pageToken: string | null = null;
  do {
    const page: { rows: Row<T>[]; nextPageToken: string | null } = await engine.slice(table, {
      ...query,
      limit: pageSize,
      pageToken,
    } as SliceQuery<T>);
    yield* page.rows;
    pageToken = page.nextPageToken;
  } while (pageToken !== null);
}

/** Every row of a slice as an array (for slices known to be small). */
export async function rowsOf<T extends TableDef>(
  engine: WideColumnEngine,
  table: T,
  query: Omit<SliceQuery<T>, 'pageToken' | 'limit'>,
): Promise<Row<T>[]> {
  const rows: Row<T>[] = [];
  for await (const row of allRows(engine, table, query)) rows.push(row);
  return rows;
}
