import { SwitchboardError } from '../../../errors/index.js';
import { isIsoDate } from '../../../ports/wide-column/values.js';
import { minutesOfDay, type BranchConfig } from '../config.js';
import { addDays, zonedParts, zonedToInstant } from '../zoned-time.js';

export const DEFAULT_BRANCH_TIMEZONE = 'Asia/Kolkata';

export interface Branch {
  id: string;
  name: string;
  city: string;
  opens: string;
  closes: string;
  slotMinutes: number;
  capacity: number;
  timezone: string;
}

const TIME_RE = /^([01]\d|2[0-3]):[0-5]\d$/;

/** The configured branches, looked up by id, with the rules for what a bookable slot is. */
export class BranchDirectory {
  private readonly byId: Map<string, Branch>;

  constructor(branches: readonly BranchConfig[]) {
    this.byId = new Map(
      branches.map((b) => [
        b.id,
        {
          id: b.id,
          name: b.name,
          city: b.city,
          opens: b.opens,
          closes: b.closes,
          slotMinutes: b.slot_minutes,
          capacity: b.capacity,
          timezone: b.timezone ?? DEFAULT_BRANCH_TIMEZONE,
        },
      ]),
    );
  }

  list(): Branch[] {
    return [...this.byId.values()];
  }

  get(id: string, field = 'branchId'): Branch {
    const branch = this.byId.get(id);
    if (!branch)
      throw new SwitchboardError('UNKNOWN_BRANCH', `${field}: no branch "${id}" in the branch directory`, {
        field,
      });
    return branch;
  }

  /** The slots of a day, "HH:MM" from opening until the last slot that ends by closing. */
  slots(branch: Branch): string[] {
    const out: string[] = [];
    const close = minutesOfDay(branch.closes);
    for (let m = minutesOfDay(branch.opens); m + branch.slotMinutes <= close; m += branch.slotMinutes) {
      out.push(`${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`);
    }
    return out;
  }

  /**
   * Checks that `date` `time` is a slot of the branch that has not started yet, and returns
   * the slot's start instant. Errors name the request field at fault.
   */
  checkSlot(
    branch: Branch,
    date: string,
    time: string,
    now: Date,
    fields = { date: 'date', time: 'time' },
  ): Date {
    if (typeof date !== 'string' || !isIsoDate(date)) {
      throw new SwitchboardError('VALIDATION_FAILED', `${fields.date} must be a calendar date "YYYY-MM-DD"`, {
        field: fields.date,
      });
    }
    if (typeof time !== 'string' || !TIME_RE.test(time)) {
      throw new SwitchboardError('VALIDATION_FAILED', `${fields.time} must be a time "HH:MM"`, {
        field: fields.time,
      });
    }
    const start = minutesOfDay(time);
    const opens = minutesOfDay(branch.opens);
    const inHours = start >= opens && start + branch.slotMinutes <= minutesOfDay(branch.closes);
    if (!inHours || (start - opens) % branch.slotMinutes !== 0) {
      throw new SwitchboardError(
        'SLOT_OUTSIDE_HOURS',
        `${fields.time}: ${time} is not a slot of ${branch.name}; slots are every ${branch.slotMinutes} minutes from ${branch.opens}, ending by ${branch.closes}`,
        {
          field: fields.time,
          details: { opens: branch.opens, closes: branch.closes, slotMinutes: branch.slotMinutes },
        },
      );
    }
    const instant = zonedToInstant(date, time, branch.timezone);
    if (instant.getTime() <= now.getTime()) {
      throw new SwitchboardError(
        'SLOT_IN_PAST',
        `${fields.date} ${fields.time}: the slot ${date} ${time} has already started`,
        {
          field: fields.date,
          details: { timezone: branch.timezone },
        },
      );
    }
    return instant;
  }

  /** SLOT_TOO_FAR when `date` is more than `horizonDays` after today in the branch's zone. */
  checkHorizon(branch: Branch, date: string, now: Date, horizonDays: number, field = 'date'): void {
    const last = addDays(zonedParts(now, branch.timezone).date, horizonDays);
    if (date > last) {
      throw new SwitchboardError(
        'SLOT_TOO_FAR',
        `${field}: ${date} is more than ${horizonDays} days ahead; the latest bookable date is ${last}`,
        { field, details: { horizonDays, latestDate: last, timezone: branch.timezone } },
      );
    }
  }
}
