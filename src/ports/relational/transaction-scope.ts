import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * Knows whether the current async call chain runs inside one of this store's transactions.
 * Used to refuse a query on the store's pool from inside its own transaction: on SQLite that
 * query would wait forever for the one connection the transaction holds, and on PostgreSQL it
 * would silently run outside the transaction. Both adapters refuse, so code that passes on
 * one passes on the other.
 */
export class TransactionScope {
  private readonly storage = new AsyncLocalStorage<{ active: boolean }>();

  get inside(): boolean {
    return this.storage.getStore()?.active === true;
  }

  async run<T>(fn: () => Promise<T>): Promise<T> {
    // A mutable marker rather than a boolean: work started inside the transaction that outlives
    // it (a late callback) inherits the marker, and must see that the transaction has ended.
    const marker = { active: true };
    try {
      return await this.storage.run(marker, fn);
    } finally {
      marker.active = false;
    }
  }
}
