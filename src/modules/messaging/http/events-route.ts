import type { FastifyInstance } from 'fastify';
import { isSwitchboardError } from '../../../errors/index.js';
import { EventStreams, eventStreamResponses } from '../../../server/event-streams.js';
import { typed } from '../../../server/type-provider.js';
import type { SwitchboardContext } from '../../module.js';
import { parseId } from '../ids.js';
import type { MessagingServices } from '../services.js';
import type { StreamDelivery } from '../stream.js';
import { checkChannelId } from '../validation.js';
import { actorOf } from './routes.js';
import * as S from './schemas.js';

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
  const streams = new EventStreams(app);

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
        response: eventStreamResponses,
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

      let subscription: { close(): Promise<void> } | undefined;
      const stream = streams.start(request, reply, {
        // Backstop for a removal whose member.removed notice this stream missed (it raced the
        // subscription, or its publish failed): access never outlives membership by more than this.
        onKeepAlive: (open) => {
          services.chats.requireMember(channelId, actor).catch((error: unknown) => {
            if (isSwitchboardError(error, 'NOT_A_MEMBER')) open.end();
          });
        },
        onEnd: () => {
          void subscription?.close();
          void services.counters.streamClosed(channelId).catch(() => undefined);
        },
      });
      try {
        await services.counters.streamOpened(channelId).catch(() => undefined);
        subscription = await services.stream(channelId, actor, {
          ...(lastEventId !== undefined ? { lastEventId } : {}),
          ...(after !== undefined ? { after } : {}),
          deliver: ({ id, event }: StreamDelivery) => stream.send(event.type, event, id),
          onEnd: () => stream.end(),
        });
        if (stream.ended) await subscription.close();
      } catch (error) {
        context.logger.warn({ channelId, err: error }, 'channel stream failed');
        stream.fail();
      }
    },
  );
}
