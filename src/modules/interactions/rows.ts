import type { LogMessage } from '../../ports/event-log/log.js';
import { batchOp, type BatchOp } from '../../ports/wide-column/engine.js';
import type { RegularColumnOf } from '../../ports/wide-column/declare.js';
import { insertShape, type InsertShape } from '../../ports/wide-column/insert-shape.js';
import { llmProperties, sttProperties, ttsProperties, type Stage, type ValidEvent } from './events.js';
import type { EventProblem } from './validate.js';
import { errorLogs, interactionsByStageHour, voiceInteractions } from './tables.js';

export const MINUTE_MS = 60_000;
export const HOUR_MS = 3_600_000;

export const floorTo = (ms: number, unit: number): number => Math.floor(ms / unit) * unit;
export const dayOf = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

/** Where a message came from: the unit that offsets (and so snapshots) are ordered in. */
export const sourceOf = (m: Pick<LogMessage, 'topic' | 'partition'>): string => `${m.topic}/${m.partition}`;

/** The columns of voice_interactions every event fills, after its primary key. */
const COMMON_COLUMNS = ['stage', 'turn_id', 'latency_ms', 'model', 'model_params', 'instance'] as const;

/**
 * The stage-specific columns of voice_interactions, per stage (the schemas in events.ts allow
 * no others), so a row carries only the cells its event can have.
 */
type InteractionColumn = RegularColumnOf<typeof voiceInteractions>;
const STAGE_COLUMNS: { readonly [S in Stage]: readonly InteractionColumn[] } = {
  stt: Object.keys(sttProperties) as InteractionColumn[],
  llm: Object.keys(llmProperties) as InteractionColumn[],
  tts: Object.keys(ttsProperties) as InteractionColumn[],
};

/**
 * The two inserts of every event as prepared shapes: the consumer writes ~20,000 of these rows
 * per batch, and positional values spare the engine a property walk and a type lookup per cell
 * (see insert-shape.ts). voice_interactions has one shape per stage.
 */
const INTERACTION_SHAPES: { readonly [S in Stage]: InsertShape<typeof voiceInteractions> } = {
  stt: insertShape(voiceInteractions, [...COMMON_COLUMNS, ...STAGE_COLUMNS.stt]),
  llm: insertShape(voiceInteractions, [...COMMON_COLUMNS, ...STAGE_COLUMNS.llm]),
  tts: insertShape(voiceInteractions, [...COMMON_COLUMNS, ...STAGE_COLUMNS.tts]),
};
const BY_STAGE_HOUR_SHAPE = insertShape(interactionsByStageHour, [
  'session_id',
  'turn_id',
  'latency_ms',
  'model',
  'instance',
]);

/** The event's row in voice_interactions and its copy in the by-stage-hour analytics table. */
export function interactionOps(v: ValidEvent, ttlSeconds: number): BatchOp[] {
  const e = v.event;
  const fields = e as unknown as Record<string, unknown>;
  const time = new Date(v.timeMs);
  const shape = INTERACTION_SHAPES[v.stage];
  // In the order of shape.columns: the key, COMMON_COLUMNS, then the stage's own columns
  // (undefined when the event left one out: that cell is not written).
  const values: unknown[] = [e.session_id, time, e.event_id, v.stage, e.turn_id, e.latency_ms];
  values.push(e.model, e.model_params, e.instance);
  for (const column of STAGE_COLUMNS[v.stage]) values.push(fields[column]);
  return [
    batchOp.insertShaped(shape, values, { ttlSeconds }),
    batchOp.insertShaped(
      BY_STAGE_HOUR_SHAPE,
      [
        v.stage,
        new Date(floorTo(v.timeMs, HOUR_MS)),
        time,
        e.event_id,
        e.session_id,
        e.turn_id,
        e.latency_ms,
        e.model,
        e.instance,
      ],
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
