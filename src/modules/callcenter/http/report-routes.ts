import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { ErrorResponse, keyedErrorResponses } from '../../../server/schemas.js';
import { typed } from '../../../server/type-provider.js';
import type { CallCenterServices } from '../services.js';
import * as S from './schemas.js';

const tags = ['callcenter reports'];
const err = Type.Ref(ErrorResponse);

/** Call records, a supervisor's analytics and the real-time picture. */
export function reportRoutes(app: FastifyInstance, services: CallCenterServices): void {
  const r = typed(app);
  const { records, analytics } = services;

  r.get(
    '/callcenter/records',
    {
      config: { scope: 'read' },
      schema: {
        tags,
        operationId: 'callcenter.records.list',
        summary: 'Call records of calls enqueued in [from, to), oldest first',
        querystring: S.RecordsQuery,
        response: { 200: Type.Object({ records: Type.Array(S.CallRecordView) }), ...keyedErrorResponses },
      },
    },
    async (request) => {
      const q = request.query;
      return {
        records: await records.list({
          from: new Date(q.from),
          to: new Date(q.to),
          limit: q.limit ?? 100,
          ...(q.queue !== undefined ? { queue: q.queue } : {}),
          ...(q.agentId !== undefined ? { agentId: q.agentId } : {}),
        }),
      };
    },
  );

  r.get(
    '/callcenter/records/:callId',
    {
      config: { scope: 'read' },
      schema: {
        tags,
        operationId: 'callcenter.records.get',
        summary: "An ended call's record",
        params: S.CallParams,
        response: { 200: S.CallRecordView, 404: err, ...keyedErrorResponses },
      },
    },
    async (request) => records.get(request.params.callId),
  );

  r.get(
    '/callcenter/analytics',
    {
      config: { scope: 'read' },
      schema: {
        tags,
        operationId: 'callcenter.analytics',
        summary: 'Totals, answered, abandoned, average and p90 wait, handle time and service level',
        description:
          'Over calls enqueued in [from, to): overall, per queue, per agent and (groupBy=hour|day, UTC) per ' +
          'period. Service level is the share of calls answered within serviceLevelSeconds (default ' +
          '[callcenter] service_level_seconds, 20).',
        querystring: S.AnalyticsQuery,
        response: { 200: S.AnalyticsView, ...keyedErrorResponses },
      },
    },
    async (request) => {
      const q = request.query;
      return analytics.history({
        from: new Date(q.from),
        to: new Date(q.to),
        ...(q.groupBy !== undefined ? { groupBy: q.groupBy } : {}),
        ...(q.queue !== undefined ? { queue: q.queue } : {}),
        ...(q.agentId !== undefined ? { agentId: q.agentId } : {}),
        ...(q.serviceLevelSeconds !== undefined ? { serviceLevelSeconds: q.serviceLevelSeconds } : {}),
      });
    },
  );

  r.get(
    '/callcenter/realtime',
    {
      config: { scope: 'read' },
      schema: {
        tags,
        operationId: 'callcenter.realtime',
        summary: 'Queue depth and longest wait per queue, agents per status, live calls per state',
        response: { 200: S.RealTimeView, ...keyedErrorResponses },
      },
    },
    async () => analytics.realTime(),
  );
}
