import type { Migration } from '../../../ports/relational/store.js';
import { searchAdapterFor } from './adapter.js';

/** The message_search table and its full-text index; the messaging module gives this step its version. */
export const searchMigration: Omit<Migration, 'version'> = {
  name: 'message search index',
  up: (db, dialect) => searchAdapterFor(dialect).createSchema(db),
};

export interface SearchDatabase {
  message_search: {
    message_id: bigint | string | number;
    channel_id: string;
    sender_id: string;
    created_at: string | Date;
    content: string;
  };
}
