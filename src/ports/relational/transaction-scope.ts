import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * Knows whether the current async call chain runs inside one of this store's transactions.
 * Used to refuse a query on the store's pool from inside its own transaction: on SQLite that
 * query would wait forever for the one connection the transaction holds, and on PostgreSQL it
 * would silently run outside the transaction. Both adapters refuse, so code that passes on
 * one passes on the other.
 *
 * The storage is switched off whenever no transaction is open. On Node 20 an enabled
 * AsyncLocalStorage installs promise hooks for the whole process, and they stay installed
 * until it is disabled: every promise anywhere (a message send on the wide-column store, a
 * checkpoint read, an HTTP request) then pays for them, about 2.5x the cost of a promise-heavy
 * call chain measured on this machine, after the first relational transaction of the process.
 * Off between transactions, only code running while one is open pays.
 */
export class TransactionScope {
  private readonly storage = new AsyncLocalStorage<{ active: boolean }>();
  private open = 0;

  get inside(): boolean {
    // With no transaction open the answer is no, whatever marker a late callback carries.
    return this.open > 0 && this.storage.getStore()?.active === true;
  }

  async run<T>(fn: () => Promise<T>): Promise<T> {
    // A mutable marker rather than a boolean: work started inside the transaction that outlives
    // it (a late callback) inherits the marker, and must see that the transaction has ended.
    const marker = { active: true };
    this.open += 1;
    try {
      return await this.storage.run(marker, fn);
    } finally {
      marker.active = false;
      this.open -= 1;
      // run() enables the storage again for the next transaction. Disabling only forgets the
      // markers (every one of them is inactive by now) and removes the hooks if no other
      // AsyncLocalStorage in the process is enabled.
      if (this.open === 0) this.storage.disable();
    }
  }
}
