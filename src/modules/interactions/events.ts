import { Type, type Static, type TObject } from '@sinclair/typebox';

/**
 * The three interaction events, as TypeBox schemas: the single source for validation (the
 * publisher, the HTTP edge and the consumer run the same compiled check), for the OpenAPI
 * document and for the TypeScript types. Unknown properties are refused, so a misspelt field
 * fails loudly instead of being dropped.
 */
export const STAGES = ['stt', 'llm', 'tts'] as const;
export type Stage = (typeof STAGES)[number];

const UUID = '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$';
/** RFC 3339 with a zone (`Z` or an offset); the calendar check happens after the pattern. */
const RFC3339 = '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d{1,9})?(Z|[+-]\\d{2}:\\d{2})$';
/** One hour: a stage that took longer is a measurement error, not a latency. */
export const MAX_LATENCY_MS = 3_600_000;
const INT32_MAX = 2_147_483_647;
/** Longest model parameter name (checked in validate.ts: a Record's key schema is not). */
export const MAX_PARAM_KEY_CHARS = 100;

const id = (description: string) => Type.String({ minLength: 1, maxLength: 200, description });
const ms = (description: string) => Type.Number({ minimum: 0, maximum: MAX_LATENCY_MS, description });

export const commonProperties = {
  event_id: Type.String({ pattern: UUID, description: 'UUID chosen by the producer; the idempotency key' }),
  session_id: id('The call or chat session; the partition key of the topics and of voice_interactions'),
  turn_id: id('The turn within the session'),
  timestamp: Type.String({ pattern: RFC3339, description: 'When the stage finished (RFC 3339)' }),
  latency_ms: ms('How long the stage took'),
  model: id('Model or engine name'),
  model_params: Type.Record(
    Type.String({ maxLength: MAX_PARAM_KEY_CHARS }),
    Type.String({ maxLength: 1000 }),
    {
      maxProperties: 50,
      description: 'Model parameters as strings',
    },
  ),
  instance: id('The agent instance that produced the event'),
};

export const sttProperties = {
  transcript: Type.String({ maxLength: 100_000 }),
  confidence: Type.Number({ minimum: 0, maximum: 1 }),
  language: Type.String({ minLength: 1, maxLength: 35, description: 'BCP 47 tag' }),
  audio_duration_ms: ms('Duration of the recognised audio'),
  is_final: Type.Boolean(),
};

export const llmProperties = {
  response_text: Type.String({ maxLength: 200_000 }),
  prompt_tokens: Type.Integer({ minimum: 0, maximum: INT32_MAX }),
  completion_tokens: Type.Integer({ minimum: 0, maximum: INT32_MAX }),
  time_to_first_token_ms: ms('Time to the first streamed token'),
  temperature: Type.Number({ minimum: 0, maximum: 2 }),
  finish_reason: Type.String({ minLength: 1, maxLength: 50 }),
};

export const ttsProperties = {
  text_length: Type.Integer({ minimum: 0, maximum: INT32_MAX }),
  voice: id('Voice name'),
  audio_duration_ms: ms('Duration of the synthesised audio'),
  time_to_first_byte_ms: ms('Time to the first audio byte'),
};

const strict = { additionalProperties: false } as const;

export const SttEvent = Type.Object(
  { ...commonProperties, ...sttProperties },
  { ...strict, $id: 'SttEvent' },
);
export const LlmEvent = Type.Object(
  { ...commonProperties, ...llmProperties },
  { ...strict, $id: 'LlmEvent' },
);
export const TtsEvent = Type.Object(
  { ...commonProperties, ...ttsProperties },
  { ...strict, $id: 'TtsEvent' },
);

export type SttEvent = Static<typeof SttEvent>;
export type LlmEvent = Static<typeof LlmEvent>;
export type TtsEvent = Static<typeof TtsEvent>;

export interface EventByStage {
  stt: SttEvent;
  llm: LlmEvent;
  tts: TtsEvent;
}
export type InteractionEvent = EventByStage[Stage];

export const EVENT_SCHEMAS: { [S in Stage]: TObject } = { stt: SttEvent, llm: LlmEvent, tts: TtsEvent };

/**
 * What a caller hands the publisher: the event, with the fields Switchboard can fill in
 * optional (a fresh event id, now, no parameters, this process's instance name).
 */
export type InteractionInput<S extends Stage> = Omit<
  EventByStage[S],
  'event_id' | 'timestamp' | 'model_params' | 'instance'
> & {
  event_id?: string;
  timestamp?: string | Date | number;
  model_params?: Record<string, string>;
  instance?: string;
};

/** An event that passed validation, with its stage and its time parsed once. */
export interface ValidEvent<S extends Stage = Stage> {
  stage: S;
  event: EventByStage[S];
  /** `timestamp` as epoch milliseconds. */
  timeMs: number;
}
