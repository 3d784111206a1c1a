import { Type, type TSchema } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { SwitchboardError } from '../../errors/index.js';
import { ErrorResponse, keyedErrorResponses } from '../../server/schemas.js';
import { typed } from '../../server/type-provider.js';
import { STAGES, commonProperties, llmProperties, sttProperties, ttsProperties } from './events.js';
import type { InteractionServices } from './module.js';

const StageSchema = Type.Union(STAGES.map((s) => Type.Literal(s)));

const Published = Type.Object({ stage: StageSchema, event_id: Type.String(), topic: Type.String() });

/** Fields the publisher fills in when a producer leaves them out (see completeEvent). */
const FILLED_IN = new Set(['event_id', 'timestamp', 'model_params', 'instance']);

/** One event as a producer posts it: `stage` plus the stage's fields, some optional. */
function postedEvent(stage: (typeof STAGES)[number], properties: Record<string, TSchema>) {
  const all: Record<string, TSchema> = { stage: Type.Literal(stage), ...commonProperties, ...properties };
  return Type.Object(
    Object.fromEntries(Object.entries(all).map(([k, v]) => [k, FILLED_IN.has(k) ? Type.Optional(v) : v])),
    { additionalProperties: false, title: `${stage} event` },
  );
}

const PostedEvent = Type.Union([
  postedEvent('stt', sttProperties),
  postedEvent('llm', llmProperties),
  postedEvent('tts', ttsProperties),
]);

/**
 * The documented body of `POST /v1/interactions`. Fastify checks only that it is an object
 * (`x-validated-by`, see server/edge/validator.ts): the publisher validates the events, so a
 * batch's errors are all reported by index instead of Ajv's first one.
 */
const PublishBody = Type.Union(
  [
    PostedEvent,
    Type.Object(
      { events: Type.Array(PostedEvent, { minItems: 1, description: 'At most max_events_per_request' }) },
      { additionalProperties: false, title: 'batch' },
    ),
  ],
  { 'x-validated-by': 'handler' },
);

const InteractionSchema = Type.Object({
  ...commonProperties,
  event_id: Type.String(),
  timestamp: Type.String({ format: 'date-time' }),
  stage: StageSchema,
  ...Type.Partial(Type.Object({ ...sttProperties, ...llmProperties, ...ttsProperties })).properties,
});

const Nullable = <T extends ReturnType<typeof Type.Number>>(t: T) => Type.Union([t, Type.Null()]);
const Stats = Type.Object({
  count: Type.Integer(),
  p50_ms: Nullable(Type.Number()),
  p95_ms: Nullable(Type.Number()),
  p99_ms: Nullable(Type.Number()),
  max_ms: Nullable(Type.Number()),
  min_ms: Nullable(Type.Number()),
  mean_ms: Nullable(Type.Number()),
});

const StageSummarySchema = Type.Object({
  count: Type.Integer(),
  latency_total_ms: Type.Number(),
  latency_mean_ms: Type.Number(),
  latency_max_ms: Type.Number(),
  prompt_tokens: Type.Integer(),
  completion_tokens: Type.Integer(),
  audio_seconds: Type.Number(),
  text_chars: Type.Integer(),
});

const NullableString = Type.Union([Type.String(), Type.Null()]);
const HealthRow = Type.Object({
  instance: Type.String(),
  status: NullableString,
  last_seen: NullableString,
  lag: Type.Union([Type.Integer(), Type.Null()]),
  detail: NullableString,
});

/**
 * `POST /v1/interactions` for agents in other languages, and the read routes. A batch is
 * validated whole before anything is published: one invalid event rejects the request with
 * 400, `field` naming the first problem (`body.events.3.confidence`) and `details.errors`
 * listing every one by index, so a client can fix and resend the batch as it was.
 */
