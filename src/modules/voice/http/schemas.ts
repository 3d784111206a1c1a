import { Type } from '@sinclair/typebox';
import { SMS_STATUSES, SMS_TYPES } from '../sms/types.js';
import { APPOINTMENT_STATUSES } from '../appointments/service.js';

/**
 * TypeBox schemas of the voice routes. Phone numbers, dates, slots and memory sizes are only
 * typed here and checked by the services, which answer with the specific catalogue code
 * (INVALID_PHONE, SLOT_OUTSIDE_HOURS, MEMORY_TOO_LARGE...) rather than a generic 400.
 */

const DateTime = Type.String({ format: 'date-time' });
const NullableDateTime = Type.Union([DateTime, Type.Null()]);
const NullableString = Type.Union([Type.String(), Type.Null()]);
const JsonObject = Type.Record(Type.String(), Type.Unknown());
const ShortText = Type.String({ maxLength: 64 });
const SessionId = Type.String({
  minLength: 1,
  maxLength: 128,
  pattern: '^[A-Za-z0-9._:-]+$',
  examples: ['call-7f3a9c'],
});
const Phone = Type.String({ minLength: 1, maxLength: 40, examples: ['+919876543210', '98765 43210'] });
const TimeUuid = Type.String({
  minLength: 36,
  maxLength: 36,
  examples: ['5b6e4a10-9d3c-11ef-8a4f-0b2f6c1d7e21'],
});

export const Paging = {
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 20 })),
  pageToken: Type.Optional(Type.String({ maxLength: 2048 })),
};

export const SessionView = Type.Object(
  {
    sessionId: Type.String(),
    customerPhone: NullableString,
    customerSegment: NullableString,
    language: NullableString,
    conversationStage: NullableString,
    memory: JsonObject,
    memoryVersion: Type.Integer(),
    metadata: Type.Union([JsonObject, Type.Null()]),
    createdAt: DateTime,
    updatedAt: DateTime,
    expiresAt: DateTime,
  },
  {
    examples: [
      {
        sessionId: 'call-7f3a9c',
        customerPhone: '+919876543210',
        customerSegment: 'returning',
        language: 'hi',
        conversationStage: 'greeting',
        memory: { intent: 'gold_loan' },
        memoryVersion: 1,
        metadata: null,
        createdAt: '2026-12-07T09:30:00.000Z',
        updatedAt: '2026-12-07T09:30:00.000Z',
        expiresAt: '2026-12-08T09:30:00.000Z',
      },
    ],
  },
);

export const CreateSessionBody = Type.Object(
  {
    sessionId: Type.Optional(SessionId),
    customerPhone: Type.Optional(Type.Union([Phone, Type.Null()])),
    customerSegment: Type.Optional(Type.Union([ShortText, Type.Null()])),
    language: Type.Optional(Type.Union([ShortText, Type.Null()])),
    conversationStage: Type.Optional(Type.Union([ShortText, Type.Null()])),
    memory: Type.Optional(JsonObject),
    metadata: Type.Optional(Type.Union([JsonObject, Type.Null()])),
  },
  {
    additionalProperties: false,
    examples: [
      {
        sessionId: 'call-7f3a9c',
        customerPhone: '+919876543210',
        customerSegment: 'returning',
        language: 'hi',
        conversationStage: 'greeting',
        memory: { intent: 'gold_loan' },
      },
    ],
  },
);

export const UpdateSessionBody = Type.Object(
  {
    customerSegment: Type.Optional(Type.Union([ShortText, Type.Null()])),
    language: Type.Optional(Type.Union([ShortText, Type.Null()])),
    conversationStage: Type.Optional(Type.Union([ShortText, Type.Null()])),
    metadata: Type.Optional(Type.Union([JsonObject, Type.Null()])),
  },
  {
    additionalProperties: false,
    minProperties: 1,
    examples: [{ conversationStage: 'eligibility', language: 'en' }],
  },
);

export const SessionParams = Type.Object({ sessionId: SessionId });

export const MemoryView = Type.Object({ memory: JsonObject, version: Type.Integer() });

export const PutMemoryBody = Type.Object(
  {
    memory: JsonObject,
    /** The version last read; or send it as `If-Match`. */
    version: Type.Optional(Type.Integer({ minimum: 1 })),
  },
  { additionalProperties: false, examples: [{ memory: { intent: 'gold_loan', grams: 40 }, version: 1 }] },
);

