import type { FastifyInstance } from 'fastify';
import { isSwitchboardError } from '../../../errors/index.js';
import { keyedErrorResponses } from '../../../server/schemas.js';
import { typed } from '../../../server/type-provider.js';
import type { SwitchboardContext } from '../../module.js';
import { parseId } from '../ids.js';
import type { MessagingServices } from '../services.js';
import type { StreamDelivery } from '../stream.js';
import { checkChannelId } from '../validation.js';
import { actorOf } from './routes.js';
import * as S from './schemas.js';

const KEEP_ALIVE_MS = 15_000;

/**
 * `GET /v1/channels/:channelId/events`: the channel's live events as Server-Sent Events,
 * members only. Every event but typing carries its feed event id as the SSE id, so a client
 * (or EventSource on its own) reconnects with `Last-Event-ID` and gets every event after it
 * from the channel feed, then the live stream, with no gap and no repeat (see stream.ts).
 * `?after=<message id>` resumes from a message instead (clients that cannot set the header
 * and only know the newest message they show). A cursor older than the feed's retention
 * gets a `reset` event first: refetch, then carry on.
 */
export function channelEventsRoute(
  app: FastifyInstance,
  services: MessagingServices,
  context: SwitchboardContext,
): void {
  const open = new Set<(closing?: boolean) => void>();
  // Open streams never go idle, so end them before the server waits for connections to drain.
  app.addHook('preClose', async () => {
    for (const end of [...open]) end(true);
  });

  typed(app).get(
    '/channels/:channelId/events',
    {
      config: { scope: 'read' },
      schema: {
        operationId: 'messaging.streamEvents',
        tags: ['messaging'],
        summary: 'Live channel events (Server-Sent Events); resumes after Last-Event-ID or ?after=',
        headers: S.ActorHeaders,
        params: S.ChannelParams,
        querystring: S.EventsQuery,
        response: {
          200: {
            description: 'A stream of Server-Sent Events (text/event-stream) until the client disconnects',
            content: { 'text/event-stream': { schema: { type: 'string' } } },
          },
          ...keyedErrorResponses,
        },
      },
    },
    async (request, reply) => {
      const actor = actorOf(request);
      const channelId = checkChannelId(request.params.channelId);
      const header = request.headers['last-event-id'];
      // An EventSource reconnecting to a `?after=` URL sends both; the header is the newer position.
      const lastEventId =
        typeof header === 'string' && header !== '' ? parseId(header, 'headers.last-event-id') : undefined;
      const after =
        lastEventId === undefined && request.query.after !== undefined
          ? parseId(request.query.after, 'after')
          : undefined;
      // Checked before the stream starts, so a non-member gets an ordinary 403 JSON error.
      await services.chats.requireMember(channelId, actor);

      reply.hijack();
      const raw = reply.raw;
      raw.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        // The socket is not reused after a stream: closing it with the stream lets shutdown finish at once.
        connection: 'close',
        'x-accel-buffering': 'no',
        'x-request-id': request.id,
      });
      raw.write(': connected\n\n');
      const write = ({ id, event }: StreamDelivery) => {
        if (raw.writableEnded) return;
        raw.write(
          `${id !== undefined ? `id: ${id}\n` : ''}event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`,
        );
      };
      let ended = false;
      let stream: { close(): Promise<void> } | undefined;
      const keepAlive = setInterval(() => {
        raw.write(': keep-alive\n\n');
        // Backstop for a removal whose member.removed notice this stream missed (it raced the
        // subscription, or its publish failed): access never outlives membership by more than this.
        services.chats.requireMember(channelId, actor).catch((error: unknown) => {
          if (isSwitchboardError(error, 'NOT_A_MEMBER')) end();
        });
      }, KEEP_ALIVE_MS);
      const end = (closing = false) => {
        if (ended) return;
        ended = true;
        open.delete(end);
        clearInterval(keepAlive);
        void stream?.close();
        void services.counters.streamClosed(channelId).catch(() => undefined);
        if (!raw.writableEnded) raw.end();
        // At shutdown, do not wait for a client that may never read the end of the stream.
        if (closing) raw.destroy();
      };
      open.add(end);
      raw.on('close', () => end());
      try {
        await services.counters.streamOpened(channelId).catch(() => undefined);
        stream = await services.stream(channelId, actor, {
          ...(lastEventId !== undefined ? { lastEventId } : {}),
          ...(after !== undefined ? { after } : {}),
          deliver: write,
          onEnd: () => end(),
        });
        if (ended) await stream.close();
      } catch (error) {
        context.logger.warn({ channelId, err: error }, 'channel stream failed');
        raw.write(`event: error\ndata: ${JSON.stringify({ code: 'STREAM_FAILED' })}\n\n`);
        end();
      }
    },
  );
}
