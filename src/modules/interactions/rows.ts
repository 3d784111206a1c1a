import type { LogMessage } from '../../ports/event-log/log.js';
import { batchOp, type BatchOp } from '../../ports/wide-column/engine.js';
import type { Row } from '../../ports/wide-column/declare.js';
import { llmProperties, sttProperties, ttsProperties, type Stage, type ValidEvent } from './events.js';
import type { EventProblem } from './validate.js';
import { errorLogs, interactionsByStageHour, voiceInteractions } from './tables.js';

export const MINUTE_MS = 60_000;
export const HOUR_MS = 3_600_000;

export const floorTo = (ms: number, unit: number): number => Math.floor(ms / unit) * unit;
export const dayOf = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

/** Where a message came from: the unit that offsets (and so snapshots) are ordered in. */
export const sourceOf = (m: Pick<LogMessage, 'topic' | 'partition'>): string => `${m.topic}/${m.partition}`;

/**
 * The stage-specific columns of voice_interactions, per stage (the schemas in events.ts allow
 * no others). A row names only the fields its event carries, so the engine checks and binds
 * a dozen columns instead of walking all of them (a consumer batch writes ~10,000 rows).
 */
const STAGE_COLUMNS: { readonly [S in Stage]: readonly string[] } = {
  stt: Object.keys(sttProperties),
  llm: Object.keys(llmProperties),
  tts: Object.keys(ttsProperties),
};

/** The event's row in voice_interactions and its copy in the by-stage-hour analytics table. */
export function interactionOps(v: ValidEvent, ttlSeconds: number): BatchOp[] {
  const e = v.event as unknown as Record<string, unknown>;
  const time = new Date(v.timeMs);
  const row: Record<string, unknown> = {
    session_id: v.event.session_id,
    event_time: time,
    event_id: v.event.event_id,
    stage: v.stage,
    turn_id: v.event.turn_id,
    latency_ms: v.event.latency_ms,
    model: v.event.model,
    model_params: v.event.model_params,
    instance: v.event.instance,
  };
  for (const column of STAGE_COLUMNS[v.stage]) {
    const value = e[column];
    if (value !== undefined) row[column] = value;
  }
  return [
    batchOp.insert(voiceInteractions, row as Row<typeof voiceInteractions>, { ttlSeconds }),
    batchOp.insert(
      interactionsByStageHour,
      {
        stage: v.stage,
        hour_bucket: new Date(floorTo(v.timeMs, HOUR_MS)),
        event_time: time,
        event_id: v.event.event_id,
        session_id: v.event.session_id,
        turn_id: v.event.turn_id,
        latency_ms: v.event.latency_ms,
        model: v.event.model,
        instance: v.event.instance,
      },
      { ttlSeconds },
    ),
  ];
}

export interface ErrorRowInput {
  kind: 'invalid' | 'processing';
  message: LogMessage;
  problem: Pick<EventProblem, 'code' | 'field' | 'message'>;
  eventId?: string | undefined;
  payloadMaxChars: number;
  ttlSeconds: number;
}

/**
 * An error_logs row keyed by the message's log position and timestamp (never "now"), so a
 * redelivered invalid message overwrites its own row instead of adding another.
 */
export function errorOp(input: ErrorRowInput): BatchOp {
  const { message, problem } = input;
  const raw = message.value.toString('utf8');
  const truncated = raw.length > input.payloadMaxChars;
  return batchOp.insert(
    errorLogs,
    {
      day: dayOf(message.timestamp),
      error_time: new Date(message.timestamp),
      ref: `${sourceOf(message)}/${message.offset}`,
      kind: input.kind,
      code: problem.code,
      field: problem.field,
      reason: problem.message.slice(0, 1000),
      topic: message.topic,
      partition: message.partition,
      log_offset: message.offset,
      session_id: message.key ?? undefined,
      event_id: input.eventId,
      raw_payload: truncated ? raw.slice(0, input.payloadMaxChars) : raw,
      payload_truncated: truncated,
    },
    { ttlSeconds: input.ttlSeconds },
  );
}

/** The event id of a payload that failed validation, when one can be read (for error_logs). */
export function eventIdOf(payload: Buffer): string | undefined {
  try {
    const parsed = JSON.parse(payload.toString('utf8')) as { event_id?: unknown };
    return typeof parsed?.event_id === 'string' ? parsed.event_id.slice(0, 100) : undefined;
  } catch {
    return undefined;
  }
}
