import type { FastifyInstance } from 'fastify';
import { EventStreams, eventStreamResponses } from '../../../server/event-streams.js';
import type { SwitchboardContext } from '../../module.js';
import type { CallCenterEvent } from '../events.js';
import type { CallCenterServices } from '../services.js';

/**
 * `GET /v1/callcenter/events`: agent and queue changes as Server-Sent Events, for
 * wallboards. Live only (no replay): a wallboard draws the current picture from
 * `/v1/callcenter/realtime` and then applies the events.
 */
export function callcenterEventsRoute(
  app: FastifyInstance,
  services: CallCenterServices,
  context: SwitchboardContext,
): void {
  const streams = new EventStreams(app);

  app.get(
    '/callcenter/events',
    {
      config: { scope: 'read' },
      schema: {
        tags: ['callcenter reports'],
        operationId: 'callcenter.events',
        summary: 'Live agent status and queue changes (Server-Sent Events)',
        response: eventStreamResponses,
      },
    },
    async (request, reply) => {
      let unsubscribe: (() => Promise<void>) | undefined;
      const stream = streams.start(request, reply, {
        onEnd: () =>
          void unsubscribe?.().catch((error: Error) =>
            context.logger.warn({ err: error.message }, 'callcenter stream unsubscribe failed'),
          ),
      });
      try {
        unsubscribe = await services.subscribe((event: CallCenterEvent) => stream.send(event.type, event));
        if (stream.ended) await unsubscribe();
      } catch (error) {
        context.logger.warn({ err: (error as Error).message }, 'callcenter stream failed');
        stream.fail();
      }
    },
  );
}
