import { defineTable } from '../../ports/wide-column/declare.js';

/**
 * The voice module's wide-column tables. The first four keep the seed's names and columns
 * (sessions, sms_messages, gold_prices, gold_price_latest, appointments); the others are the
 * query tables ScyllaDB needs for each access path, since it cannot filter by a non-key
 * column. Every lookup names a whole partition; nothing scans a table.
 */

/** 24 hours: the seed's `default_time_to_live`. Writes always pass the configured TTL explicitly. */
const DAY_SECONDS = 86_400;

export const sessions = defineTable({
  name: 'sessions',
  module: 'voice',
  columns: {
    session_id: 'text',
    created_at: 'timestamp',
    updated_at: 'timestamp',
    expires_at: 'timestamp',
    customer_phone: 'text',
    customer_segment: 'text',
    language: 'text',
    conversation_stage: 'text',
    memory_json: 'text',
    metadata_json: 'text',
    /** Incremented by every memory write; writes are conditional on it (optimistic concurrency). */
    memory_version: 'int',
  },
  partitionKey: ['session_id'],
  defaultTtlSeconds: DAY_SECONDS,
  usesLwt: true,
  comment: 'Voice sessions with JSON memory; every write carries the TTL left until expires_at',
});

/** A returning caller's sessions, newest first. Same TTL as the session it points to. */
export const sessionsByPhone = defineTable({
  name: 'sessions_by_phone',
  module: 'voice',
  columns: {
    customer_phone: 'text',
    created_at: 'timestamp',
    session_id: 'text',
    expires_at: 'timestamp',
  },
  partitionKey: ['customer_phone'],
  clusteringKey: [
    { column: 'created_at', order: 'DESC' },
    { column: 'session_id', order: 'ASC' },
  ],
  defaultTtlSeconds: DAY_SECONDS,
  comment: 'Index of sessions by customer phone (E.164), newest first',
});

export const smsMessages = defineTable({
  name: 'sms_messages',
  module: 'voice',
  columns: {
    message_id: 'timeuuid',
    session_id: 'text',
    phone_number: 'text',
    message_text: 'text',
    message_type: 'text',
    status: 'text',
    created_at: 'timestamp',
    sent_at: 'timestamp',
    delivered_at: 'timestamp',
    failed_at: 'timestamp',
    failure_reason: 'text',
    segments: 'int',
    encoding: 'text',
    provider: 'text',
    metadata_json: 'text',
  },
  partitionKey: ['phone_number'],
  clusteringKey: [{ column: 'message_id', order: 'DESC' }],
  usesLwt: true,
  comment:
    'SMS outbox by phone (E.164), newest first; status moves queued → simulated_sent → delivered | failed',
});

/** Messages of one session, newest first; rows point into sms_messages. */
export const smsBySession = defineTable({
  name: 'sms_by_session',
  module: 'voice',
  columns: {
    session_id: 'text',
    message_id: 'timeuuid',
    phone_number: 'text',
  },
  partitionKey: ['session_id'],
  clusteringKey: [{ column: 'message_id', order: 'DESC' }],
  comment: 'Index of SMS by session',
  // Written in one logged batch with an LWT table: the same timestamp source (declare.ts).
  serverTimestamps: true,
});

/** How many partitions the due-delivery queue is spread over (each poll reads all of them). */
export const SMS_PENDING_BUCKETS = 4;

/**
 * Messages waiting for their simulated delivery, ordered by due time inside a few small
 * partitions, so the worker reads only what is due. Rows are deleted once handled; the TTL
 * removes any a crashed worker left behind.
 */
export const smsPending = defineTable({
  name: 'sms_pending',
  module: 'voice',
  columns: {
    bucket: 'int',
    due_at: 'timestamp',
    message_id: 'timeuuid',
    phone_number: 'text',
  },
  partitionKey: ['bucket'],
  clusteringKey: [
    { column: 'due_at', order: 'ASC' },
    { column: 'message_id', order: 'ASC' },
  ],
  defaultTtlSeconds: 7 * DAY_SECONDS,
  comment: 'SMS due for simulated delivery, by bucket and due time',
  // Written in one logged batch with an LWT table: the same timestamp source (declare.ts).
  serverTimestamps: true,
});

