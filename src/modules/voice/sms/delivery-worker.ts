import type { Logger } from 'pino';
import { SwitchboardError } from '../../../errors/index.js';
import type { Worker } from '../../module.js';
import type { SmsService } from './service.js';

/**
 * The simulated delivery: every `pollMs` it settles the messages whose delivery is due.
 * Polls never overlap, and `stop` waits for the one in flight so shutdown does not cut a
 * settle in half.
 */
export function createSmsDeliveryWorker(
  sms: SmsService,
  options: { pollMs: number; logger: Logger },
): Worker {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let stopped = true;
  let lastError: string | undefined;
  let lastRunAt: Date | undefined;

  const tick = async () => {
    try {
      await sms.deliverDue();
      lastError = undefined;
    } catch (error) {
      // The code only: store messages can quote values, and these rows hold phone numbers.
      lastError = error instanceof SwitchboardError ? error.code : ((error as Error)?.name ?? 'Error');
      options.logger.warn({ code: lastError }, 'sms delivery poll failed; will retry');
    } finally {
      lastRunAt = new Date();
    }
  };

  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(() => {
      running = tick().finally(() => {
        running = undefined;
        schedule();
      });
    }, options.pollMs);
    timer.unref?.();
  };

  return {
    name: 'voice.sms-delivery',
    async start() {
      if (!stopped) return;
      stopped = false;
      schedule();
    },
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running;
    },
    async health() {
      if (stopped) return { ok: true, detail: 'stopped' };
      if (lastError) return { ok: false, detail: `last poll failed: ${lastError}` };
      return { ok: true, detail: lastRunAt ? `last poll ${lastRunAt.toISOString()}` : 'starting' };
    },
  };
}
