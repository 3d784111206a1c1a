/**
 * Wall-clock time in an IANA time zone without a date library: Intl gives the zone's local
 * fields for an instant, and the inverse is found by correcting a first guess with the
 * zone's offset (twice, which settles across DST changes).
 */

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(zone: string): Intl.DateTimeFormat {
  let fmt = formatters.get(zone);
  if (!fmt) {
    fmt = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(zone, fmt);
  }
  return fmt;
}

export interface ZonedParts {
  /** "YYYY-MM-DD" in the zone. */
  date: string;
  hour: number;
  minute: number;
}

function fields(instant: Date, zone: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const part of formatter(zone).formatToParts(instant)) {
    if (part.type !== 'literal') out[part.type] = Number(part.value);
  }
  return out;
}

export function zonedParts(instant: Date, zone: string): ZonedParts {
  const p = fields(instant, zone);
  const pad = (n: number | undefined, w = 2) => String(n ?? 0).padStart(w, '0');
  return {
    date: `${pad(p.year, 4)}-${pad(p.month)}-${pad(p.day)}`,
    hour: p.hour ?? 0,
    minute: p.minute ?? 0,
  };
}

/** Offset of the zone from UTC at an instant, in milliseconds. */
function offsetMs(instant: Date, zone: string): number {
  const p = fields(instant, zone);
  const asUtc = Date.UTC(p.year!, p.month! - 1, p.day!, p.hour!, p.minute!, p.second!);
  return asUtc - Math.floor(instant.getTime() / 1000) * 1000;
}

/** The instant at which the zone's clock reads `date` ("YYYY-MM-DD") `time` ("HH:MM"). */
export function zonedToInstant(date: string, time: string, zone: string): Date {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  const [hh, mm] = time.split(':').map(Number) as [number, number];
  const wall = Date.UTC(y, m - 1, d, hh, mm);
  let guess = wall - offsetMs(new Date(wall), zone);
  guess = wall - offsetMs(new Date(guess), zone);
  return new Date(guess);
}

/** Adds days to a "YYYY-MM-DD" calendar date. */
export function addDays(date: string, days: number): string {
  const t = Date.parse(`${date}T00:00:00Z`) + days * 86_400_000;
  return new Date(t).toISOString().slice(0, 10);
}
