import { afterAll, afterEach } from 'vitest';
import { dropScaleOutResources, truncateScaleOutTables } from './backends.js';

// Setup file of the `modules (scale-out)` project: after each test, empty the tables it wrote
// in the file's shared keyspace; after each test file, drop the keyspace, PostgreSQL schemas
// and Redis keys its tests created on the shared servers.
afterEach(async () => {
  await truncateScaleOutTables();
}, 120_000);

afterAll(async () => {
  await dropScaleOutResources();
}, 600_000);
