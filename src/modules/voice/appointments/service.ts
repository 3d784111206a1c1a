import type { Logger } from 'pino';
import { SwitchboardError } from '../../../errors/index.js';
import { isIsoDate, isTimeUuid } from '../../../ports/wide-column/values.js';
import type { Clock } from '../../../shared/clock.js';
import { timeUuid } from '../../../shared/timeuuid.js';
import { normalisePhone } from '../phone.js';
import type { SessionService } from '../sessions/service.js';
import type { SmsService } from '../sms/service.js';
import { invalid, isPlainObject, optionalText, pageLimit, requiredText } from '../validate.js';
import type { Branch, BranchDirectory } from './branches.js';
import { slotOf, type AppointmentRepository, type AppointmentRow, type SlotKey } from './repository.js';

export const APPOINTMENT_STATUSES = ['scheduled', 'confirmed', 'completed', 'cancelled'] as const;
export type AppointmentStatus = (typeof APPOINTMENT_STATUSES)[number];

/** The only moves allowed: scheduled → confirmed → completed, and cancelled from either open state. */
const TRANSITIONS: Record<AppointmentStatus, readonly AppointmentStatus[]> = {
  scheduled: ['confirmed', 'cancelled'],
  confirmed: ['completed', 'cancelled'],
  completed: [],
  cancelled: [],
};

export interface Appointment {
  appointmentId: string;
  sessionId: string | null;
  customerPhone: string;
  customerName: string;
  branchId: string;
  branchName: string;
  date: string;
  time: string;
  status: AppointmentStatus;
  notes: string | null;
  confirmationSmsId: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface BookAppointmentInput {
  customerName: string;
  customerPhone: string;
  branchId: string;
  /** "YYYY-MM-DD" in the branch's time zone. */
  date: string;
  /** "HH:MM", a slot start of the branch. */
  time: string;
  sessionId?: string | null;
  notes?: string | null;
}

export interface AppointmentServiceOptions {
  defaultRegion: string;
  /** Latest bookable date: this many days after today in the branch's zone (default 90). */
  horizonDays?: number;
  clock: Clock;
  logger: Logger;
}

/**
 * Branch appointments. A booking is checked in full before anything is written (branch,
 * slot, phone, session, the confirmation SMS itself), then claims the customer's place in
 * the slot and a seat, each with INSERT IF NOT EXISTS, so concurrent bookings of the last
 * seat have exactly one winner and a customer cannot hold two appointments in one slot.
 */
export class AppointmentService {
  constructor(
    private readonly repo: AppointmentRepository,
    private readonly branches: BranchDirectory,
    private readonly sessions: SessionService,
    private readonly sms: SmsService,
    private readonly options: AppointmentServiceOptions,
  ) {}