export function interactionRoutes(app: FastifyInstance, services: InteractionServices): void {
  const r = typed(app);
  const { publisher, queries } = services;

  r.post(
    '/interactions',
    {
      config: { scope: 'write' },
      schema: {
        operationId: 'interactions.record',
        tags: ['interactions'],
        summary: 'Publish one STT / LLM / TTS event, or a batch as { "events": [...] } (all or nothing)',
        description:
          'One event: its fields plus `stage` ("stt", "llm" or "tts"). A batch: `{ "events": [event, ...] }`. ' +
          '`event_id`, `timestamp`, `model_params` and `instance` may be left out. Returns 202 once the event log ' +
          'accepted every event; storage happens asynchronously in the logging consumer.',
        body: PublishBody,
        response: {
          202: Type.Object({ accepted: Type.Integer(), events: Type.Array(Published) }),
          ...keyedErrorResponses,
          503: Type.Ref(ErrorResponse),
        },
      },
    },
    async (request, reply) => {
      const body = request.body as Record<string, unknown>;
      let published;
      if ('events' in body) {
        if (!Array.isArray(body.events)) {
          throw new SwitchboardError('VALIDATION_FAILED', 'body.events must be an array of events', {
            field: 'body.events',
          });
        }
        const items = body.events.map((e: unknown) => {
          const { stage, ...event } = (typeof e === 'object' && e !== null ? e : {}) as Record<
            string,
            unknown
          >;
          return { stage, event: typeof e === 'object' && e !== null && !Array.isArray(e) ? event : e };
        });
        published = await publisher.publishMany(items, 'body.events');
      } else {
        const { stage, ...event } = body;
        published = await publisher.publishMany([{ stage, event }], 'body', { single: true });
      }
      return reply.code(202).send({ accepted: published.length, events: published });
    },
  );

  r.get(
    '/interactions/sessions/:sessionId',
    {
      config: { scope: 'read' },
      schema: {
        operationId: 'interactions.listSessionEvents',
        tags: ['interactions'],
        summary: "A session's interactions in time order, a page at a time",
        params: Type.Object({ sessionId: Type.String({ minLength: 1, maxLength: 200 }) }),
        querystring: Type.Object({
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
          pageToken: Type.Optional(Type.String({ maxLength: 2000 })),
          page_token: Type.Optional(
            Type.String({ maxLength: 2000, deprecated: true, description: 'Deprecated: use pageToken' }),
          ),
          order: Type.Optional(Type.Union([Type.Literal('asc'), Type.Literal('desc')])),
        }),
        response: {
          200: Type.Object({
            interactions: Type.Array(InteractionSchema),
            nextPageToken: NullableString,
            next_page_token: Type.Union([Type.String(), Type.Null()], {
              deprecated: true,
              description: 'Deprecated: the same as nextPageToken',
            }),
          }),
          ...keyedErrorResponses,
        },
      },
    },
    async (request) => {
      // pageToken / nextPageToken as on every other route; page_token stays as a deprecated alias.
      const { limit, pageToken, page_token, order } = request.query;
      const page = await queries.sessionInteractions(request.params.sessionId, {
        ...(limit ? { limit } : {}),
        pageToken: pageToken ?? page_token ?? null,
        order: order === 'desc' ? 'DESC' : 'ASC',
      });
      return {
        interactions: page.interactions as never,
        nextPageToken: page.nextPageToken,
        next_page_token: page.nextPageToken,
      };
    },
  );

  r.get(
    '/interactions/sessions/:sessionId/summary',
    {
      config: { scope: 'read' },
      schema: {
        operationId: 'interactions.getSessionSummary',
        tags: ['interactions'],
        summary: "A session's counts, latencies, tokens and audio per stage",
        params: Type.Object({ sessionId: Type.String({ minLength: 1, maxLength: 200 }) }),
        response: {
          200: Type.Object({
            session_id: Type.String(),
            event_count: Type.Integer(),
            first_event_at: Type.String(),
            last_event_at: Type.String(),
            stages: Type.Partial(
              Type.Object({ stt: StageSummarySchema, llm: StageSummarySchema, tts: StageSummarySchema }),
            ),
            prompt_tokens: Type.Integer(),
            completion_tokens: Type.Integer(),
            audio_seconds: Type.Number(),
          }),
          404: Type.Ref(ErrorResponse),
          ...keyedErrorResponses,
        },
      },
    },
    async (request) => {
      const summary = await queries.sessionSummary(request.params.sessionId);
      if (!summary)
        throw new SwitchboardError('NOT_FOUND', 'No interactions are stored for this session', {
          field: 'sessionId',
        });
      return summary;
    },
  );

  r.get(
    '/interactions/latency',
    {
      config: { scope: 'read' },
      schema: {
        operationId: 'interactions.getLatency',
        tags: ['interactions'],
        summary: 'Stage latency percentiles per minute or hour over a time range (merged histograms)',
        querystring: Type.Object({
          stage: StageSchema,
          from: Type.String({ format: 'date-time' }),
          to: Type.Optional(Type.String({ format: 'date-time' })),
          resolution: Type.Optional(Type.Union([Type.Literal('minute'), Type.Literal('hour')])),
        }),
        response: {
          200: Type.Object({
            stage: StageSchema,
            resolution: Type.String(),
            from: Type.String(),
            to: Type.String(),
            overall: Stats,
            buckets: Type.Array(Type.Composite([Type.Object({ start: Type.String() }), Stats])),
          }),
          ...keyedErrorResponses,
        },
      },
    },
    async (request) => {
      const { stage, from, to, resolution } = request.query;
      return queries.stageLatency({
        stage,
        from: new Date(from),
        to: to ? new Date(to) : services.now(),
        ...(resolution ? { resolution } : {}),
      });
    },
  );

  r.get(
    '/interactions/errors',
    {
      config: { scope: 'read' },
      schema: {
        operationId: 'interactions.getErrors',
        tags: ['interactions'],
        summary: 'Recent invalid events and processing failures, newest first (raw payloads included)',
        querystring: Type.Object({
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 50 })),
          days: Type.Optional(Type.Integer({ minimum: 1, maximum: 90, default: 7 })),
        }),
        response: {
          200: Type.Object({
            errors: Type.Array(
              Type.Object({
                time: Type.String(),
                ref: Type.String(),
                kind: NullableString,
                code: NullableString,
                field: NullableString,
                reason: NullableString,
                topic: NullableString,
                partition: Type.Union([Type.Integer(), Type.Null()]),
                offset: NullableString,
                session_id: NullableString,
                event_id: NullableString,
                raw_payload: NullableString,
                payload_truncated: Type.Union([Type.Boolean(), Type.Null()]),
              }),
            ),
          }),
          ...keyedErrorResponses,
        },
      },
    },
    async (request) => ({ errors: (await queries.recentErrors(request.query)) as never }),
  );

  r.get(
    '/interactions/health',
    {
      config: { scope: 'read' },
      schema: {
        operationId: 'interactions.getHealth',
        tags: ['interactions'],
        summary: 'Pipeline health: consumer and producer heartbeats, and consumer lag',
        response: {
          200: Type.Object({
            consumers: Type.Array(HealthRow),
            producers: Type.Array(HealthRow),
            lag: Type.Union([
              Type.Array(
                Type.Object({ topic: Type.String(), partition: Type.Integer(), lag: Type.Integer() }),
              ),
              Type.Null(),
            ]),
            total_lag: Type.Union([Type.Integer(), Type.Null()]),
          }),
          ...keyedErrorResponses,
        },
      },
    },
    async () => queries.health(),
  );
}
