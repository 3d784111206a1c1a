import { afterAll } from 'vitest';
import { dropScaleOutResources } from './backends.js';

// Setup file of the `modules (scale-out)` project: after each test file, drop the keyspace,
// PostgreSQL schemas and Redis keys its tests created on the shared servers.
afterAll(async () => {
  await dropScaleOutResources();
}, 600_000);
