import type { FastifyInstance } from 'fastify';
import { keyedErrorResponses } from '../../../server/schemas.js';
import type { SwitchboardContext } from '../../module.js';
import type { CallCenterEvent } from '../events.js';
import type { CallCenterServices } from '../services.js';

const KEEP_ALIVE_MS = 15_000;

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
  const open = new Set<(closing?: boolean) => void>();
  // Open streams never go idle, so end them before the server waits for connections to drain.
  app.addHook('preClose', async () => {
    for (const end of [...open]) end(true);
  });

  app.get(
    '/callcenter/events',
    {
      config: { scope: 'read' },
      schema: {
        tags: ['callcenter reports'],
        operationId: 'callcenter.events',
        summary: 'Live agent status and queue changes (Server-Sent Events)',
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
      reply.hijack();
      const raw = reply.raw;
      raw.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        connection: 'close',
        'x-accel-buffering': 'no',
        'x-request-id': request.id,
      });
      raw.write(': connected\n\n');
      let ended = false;
      let unsubscribe: (() => Promise<void>) | undefined;
      const keepAlive = setInterval(() => raw.write(': keep-alive\n\n'), KEEP_ALIVE_MS);
      const end = (closing = false) => {
        if (ended) return;
        ended = true;
        open.delete(end);
        clearInterval(keepAlive);
        unsubscribe?.().catch((error: Error) =>
          context.logger.warn({ err: error.message }, 'callcenter stream unsubscribe failed'),
        );
        if (!raw.writableEnded) raw.end();
        if (closing) raw.destroy();
      };
      open.add(end);
      raw.on('close', () => end());
      try {
        unsubscribe = await services.subscribe((event: CallCenterEvent) => {
          if (!raw.writableEnded) raw.write(`event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`);
        });
        if (ended) await unsubscribe();
      } catch (error) {
        context.logger.warn({ err: (error as Error).message }, 'callcenter stream failed');
        raw.write(`event: error\ndata: ${JSON.stringify({ code: 'STREAM_FAILED' })}\n\n`);
        end();
      }
    },
  );
}
