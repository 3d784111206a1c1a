import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { keyedErrorResponses } from './schemas.js';

const KEEP_ALIVE_MS = 15_000;

/** The responses of a keyed Server-Sent Events route, for the OpenAPI document. */
export const eventStreamResponses = {
  200: {
    description: 'A stream of Server-Sent Events (text/event-stream) until the client disconnects',
    content: { 'text/event-stream': { schema: { type: 'string' } } },
  },
  ...keyedErrorResponses,
};

export interface EventStream {
  /** Writes one event; nothing once the stream has ended. */
  send(type: string, data: unknown, id?: string): void;
  /** Tells the client the stream failed (`event: error`, code STREAM_FAILED) and ends it. */
  fail(): void;
  /** Ends the stream (once); `closing` (shutdown) also drops the socket. */
  end(closing?: boolean): void;
  readonly ended: boolean;
}

export interface OpenStreamOptions {
  /** Runs with every keep-alive comment (every 15 s). */
  onKeepAlive?(stream: EventStream): void;
  /** Runs once when the stream ends, whoever ends it: release subscriptions here. */
  onEnd?(): void;
}

/**
 * The Server-Sent Events streams of one route: each takes over its response (hijacked, so
 * Fastify neither serializes nor times it out), sends a keep-alive comment every 15 s so
 * proxies keep it open, and ends when the client goes, when its owner ends it, or at server
 * shutdown: open streams never go idle, so they are ended before the server waits for
 * connections to drain.
 */
export class EventStreams {
  private readonly open = new Set<EventStream>();

  constructor(app: FastifyInstance) {
    app.addHook('preClose', async () => {
      for (const stream of [...this.open]) stream.end(true);
    });
  }

  start(request: FastifyRequest, reply: FastifyReply, options: OpenStreamOptions = {}): EventStream {
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
    let ended = false;
    const stream: EventStream = {
      get ended() {
        return ended;
      },
      send: (type, data, id) => {
        if (raw.writableEnded) return;
        raw.write(
          `${id !== undefined ? `id: ${id}\n` : ''}event: ${type}\ndata: ${JSON.stringify(data)}\n\n`,
        );
      },
      fail: () => {
        stream.send('error', { code: 'STREAM_FAILED' });
        stream.end();
      },
      end: (closing = false) => {
        if (ended) return;
        ended = true;
        this.open.delete(stream);
        clearInterval(keepAlive);
        options.onEnd?.();
        if (!raw.writableEnded) raw.end();
        // At shutdown, do not wait for a client that may never read the end of the stream.
        if (closing) raw.destroy();
      },
    };
    const keepAlive = setInterval(() => {
      raw.write(': keep-alive\n\n');
      options.onKeepAlive?.(stream);
    }, KEEP_ALIVE_MS);
    this.open.add(stream);
    raw.on('close', () => stream.end());
    return stream;
  }
}
