import type { Logger } from 'pino';
import type { EventLog } from '../../ports/event-log/log.js';
import type { HotState, Unsubscribe } from '../../ports/hot-state/store.js';
import type { AgentStatus, CallState } from './types.js';

/**
 * Live agent and queue changes for wallboards, over hot-state publish/subscribe (in-process
 * embedded, Redis across processes). Published after the change is committed, fire and
 * forget: a wallboard that missed some reads the current picture from the real-time view.
 * Caller numbers never travel here.
 */
export type CallCenterEvent =
  | { type: 'agent.status'; agentId: string; status: AgentStatus; currentCalls: number; at: string }
  | { type: 'call.queued'; callId: string; queue: string; priority: number; at: string }
  | { type: 'call.assigned'; callId: string; queue: string; agentId: string; at: string }
  | { type: 'call.state'; callId: string; agentId: string; state: CallState; at: string }
  | {
      type: 'call.requeued';
      callId: string;
      queue: string;
      reason: 'transfer' | 'rejected' | 'offer-timeout' | 'agent-away' | 'agent-offline';
      at: string;
    }
  | { type: 'call.transferred'; callId: string; fromAgentId: string; toAgentId: string; at: string }
  | {
      type: 'call.ended';
      callId: string;
      queue: string;
      agentId: string | null;
      abandoned: boolean;
      at: string;
    };

export const EVENTS_CHANNEL = 'callcenter:events';

export class CallCenterEvents {
  /**
   * `log`: the hybrid shape also appends every committed change to its topic, keyed by the
   * call or agent, so consumers downstream see the whole history in order per key. The
   * relational store already holds these changes, so a publish lost to a crash loses no state.
   */
  constructor(
    private readonly hotState: HotState,
    private readonly logger: Logger,
    private readonly log?: { eventLog: EventLog; topic: string },
  ) {}

  publish(events: readonly CallCenterEvent[]): void {
    if (this.log && events.length > 0) {
      const messages = events.map((event) => ({
        key: 'callId' in event ? event.callId : event.agentId,
        value: JSON.stringify(event),
      }));
      this.log.eventLog.publish(this.log.topic, messages).catch((error: unknown) => {
        this.logger.warn({ err: (error as Error).message }, 'callcenter events not appended to the log');
      });
    }
    this.publishLive(events);
  }

  /** To the live stream only: for a change whose durable record is already on the topic. */
  publishLive(events: readonly CallCenterEvent[]): void {
    for (const event of events) {
      this.hotState.publish(EVENTS_CHANNEL, JSON.stringify(event)).catch((error: unknown) => {
        this.logger.warn(
          { err: (error as Error).message, type: event.type },
          'callcenter event not published',
        );
      });
    }
  }

  subscribe(handler: (event: CallCenterEvent) => void): Promise<Unsubscribe> {
    return this.hotState.subscribe(EVENTS_CHANNEL, (raw) => {
      try {
        handler(JSON.parse(raw) as CallCenterEvent);
      } catch {
        // A malformed message from another process is dropped, not fatal to the stream.
      }
    });
  }
}