export const SmsView = Type.Object({
  messageId: Type.String(),
  sessionId: NullableString,
  phoneNumber: Type.String(),
  text: Type.String(),
  type: Type.String(),
  status: Type.Union(SMS_STATUSES.map((s) => Type.Literal(s))),
  segments: Type.Integer(),
  encoding: Type.String(),
  provider: NullableString,
  createdAt: DateTime,
  sentAt: NullableDateTime,
  deliveredAt: NullableDateTime,
  failedAt: NullableDateTime,
  failureReason: NullableString,
  metadata: Type.Union([JsonObject, Type.Null()]),
});

export const SendSmsBody = Type.Object(
  {
    phone: Phone,
    text: Type.String({ minLength: 1, maxLength: 2000 }),
    type: Type.Union(SMS_TYPES.map((t) => Type.Literal(t))),
    sessionId: Type.Optional(Type.Union([SessionId, Type.Null()])),
    metadata: Type.Optional(Type.Union([JsonObject, Type.Null()])),
  },
  {
    additionalProperties: false,
    examples: [{ phone: '+919876543210', text: 'Your OTP is 482913', type: 'otp', sessionId: 'call-7f3a9c' }],
  },
);

export const PhoneQuery = Type.Object({ phone: Phone, ...Paging });

export const GoldPriceView = Type.Object(
  {
    pricePerGram: Type.String({ examples: ['7500.00'] }),
    basePurity: Type.String({ examples: ['22k'] }),
    price24k: Type.String({ examples: ['8187.77'] }),
    price22k: Type.String({ examples: ['7500.00'] }),
    price18k: Type.String({ examples: ['6140.83'] }),
    currency: Type.Literal('INR'),
    source: Type.String(),
    updatedAt: DateTime,
  },
  { description: 'INR per gram, exact two-decimal strings' },
);

export const GoldHistoryView = Type.Object({
  date: Type.String(),
  hour: Type.Integer(),
  pricePerGram: Type.String(),
  price24k: Type.String(),
  price22k: Type.String(),
  price18k: Type.String(),
  source: Type.String(),
  createdAt: DateTime,
});

export const GoldHistoryQuery = Type.Object({
  date: Type.Optional(Type.String({ examples: ['2025-01-15'] })),
  from: Type.Optional(Type.String({ examples: ['2025-01-01'] })),
  to: Type.Optional(Type.String({ examples: ['2025-01-15'] })),
});

export const AppointmentView = Type.Object({
  appointmentId: Type.String(),
  sessionId: NullableString,
  customerPhone: Type.String(),
  customerName: Type.String(),
  branchId: Type.String(),
  branchName: Type.String(),
  date: Type.String(),
  time: Type.String(),
  status: Type.Union(APPOINTMENT_STATUSES.map((s) => Type.Literal(s))),
  notes: NullableString,
  confirmationSmsId: NullableString,
  createdAt: DateTime,
  updatedAt: DateTime,
});

export const BookAppointmentBody = Type.Object(
  {
    customerName: Type.String({ minLength: 1, maxLength: 120 }),
    customerPhone: Phone,
    branchId: Type.String({ minLength: 1, maxLength: 64 }),
    date: Type.String({ description: 'YYYY-MM-DD in the branch time zone' }),
    time: Type.String({ description: 'HH:MM, a slot start' }),
    sessionId: Type.Optional(Type.Union([SessionId, Type.Null()])),
    notes: Type.Optional(Type.Union([Type.String({ maxLength: 1000 }), Type.Null()])),
  },
  {
    additionalProperties: false,
    examples: [
      {
        customerName: 'Asha Rao',
        customerPhone: '+919876543210',
        branchId: 'blr-indiranagar',
        date: '2030-01-15',
        time: '10:30',
        sessionId: 'call-7f3a9c',
        notes: 'Bringing 40 g of 22k jewellery',
      },
    ],
  },
);

export const AppointmentParams = Type.Object({ appointmentId: TimeUuid });

export const StatusBody = Type.Object(
  { status: Type.Union(APPOINTMENT_STATUSES.map((s) => Type.Literal(s))) },
  { additionalProperties: false, examples: [{ status: 'confirmed' }] },
);

export const BranchView = Type.Object({
  id: Type.String(),
  name: Type.String(),
  city: Type.String(),
  opens: Type.String(),
  closes: Type.String(),
  slotMinutes: Type.Integer(),
  capacity: Type.Integer(),
  timezone: Type.String(),
});

export const DaySheetView = Type.Object({
  branch: BranchView,
  date: Type.String(),
  appointments: Type.Array(
    Type.Object({
      appointmentId: Type.String(),
      time: Type.String(),
      customerName: Type.String(),
      customerPhone: Type.String(),
      status: Type.String(),
    }),
  ),
  nextPageToken: NullableString,
});