  async book(input: BookAppointmentInput): Promise<Appointment> {
    if (!isPlainObject(input)) throw invalid('body', 'must be an object');
    const name = requiredText(input.customerName, 'customerName', 120);
    const phone = normalisePhone(input.customerPhone, this.options.defaultRegion, 'customerPhone');
    if (typeof input.branchId !== 'string') throw invalid('branchId', 'is required');
    const branch = this.branches.get(input.branchId, 'branchId');
    const now = this.options.clock.now();
    this.branches.checkSlot(branch, input.date, input.time, now);
    this.branches.checkHorizon(branch, input.date, now, this.options.horizonDays ?? 90);
    const notes = optionalText(input.notes, 'notes', 1_000);
    const sessionId = input.sessionId ?? null;
    if (sessionId !== null && !(await this.sessions.find(sessionId))) {
      throw new SwitchboardError('NOT_FOUND', `sessionId: no live session "${sessionId}"`, {
        field: 'sessionId',
      });
    }
    const appointmentId = timeUuid(now);
    const sms = this.sms.prepare({
      phone,
      type: 'appointment_confirmation',
      text: confirmationText(name, branch, input.date, input.time, appointmentId),
      sessionId,
      metadata: { appointmentId, branchId: branch.id },
    });

    const slot: SlotKey = {
      branch_id: branch.id,
      appointment_date: input.date,
      appointment_time: input.time,
    };
    if (!(await this.repo.claimCustomer(slot, phone, appointmentId))) {
      throw new SwitchboardError(
        'DUPLICATE_BOOKING',
        `customerPhone already holds an appointment at ${branch.name} on ${input.date} ${input.time}`,
        { field: 'customerPhone' },
      );
    }
    let seat: number | null = null;
    try {
      seat = await this.claimSeat(slot, branch.capacity, appointmentId);
      if (seat === null) {
        throw new SwitchboardError(
          'SLOT_FULL',
          `time: all ${branch.capacity} seats of ${input.date} ${input.time} are taken`,
          {
            field: 'time',
            details: { capacity: branch.capacity },
          },
        );
      }
      await this.repo.insert({
        customer_phone: phone,
        appointment_id: appointmentId,
        session_id: sessionId,
        customer_name: name,
        ...slot,
        branch_name: branch.name,
        status: 'scheduled',
        created_at: now,
        updated_at: now,
        confirmation_sms_id: sms.messageId,
        notes,
        seat,
      });
    } catch (error) {
      // Undo the claims so a failed booking leaves the slot as it found it.
      if (seat !== null) await this.repo.releaseSeat(slot, seat).catch(() => undefined);
      await this.repo.releaseCustomer(slot, phone).catch(() => undefined);
      throw error;
    }
    try {
      await this.sms.sendPrepared(sms);
    } catch (error) {
      // The booking stands; the confirmation id then points at a message that was never stored.
      this.options.logger.warn(
        { appointmentId, code: errorCode(error) },
        'confirmation SMS could not be stored',
      );
    }
    return {
      appointmentId,
      sessionId,
      customerPhone: phone,
      customerName: name,
      branchId: branch.id,
      branchName: branch.name,
      date: input.date,
      time: input.time,
      status: 'scheduled',
      notes,
      confirmationSmsId: sms.messageId,
      createdAt: now,
      updatedAt: now,
    };
  }

  /** Tries the free seats in order; returns the one claimed, or null when the slot is full. */
  private async claimSeat(slot: SlotKey, capacity: number, appointmentId: string): Promise<number | null> {
    const taken = await this.repo.takenSeats(slot, capacity);
    for (let seat = 1; seat <= capacity; seat += 1) {
      if (taken.has(seat)) continue;
      if (await this.repo.claimSeat(slot, seat, appointmentId)) return seat;
    }
    return null;
  }

  async get(appointmentId: string): Promise<Appointment> {
    return toAppointment(await this.row(appointmentId));
  }

  /** Moves the status; anything but the allowed moves is ILLEGAL_STATUS_CHANGE. Cancelling frees the seat. */
  async changeStatus(appointmentId: string, next: AppointmentStatus): Promise<Appointment> {
    if (typeof next !== 'string' || !(APPOINTMENT_STATUSES as readonly string[]).includes(next)) {
      throw invalid('status', `must be one of ${APPOINTMENT_STATUSES.join(', ')}`);
    }
    for (let attempt = 0; attempt < 3; attempt += 1) {
      const row = await this.row(appointmentId);
      const current = (row.status ?? 'scheduled') as AppointmentStatus;
      if (!TRANSITIONS[current].includes(next)) {
        throw new SwitchboardError(
          'ILLEGAL_STATUS_CHANGE',
          `status: an appointment that is ${current} cannot become ${next}` +
            (TRANSITIONS[current].length ? `; it can become ${TRANSITIONS[current].join(' or ')}` : ''),
          { field: 'status', details: { from: current, to: next, allowed: TRANSITIONS[current] } },
        );
      }
      const at = this.options.clock.now();
      const result = await this.repo.setStatus(row.customer_phone, row.appointment_id, current, next, at);
      // Another request moved it first: re-read and judge the move against the new status.
      if (!result.applied) continue;
      await this.repo.afterStatus(row, next, next === 'cancelled');
      return toAppointment({ ...row, status: next, updated_at: at });
    }
    throw new SwitchboardError(
      'VERSION_CONFLICT',
      'status: the appointment keeps changing; read it and retry',
      {
        field: 'status',
      },
    );
  }

