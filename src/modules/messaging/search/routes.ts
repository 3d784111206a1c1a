import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { keyedErrorResponses } from '../../../server/schemas.js';
import { typed } from '../../../server/type-provider.js';
import { actorOf } from '../http/routes.js';
import { ActorHeaders, ChannelParams, MessageView } from '../http/schemas.js';
import { formatId, parseId } from '../ids.js';
import { messageToJson } from '../serialize.js';
import type { SearchPage, SearchQuery, SearchService } from './service.js';

const TAGS = ['messaging'];
const errors = { ...keyedErrorResponses, 404: Type.Ref('ErrorResponse') };

const SearchQuerystring = Type.Object(
  {
    q: Type.String({
      minLength: 1,
      maxLength: 500,
      description:
        'Words to find (all must appear); "quoted phrase"; -word to exclude; `or` for alternatives',
      examples: ['refund "order 8812" -cancelled'],
    }),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 50 })),
    before: Type.Optional(
      Type.String({
        description: 'The `nextBefore` of the previous page',
        examples: ['1234567890123456789'],
      }),
    ),
  },
  { additionalProperties: false },
);

const SearchView = Type.Object({
  messages: Type.Array(MessageView),
  nextBefore: Type.Union([Type.String(), Type.Null()]),
});

function toQuery(q: { q: string; limit?: number; before?: string }): SearchQuery {
  return {
    q: q.q,
    ...(q.limit !== undefined ? { limit: q.limit } : {}),
    ...(q.before !== undefined ? { before: parseId(q.before, 'before') } : {}),
  };
}

function pageJson(page: SearchPage) {
  return {
    messages: page.messages.map(messageToJson),
    nextBefore: page.nextBefore === null ? null : formatId(page.nextBefore),
  };
}

/** Full-text message search: in one channel, or across the acting user's channels. */
export function searchRoutes(app: FastifyInstance, search: SearchService): void {
  const r = typed(app);

  r.get(
    '/channels/:channelId/messages/search',
    {
      schema: {
        operationId: 'messaging.searchChannelMessages',
        tags: TAGS,
        summary: 'Search the messages of a channel, newest first',
        headers: ActorHeaders,
        params: ChannelParams,
        querystring: SearchQuerystring,
        response: { 200: SearchView, ...errors },
      },
    },
    async (request) =>
      pageJson(await search.inChannel(request.params.channelId, actorOf(request), toQuery(request.query))),
  );

  r.get(
    '/messages/search',
    {
      schema: {
        operationId: 'messaging.searchMessages',
        tags: TAGS,
        summary: 'Search the messages of every channel the acting user belongs to, newest first',
        headers: ActorHeaders,
        querystring: SearchQuerystring,
        response: { 200: SearchView, ...errors },
      },
    },
    async (request) => pageJson(await search.acrossChannels(actorOf(request), toQuery(request.query))),
  );
}
