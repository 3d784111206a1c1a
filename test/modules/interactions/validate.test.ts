import { describe, expect, it } from 'vitest';
import { completeEvent, validateEvent, validatePayload } from '../../../src/modules/interactions/validate.js';
import { makeEvent } from './helpers.js';

describe('interaction event validation', () => {
  it('accepts a complete event of each stage and parses its time', () => {
    for (const stage of ['stt', 'llm', 'tts'] as const) {
      const event = makeEvent(stage, 's-1');
      const result = validateEvent(stage, event);
      expect(result.ok).toBe(true);
      if (result.ok) expect(result.value.timeMs).toBe(Date.parse(event.timestamp));
    }
  });

  it.each([
    ['missing field', { confidence: undefined }, 'confidence', 'required'],
    ['confidence above 1', { confidence: 1.2 }, 'confidence', 'range'],
    ['negative latency', { latency_ms: -1 }, 'latency_ms', 'range'],
    ['unknown field', { extra: 1 }, 'extra', 'unknown_field'],
    ['bad uuid', { event_id: 'not-a-uuid' }, 'event_id', 'format'],
    ['wrong type', { is_final: 'yes' }, 'is_final', 'type'],
    ['non-string model param', { model_params: { beam: 5 } }, 'model_params.beam', 'type'],
    ['impossible date', { timestamp: '2025-02-30T10:00:00Z' }, 'timestamp', 'format'],
    ['time without zone', { timestamp: '2025-02-03T10:00:00' }, 'timestamp', 'format'],
  ])('names the field at fault: %s', (_name, patch, field, code) => {
    const event: Record<string, unknown> = { ...makeEvent('stt', 's-1'), ...patch };
    for (const [k, v] of Object.entries(patch)) if (v === undefined) delete event[k];
    const result = validateEvent('stt', event);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.problem).toMatchObject({ field, code });
  });

  it('checks stage-specific fields against the stage (an LLM event is not a TTS event)', () => {
    const result = validateEvent('tts', makeEvent('llm', 's-1'));
    expect(result.ok).toBe(false);
  });

  it('reports a payload that is not JSON', () => {
    const result = validatePayload('stt', Buffer.from('{"oops'));
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.problem.code).toBe('malformed_json');
  });

  it('completes what a producer may omit', () => {
    const {
      event_id: _id,
      timestamp: _ts,
      instance: _i,
      model_params: _p,
      ...partial
    } = makeEvent('tts', 's-1');
    const now = new Date('2025-05-05T05:05:05.005Z');
    const complete = completeEvent(partial, { instance: 'me', now: () => now });
    const result = validateEvent('tts', complete);
    expect(result.ok).toBe(true);
    expect(complete).toMatchObject({ timestamp: now.toISOString(), instance: 'me', model_params: {} });
    expect(complete.event_id).toMatch(/^[0-9a-f-]{36}$/);
  });
});
