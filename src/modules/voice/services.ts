import { isSupportedCountry } from 'libphonenumber-js';
import { SwitchboardError } from '../../errors/index.js';
import type { Clock } from '../../shared/clock.js';
import type { SwitchboardContext } from '../module.js';
import { BranchDirectory } from './appointments/branches.js';
import { AppointmentRepository } from './appointments/repository.js';
import { AppointmentService } from './appointments/service.js';
import { isTimeZone } from './config.js';
import { GoldPriceRepository } from './gold/repository.js';
import { GoldPriceService } from './gold/service.js';
import { randomSource, type RandomSource } from './random.js';
import { SessionRepository } from './sessions/repository.js';
import { SessionService } from './sessions/service.js';
import { simulatedSmsProvider, type SmsProvider } from './sms/provider.js';
import { SmsRepository } from './sms/repository.js';
import { SmsService } from './sms/service.js';

export interface VoiceServices {
  sessions: SessionService;
  sms: SmsService;
  goldPrice: GoldPriceService;
  appointments: AppointmentService;
  branches: BranchDirectory;
}

export interface VoiceServiceOptions {
  /** A real SMS gateway; required when `voice.sms.simulation_mode` is false. */
  smsProvider?: SmsProvider;
  /** Random source of the gold price simulation (default: seeded from `voice.gold_price.seed`). */
  priceRandom?: RandomSource;
  /** Random source of simulated delivery failures. */
  smsRandom?: RandomSource;
  clock?: Clock;
}

function configError(key: string, message: string): SwitchboardError {
  return new SwitchboardError('CONFIG_INVALID', `Invalid configuration ${key}: ${message}`, { field: key });
}

/** Builds the voice services on the context's ports. */
export function createVoiceServices(
  context: SwitchboardContext,
  options: VoiceServiceOptions = {},
): VoiceServices {
  const config = context.config.voice;
  if (!isSupportedCountry(config.default_region)) {
    throw configError(
      'voice.default_region',
      `expected an ISO 3166 region code such as "IN", got "${config.default_region}"`,
    );
  }
  if (!isTimeZone(config.gold_price.timezone)) {
    throw configError('voice.gold_price.timezone', `expected an IANA time zone such as "Asia/Kolkata"`);
  }
  let provider = options.smsProvider;
  if (!provider) {
    if (!config.sms.simulation_mode) {
      throw configError(
        'voice.sms.simulation_mode',
        'false needs an SMS provider passed to createVoiceServices({ smsProvider }); none is built in',
      );
    }
    provider = simulatedSmsProvider;
  }
  const clock = options.clock ?? context.clock;
  const logger = context.logger.child({ module: 'voice' });
  const seed = config.gold_price.seed;
  const sessions = new SessionService(new SessionRepository(context.wideColumn), {
    ttlSeconds: config.session_ttl_seconds,
    maxMemoryBytes: config.max_memory_bytes,
    defaultRegion: config.default_region,
    clock,
  });
  const sms = new SmsService(new SmsRepository(context.wideColumn), provider, {
    defaultRegion: config.default_region,
    maxSegments: config.sms.max_segments,
    deliveryDelayMs: config.sms.delivery_delay_ms,
    failureRate: config.sms.failure_rate,
    logMessages: config.sms.log_messages,
    clock,
    random: options.smsRandom ?? randomSource(seed === undefined ? undefined : seed + 1),
    logger,
    sessionExists: async (sessionId) => (await sessions.find(sessionId)) !== null,
  });
  const goldPrice = new GoldPriceService(new GoldPriceRepository(context.wideColumn), {
    basePrice: config.gold_price.base_price,
    basePurity: config.gold_price.base_purity,
    fluctuationPercent: config.gold_price.fluctuation_percent,
    cacheTtlSeconds: config.gold_price.cache_ttl_seconds,
    timezone: config.gold_price.timezone,
    clock,
    random: options.priceRandom ?? randomSource(seed),
  });
  const branches = new BranchDirectory(config.branches);
  const appointments = new AppointmentService(
    new AppointmentRepository(context.wideColumn),
    branches,
    sessions,
    sms,
    {
      defaultRegion: config.default_region,
      horizonDays: config.booking_horizon_days,
      clock,
      logger,
    },
  );
  return { sessions, sms, goldPrice, appointments, branches };
}
