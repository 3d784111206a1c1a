/** One page of a list: its items and how to ask for the next (undefined when there is none). */
export interface Page<T, C> {
  items: readonly T[];
  next: C | undefined;
}

/**
 * Every item of a paged list, fetching the next page only when the caller gets there:
 * `for await (const message of client.messages.list(...))`. Breaking out of the loop stops
 * the fetching.
 */
export async function* allItems<T, C>(
  fetchPage: (cursor: C | undefined) => Promise<Page<T, C>>,
): AsyncGenerator<T> {
  let cursor: C | undefined;
  do {
    const page = await fetchPage(cursor);
    yield* page.items;
    cursor = page.next;
  } while (cursor !== undefined);
}
