import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { ErrorResponse, keyedErrorResponses } from '../../../server/schemas.js';
import { typed } from '../../../server/type-provider.js';
import type { VoiceServices } from '../services.js';
import {
  AppointmentParams,
  AppointmentView,
  BookAppointmentBody,
  BranchView,
  DaySheetView,
  PhoneQuery,
  StatusBody,
} from './schemas.js';
import { appointmentView } from './views.js';

const err = Type.Ref(ErrorResponse);
const tags = ['voice appointments'];

export function appointmentRoutes(app: FastifyInstance, services: VoiceServices): void {
  const r = typed(app);
  const { appointments, branches } = services;

  r.post(
    '/voice/appointments',
    {
      config: { scope: 'write' },
      schema: {
        operationId: 'voice.bookAppointment',
        tags,
        summary: 'Book a branch visit; sends the appointment_confirmation SMS',
        description:
          'Errors: UNKNOWN_BRANCH, SLOT_OUTSIDE_HOURS, SLOT_IN_PAST, SLOT_FULL, DUPLICATE_BOOKING, INVALID_PHONE, NOT_FOUND (sessionId).',
        body: BookAppointmentBody,
        response: { 201: AppointmentView, 404: err, 409: err, ...keyedErrorResponses },
      },
    },
    async (request, reply) => reply.code(201).send(appointmentView(await appointments.book(request.body))),
  );

  r.get(
    '/voice/appointments',
    {
      config: { scope: 'read' },
      schema: {
        operationId: 'voice.listAppointments',
        tags,
        summary: "A customer's appointments, most recently booked first",
        querystring: PhoneQuery,
        response: {
          200: Type.Object({
            appointments: Type.Array(AppointmentView),
            nextPageToken: Type.Union([Type.String(), Type.Null()]),
          }),
          ...keyedErrorResponses,
        },
      },
    },
    async (request) => {
      const { phone, limit, pageToken } = request.query;
      const page = await appointments.listByPhone(phone, { limit, pageToken: pageToken ?? null });
      return { appointments: page.appointments.map(appointmentView), nextPageToken: page.nextPageToken };
    },
  );

  r.get(
    '/voice/appointments/:appointmentId',
    {
      config: { scope: 'read' },
      schema: {
        operationId: 'voice.getAppointment',
        tags,
        summary: 'Read an appointment',
        params: AppointmentParams,
        response: { 200: AppointmentView, 404: err, ...keyedErrorResponses },
      },
    },
    async (request) => appointmentView(await appointments.get(request.params.appointmentId)),
  );

  r.post(
    '/voice/appointments/:appointmentId/status',
    {
      config: { scope: 'write' },
      schema: {
        operationId: 'voice.setAppointmentStatus',
        tags,
        summary: 'Move the status: scheduled → confirmed → completed, or cancelled from scheduled/confirmed',
        params: AppointmentParams,
        body: StatusBody,
        response: { 200: AppointmentView, 404: err, 409: err, ...keyedErrorResponses },
      },
    },
    async (request) =>
      appointmentView(await appointments.changeStatus(request.params.appointmentId, request.body.status)),
  );

  r.get(
    '/voice/branches',
    {
      config: { scope: 'read' },
      schema: {
        operationId: 'voice.listBranches',
        tags,
        summary: 'The branch directory',
        response: { 200: Type.Object({ branches: Type.Array(BranchView) }), ...keyedErrorResponses },
      },
    },
    async () => ({ branches: branches.list() }),
  );

  r.get(
    '/voice/branches/:branchId/appointments',
    {
      config: { scope: 'read' },
      schema: {
        operationId: 'voice.listBranchAppointments',
        tags,
        summary: "A branch's day sheet, in slot order",
        params: Type.Object({ branchId: Type.String({ minLength: 1, maxLength: 64 }) }),
        querystring: Type.Object({
          date: Type.String({ examples: ['2030-01-15'] }),
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
          pageToken: Type.Optional(Type.String({ maxLength: 2048 })),
        }),
        response: { 200: DaySheetView, 404: err, ...keyedErrorResponses },
      },
    },
    async (request) => {
      const { date, limit, pageToken } = request.query;
      const sheet = await appointments.daySheet(request.params.branchId, date, {
        limit,
        pageToken: pageToken ?? null,
      });
      return { ...sheet, date };
    },
  );
}
