import { newRow, type Row, type RowInput } from '../../../ports/wide-column/declare.js';
import {
  batchOp,
  type Page,
  type WideColumnEngine,
  type WriteResult,
} from '../../../ports/wide-column/engine.js';
import {
  appointmentSlotCustomers,
  appointmentSlots,
  appointments,
  appointmentsByBranchDate,
  appointmentsById,
} from '../tables.js';

export type AppointmentRow = Row<typeof appointments>;
export type DaySheetRow = Row<typeof appointmentsByBranchDate>;

export interface SlotKey {
  branch_id: string;
  appointment_date: string;
  appointment_time: string;
}

export function slotOf(row: {
  branch_id: string | null;
  appointment_date: string | null;
  appointment_time: string | null;
}): SlotKey {
  return {
    branch_id: row.branch_id ?? '',
    appointment_date: row.appointment_date ?? '',
    appointment_time: row.appointment_time ?? '',
  };
}

export class AppointmentRepository {
  constructor(private readonly store: WideColumnEngine) {}

  /** Claims the customer's place in a slot; false when they already hold one. */
  async claimCustomer(slot: SlotKey, phone: string, appointmentId: string): Promise<boolean> {
    const result = await this.store.insert(
      appointmentSlotCustomers,
      { ...slot, customer_phone: phone, appointment_id: appointmentId },
      { ifNotExists: true },
    );
    return result.applied;
  }

  releaseCustomer(slot: SlotKey, phone: string): Promise<unknown> {
    return this.store.delete(
      appointmentSlotCustomers,
      { ...slot, customer_phone: phone },
      { ifExists: true },
    );
  }

  /** Seats already taken in a slot. */
  async takenSeats(slot: SlotKey, capacity: number): Promise<Set<number>> {
    const page = await this.store.slice(appointmentSlots, { key: slot, limit: Math.max(1, capacity) });
    return new Set(page.rows.map((r) => r.seat));
  }

  /** INSERT IF NOT EXISTS on one seat: of concurrent claims exactly one applies. */
  async claimSeat(slot: SlotKey, seat: number, appointmentId: string): Promise<boolean> {
    const result = await this.store.insert(
      appointmentSlots,
      { ...slot, seat, appointment_id: appointmentId },
      { ifNotExists: true },
    );
    return result.applied;
  }

  releaseSeat(slot: SlotKey, seat: number): Promise<unknown> {
    return this.store.delete(appointmentSlots, { ...slot, seat }, { ifExists: true });
  }

  /** The appointment, its id lookup and its day-sheet entry, all or nothing. */
  insert(row: RowInput<typeof appointments> & SlotKey): Promise<void> {
    return this.store.batch([
      batchOp.insert(appointments, newRow(row)),
      batchOp.insert(appointmentsById, {
        appointment_id: row.appointment_id,
        customer_phone: row.customer_phone,
      }),
      batchOp.insert(
        appointmentsByBranchDate,
        newRow({
          branch_id: row.branch_id,
          appointment_date: row.appointment_date,
          appointment_time: row.appointment_time,
          appointment_id: row.appointment_id,
          customer_phone: row.customer_phone,
          customer_name: row.customer_name,
          status: row.status,
        }),
      ),
    ]);
  }

  async phoneOf(appointmentId: string): Promise<string | null> {
    const row = await this.store.get(appointmentsById, { appointment_id: appointmentId });
    return row?.customer_phone ?? null;
  }

  get(phone: string, appointmentId: string): Promise<AppointmentRow | null> {
    return this.store.get(appointments, { customer_phone: phone, appointment_id: appointmentId });
  }

  /** `UPDATE ... SET status IF status = from`. */
  setStatus(
    phone: string,
    appointmentId: string,
    from: string,
    to: string,
    at: Date,
  ): Promise<WriteResult<typeof appointments>> {
    return this.store.update(
      appointments,
      { customer_phone: phone, appointment_id: appointmentId },
      { status: to, updated_at: at },
      { if: { status: from } },
    );
  }

  /**
   * Mirrors a status onto the day sheet and, when the appointment ends early, frees its seat
   * and claim. The frees are conditional deletes (LWT), like the claims they undo: ScyllaDB
   * advises against mixing plain and conditional writes on one row.
   */
  async afterStatus(row: AppointmentRow, to: string, freeSlot: boolean): Promise<void> {
    const slot = slotOf(row);
    await this.store.update(
      appointmentsByBranchDate,
      { ...slot, appointment_id: row.appointment_id },
      { status: to },
    );
    if (freeSlot) {
      if (row.seat !== null) await this.releaseSeat(slot, row.seat);
      await this.releaseCustomer(slot, row.customer_phone);
    }
  }

  listByPhone(phone: string, limit: number, pageToken?: string | null): Promise<Page<AppointmentRow>> {
    return this.store.slice(appointments, {
      key: { customer_phone: phone },
      limit,
      pageToken: pageToken ?? null,
    });
  }

  daySheet(
    branchId: string,
    date: string,
    limit: number,
    pageToken?: string | null,
  ): Promise<Page<DaySheetRow>> {
    return this.store.slice(appointmentsByBranchDate, {
      key: { branch_id: branchId, appointment_date: date },
      limit,
      pageToken: pageToken ?? null,
    });
  }
}
