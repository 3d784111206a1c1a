import { createTestContext, type TestContext } from '../../helpers/context.js';
import { voiceTables } from '../../../src/modules/voice/tables.js';
import {
  createVoiceServices,
  type VoiceServiceOptions,
  type VoiceServices,
} from '../../../src/modules/voice/services.js';
import type { BranchConfig } from '../../../src/modules/voice/config.js';
import type { Clock } from '../../../src/shared/clock.js';
import { addDays, zonedParts } from '../../../src/modules/voice/zoned-time.js';

export const BRANCHES: BranchConfig[] = [
  {
    id: 'blr-indiranagar',
    name: 'Indiranagar',
    city: 'Bengaluru',
    opens: '09:00',
    closes: '18:00',
    slot_minutes: 30,
    capacity: 2,
    timezone: 'Asia/Kolkata',
  },
  {
    id: 'mum-andheri',
    name: 'Andheri West',
    city: 'Mumbai',
    opens: '10:00',
    closes: '17:00',
    slot_minutes: 60,
    capacity: 1,
  },
];

export interface VoiceTestContext {
  ctx: TestContext;
  voice: VoiceServices;
}

/** Embedded ports in a temp dir, the voice tables applied, the voice services on top. */
export async function voiceContext(
  options: { env?: NodeJS.ProcessEnv; clock?: Clock; dataDir?: string; services?: VoiceServiceOptions } = {},
): Promise<VoiceTestContext> {
  const ctx = await createTestContext({
    env: { SWITCHBOARD_VOICE_BRANCHES: JSON.stringify(BRANCHES), ...options.env },
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.dataDir ? { dataDir: options.dataDir } : {}),
  });
  await ctx.wideColumn.applySchema(voiceTables);
  return { ctx, voice: createVoiceServices(ctx, options.services) };
}

/** A calendar date `days` from today in India (slots there are in the future). */
export function daysAhead(days: number): string {
  return addDays(zonedParts(new Date(), 'Asia/Kolkata').date, days);
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls until `probe` is true or the time is up. */
export async function until(probe: () => Promise<boolean>, timeoutMs = 5_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await probe()) return true;
    await sleep(25);
  }
  return probe();
}