  /** A customer's appointments, most recently booked first. */
  async listByPhone(
    phone: string,
    options: { limit?: number; pageToken?: string | null } = {},
  ): Promise<{ appointments: Appointment[]; nextPageToken: string | null }> {
    const e164 = normalisePhone(phone, this.options.defaultRegion, 'phone');
    const page = await this.repo.listByPhone(e164, pageLimit(options.limit, 20, 100), options.pageToken);
    return { appointments: page.rows.map(toAppointment), nextPageToken: page.nextPageToken };
  }

  /** A branch's day sheet in slot order (cancelled appointments included, with their status). */
  async daySheet(
    branchId: string,
    date: string,
    options: { limit?: number; pageToken?: string | null } = {},
  ): Promise<{ branch: Branch; appointments: DaySheetEntry[]; nextPageToken: string | null }> {
    const branch = this.branches.get(branchId, 'branchId');
    if (typeof date !== 'string' || !isIsoDate(date))
      throw invalid('date', 'must be a calendar date "YYYY-MM-DD"');
    const page = await this.repo.daySheet(
      branch.id,
      date,
      pageLimit(options.limit, 500, 1000),
      options.pageToken,
    );
    return {
      branch,
      appointments: page.rows.map((r) => ({
        appointmentId: r.appointment_id,
        time: r.appointment_time,
        customerName: r.customer_name ?? '',
        customerPhone: r.customer_phone ?? '',
        status: (r.status ?? 'scheduled') as AppointmentStatus,
      })),
      nextPageToken: page.nextPageToken,
    };
  }

  private async row(appointmentId: string): Promise<AppointmentRow> {
    const id = typeof appointmentId === 'string' ? appointmentId.toLowerCase() : '';
    if (!isTimeUuid(id)) throw invalid('appointmentId', 'must be a version-1 UUID');
    const phone = await this.repo.phoneOf(id);
    const row = phone ? await this.repo.get(phone, id) : null;
    if (!row) throw new SwitchboardError('NOT_FOUND', `No appointment ${id}`, { field: 'appointmentId' });
    return row;
  }
}

export interface DaySheetEntry {
  appointmentId: string;
  time: string;
  customerName: string;
  customerPhone: string;
  status: AppointmentStatus;
}

function confirmationText(name: string, branch: Branch, date: string, time: string, id: string): string {
  return `Dear ${name}, your visit to ${branch.name}${branch.city ? `, ${branch.city}` : ''} is booked for ${date} at ${time}. Ref ${id.slice(0, 8).toUpperCase()}.`;
}

function toAppointment(row: AppointmentRow): Appointment {
  const slot = slotOf(row);
  return {
    appointmentId: row.appointment_id,
    sessionId: row.session_id,
    customerPhone: row.customer_phone,
    customerName: row.customer_name ?? '',
    branchId: slot.branch_id,
    branchName: row.branch_name ?? '',
    date: slot.appointment_date,
    time: slot.appointment_time,
    status: (row.status ?? 'scheduled') as AppointmentStatus,
    notes: row.notes,
    confirmationSmsId: row.confirmation_sms_id,
    createdAt: row.created_at ?? new Date(0),
    updatedAt: row.updated_at ?? row.created_at ?? new Date(0),
  };
}

/** Only the code goes to logs: store messages can quote values, and values here include phone numbers. */
function errorCode(error: unknown): string {
  return error instanceof SwitchboardError ? error.code : ((error as Error)?.name ?? 'Error');
}