export const goldPrices = defineTable({
  name: 'gold_prices',
  module: 'voice',
  columns: {
    date: 'date',
    time_bucket: 'int',
    price_per_gram: 'decimal',
    price_24k: 'decimal',
    price_22k: 'decimal',
    price_18k: 'decimal',
    source: 'text',
    created_at: 'timestamp',
  },
  partitionKey: ['date'],
  clusteringKey: [{ column: 'time_bucket', order: 'DESC' }],
  comment: 'Hourly gold price history (INR per gram); time_bucket is the hour 0-23 in the configured zone',
});

export const goldPriceLatest = defineTable({
  name: 'gold_price_latest',
  module: 'voice',
  columns: {
    singleton: 'int',
    price_per_gram: 'decimal',
    price_24k: 'decimal',
    price_22k: 'decimal',
    price_18k: 'decimal',
    updated_at: 'timestamp',
    source: 'text',
  },
  partitionKey: ['singleton'],
  comment: 'The latest gold price; one row, singleton = 1',
});

export const appointments = defineTable({
  name: 'appointments',
  module: 'voice',
  columns: {
    appointment_id: 'timeuuid',
    session_id: 'text',
    customer_phone: 'text',
    customer_name: 'text',
    branch_id: 'text',
    branch_name: 'text',
    appointment_date: 'date',
    appointment_time: 'text',
    status: 'text',
    created_at: 'timestamp',
    updated_at: 'timestamp',
    confirmation_sms_id: 'timeuuid',
    notes: 'text',
    /** The seat held in appointment_slots, freed on cancellation. */
    seat: 'int',
  },
  partitionKey: ['customer_phone'],
  clusteringKey: [{ column: 'appointment_id', order: 'DESC' }],
  usesLwt: true,
  comment: 'Branch appointments by customer phone, newest booking first',
});

/** Finds an appointment's partition (the phone) from its id alone. */
export const appointmentsById = defineTable({
  name: 'appointments_by_id',
  module: 'voice',
  columns: {
    appointment_id: 'timeuuid',
    customer_phone: 'text',
  },
  partitionKey: ['appointment_id'],
  comment: 'Appointment id → customer phone',
  // Written in one logged batch with an LWT table: the same timestamp source (declare.ts).
  serverTimestamps: true,
});

/** A branch's day sheet, in slot order. */
export const appointmentsByBranchDate = defineTable({
  name: 'appointments_by_branch_date',
  module: 'voice',
  columns: {
    branch_id: 'text',
    appointment_date: 'date',
    appointment_time: 'text',
    appointment_id: 'timeuuid',
    customer_phone: 'text',
    customer_name: 'text',
    status: 'text',
  },
  partitionKey: ['branch_id', 'appointment_date'],
  clusteringKey: [
    { column: 'appointment_time', order: 'ASC' },
    { column: 'appointment_id', order: 'ASC' },
  ],
  comment: 'Appointments of a branch on a day, by time',
  // Written in one logged batch with an LWT table: the same timestamp source (declare.ts).
  serverTimestamps: true,
});

/**
 * Seats of one slot. A booking claims the first free seat with INSERT IF NOT EXISTS, so
 * concurrent bookings of the last seat cannot both win; cancelling deletes the seat row.
 */
export const appointmentSlots = defineTable({
  name: 'appointment_slots',
  module: 'voice',
  columns: {
    branch_id: 'text',
    appointment_date: 'date',
    appointment_time: 'text',
    seat: 'int',
    appointment_id: 'timeuuid',
  },
  partitionKey: ['branch_id', 'appointment_date', 'appointment_time'],
  clusteringKey: [{ column: 'seat', order: 'ASC' }],
  usesLwt: true,
  comment: 'Seats taken in a branch slot (one row per seat, claimed with IF NOT EXISTS)',
});

/** One row per customer per slot, claimed with IF NOT EXISTS: blocks double bookings. */
export const appointmentSlotCustomers = defineTable({
  name: 'appointment_slot_customers',
  module: 'voice',
  columns: {
    branch_id: 'text',
    appointment_date: 'date',
    appointment_time: 'text',
    customer_phone: 'text',
    appointment_id: 'timeuuid',
  },
  partitionKey: ['branch_id', 'appointment_date', 'appointment_time'],
  clusteringKey: [{ column: 'customer_phone', order: 'ASC' }],
  usesLwt: true,
  comment: 'Active appointment of each customer in a branch slot',
});

export const voiceTables = [
  sessions,
  sessionsByPhone,
  smsMessages,
  smsBySession,
  smsPending,
  goldPrices,
  goldPriceLatest,
  appointments,
  appointmentsById,
  appointmentsByBranchDate,
  appointmentSlots,
  appointmentSlotCustomers,
] as const;
