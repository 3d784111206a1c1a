import { randomUUID } from 'node:crypto';
import { conversationMigrations } from '../../../src/modules/conversations/migrations.js';
import { RelationalConversationStore } from '../../../src/modules/conversations/relational-store.js';
import {
  ConversationService,
  type ConversationBackend,
  type ConversationLimits,
} from '../../../src/modules/conversations/service.js';
import type { ConversationStore } from '../../../src/modules/conversations/store.js';
import { conversationTables } from '../../../src/modules/conversations/tables.js';
import { WideColumnConversationStore } from '../../../src/modules/conversations/wide-store.js';
import type { Clock } from '../../../src/shared/clock.js';
import { createTestContext, type TestContext } from '../../helpers/context.js';

export const testLimits: ConversationLimits = {
  maxTurnsPerSession: 60,
  maxDepth: 12,
  maxStepsPerTurn: 8,
  maxContentLength: 200,
  loadMaxTurns: 40,
  loadMaxSteps: 100,
  loadConcurrency: 4,
  deletedGraceSeconds: 60,
};

export interface ConversationHarness {
  ctx: TestContext;
  relational: RelationalConversationStore;
  wide: WideColumnConversationStore;
  close(): Promise<void>;
}

/** Both conversation stores on the test context's ports, with the module's schema applied. */
export async function conversationHarness(
  options: { env?: NodeJS.ProcessEnv } = {},
): Promise<ConversationHarness> {
  const ctx = await createTestContext(options.env ? { env: options.env } : {});
  await ctx.wideColumn.applySchema(conversationTables);
  await ctx.relational.migrate([{ module: 'conversations', migrations: conversationMigrations }]);
  return {
    ctx,
    relational: new RelationalConversationStore(ctx.relational),
    wide: new WideColumnConversationStore(ctx.wideColumn),
    close: () => ctx.cleanup(),
  };
}

export function serviceOn(
  store: ConversationBackend,
  clock: Clock,
  limits = testLimits,
): ConversationService {
  return new ConversationService(store, clock, limits);
}

/** A unique account id per test: files may share one keyspace / schema with other tests. */
export const account = (): string => `acct-${randomUUID().slice(0, 8)}`;

export type StoreKind = 'relational' | 'wide_column';
export const pick = (h: ConversationHarness, kind: StoreKind): ConversationStore =>
  kind === 'relational' ? h.relational : h.wide;
