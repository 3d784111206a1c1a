import { f, type ConfigOf, type Section } from '../../config/fields.js';

/** One branch of the directory appointments are booked against (`[[voice.branches]]`). */
export interface BranchConfig {
  id: string;
  name: string;
  city: string;
  /** Opening time, local to `timezone`, "HH:MM". */
  opens: string;
  /** Closing time, "HH:MM"; the last slot ends at or before it. */
  closes: string;
  slot_minutes: number;
  /** Seats per slot: how many appointments one slot can hold. */
  capacity: number;
  /** IANA time zone of the branch (default Asia/Kolkata). */
  timezone?: string;
}

const HH_MM = /^([01]\d|2[0-3]):[0-5]\d$/;

export function minutesOfDay(hhmm: string): number {
  return Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));
}

export function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** Returns what is wrong with a branch directory, or undefined when it is valid. */
export function checkBranches(value: unknown): string | undefined {
  if (!Array.isArray(value)) return 'expected an array of branch tables';
  const ids = new Set<string>();
  for (const [i, raw] of value.entries()) {
    const b = raw as Partial<BranchConfig> | null;
    const where = `branches[${i}]`;
    if (typeof b !== 'object' || b === null) return `${where} is not a table`;
    if (typeof b.id !== 'string' || !/^[A-Za-z0-9_-]{1,64}$/.test(b.id))
      return `${where}.id must be 1-64 of A-Z a-z 0-9 _ -`;
    if (ids.has(b.id)) return `${where}.id "${b.id}" is repeated`;
    ids.add(b.id);
    if (typeof b.name !== 'string' || b.name === '') return `${where}.name must be a non-empty string`;
    if (typeof b.city !== 'string') return `${where}.city must be a string`;
    if (typeof b.opens !== 'string' || !HH_MM.test(b.opens)) return `${where}.opens must be "HH:MM"`;
    if (typeof b.closes !== 'string' || !HH_MM.test(b.closes)) return `${where}.closes must be "HH:MM"`;
    if (minutesOfDay(b.closes) <= minutesOfDay(b.opens)) return `${where}.closes must be after opens`;
    if (!Number.isInteger(b.slot_minutes) || b.slot_minutes! < 5 || b.slot_minutes! > 720) {
      return `${where}.slot_minutes must be an integer from 5 to 720`;
    }
    if (!Number.isInteger(b.capacity) || b.capacity! < 1 || b.capacity! > 1000) {
      return `${where}.capacity must be an integer from 1 to 1000`;
    }
    if (b.timezone !== undefined && (typeof b.timezone !== 'string' || !isTimeZone(b.timezone))) {
      return `${where}.timezone must be an IANA time zone such as "Asia/Kolkata"`;
    }
  }
  return undefined;
}

/** An optional integer (absent = unset); from the environment a plain number. */
function optionalInt(min: number, max: number) {
  return f.structured<number | undefined>(undefined, `an integer from ${min} to ${max}`, (v) =>
    typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max ? undefined : 'out of range',
  );
}

/**
 * `[voice]`: the gold-loan voice agent's sessions, simulated SMS, simulated gold prices and
 * branch appointments. See switchboard.example.toml for a commented example.
 */
export const voiceSection = {
  /** Sessions expire this long after they are created (all their cells together). */
  session_ttl_seconds: f.int(86_400, 1, 31_536_000),
  /** Largest session memory accepted, in bytes of its JSON (UTF-8). */
  max_memory_bytes: f.int(262_144, 64, 4_194_304),
  /** Region for phone numbers written without a country code (ISO 3166 alpha-2, e.g. "IN"). */
  default_region: f.string('IN', { nonEmpty: true }),
  /** How far ahead an appointment may be booked, in days after today in the branch's zone (SLOT_TOO_FAR beyond). */
  booking_horizon_days: f.int(90, 1, 3650),
  gold_price: {
    /** The day's base price per gram in INR, at `base_purity`. */
    base_price: f.number(7500, 0.01, 100_000_000),
    /**
     * The purity `base_price` is quoted at. With "22k" (the default, as the seed's config says)
     * the 24k price is base / 0.916; with "24k" the base is the 24k price itself.
     */
    base_purity: f.oneOf(['24k', '22k', '18k'] as const, '22k'),
    /** Each draw is base × (1 + u), u uniform in ±fluctuation_percent: it never drifts further. */
    fluctuation_percent: f.number(2, 0, 50),
    /** How long a drawn price is served before a new one is drawn. */
    cache_ttl_seconds: f.int(300, 0, 86_400),
    /** Seed for the simulation's random source; unset draws a random seed at start. */
    seed: optionalInt(0, 4_294_967_295),
    /** Time zone whose calendar day and hour bucket the price history. */
    timezone: f.string('Asia/Kolkata', { nonEmpty: true }),
  },
  sms: {
    /** Only simulation exists today: messages are stored and "delivered" by the worker. */
    simulation_mode: f.boolean(true),
    /** Log each send (id, type, segments, status; never the number or the text). */
    log_messages: f.boolean(true),
    /** Time from simulated_sent to delivered (or failed). */
    delivery_delay_ms: f.int(2_000, 0, 86_400_000),
    /** How often the delivery worker looks for due messages. */
    delivery_poll_ms: f.int(500, 10, 60_000),
    /** Fraction of simulated deliveries that fail (0 to 1), for testing failure handling. */
    failure_rate: f.number(0, 0, 1),
    /** Longest message accepted, in segments (GSM-7 153 / UCS-2 67 characters each when split). */
    max_segments: f.int(6, 1, 255),
  },
  branches: f.structured<BranchConfig[]>(
    [],
    'an array of [[voice.branches]] tables with id, name, city, opens "HH:MM", closes "HH:MM", slot_minutes (5-720), capacity (1-1000) and optional timezone',
    checkBranches,
  ),
} as const satisfies Section;

export type VoiceConfig = ConfigOf<typeof voiceSection>;
