import { afterEach, describe, expect, it } from 'vitest';
import { isSwitchboardError } from '../../../src/errors/index.js';
import { validateEvent } from '../../../src/modules/interactions/validate.js';
import { createPipeline, drained, makeEvent, pipelineNames, type Pipeline } from './helpers.js';

let pipeline: Pipeline | undefined;
afterEach(async () => {
  await pipeline?.close();
  pipeline = undefined;
});

describe('timestamps outside the four-digit UTC years', () => {
  // Local 9999-12-31 23:30 at -01:00 is 10000-01-01 in UTC: no `YYYY-MM-DD` day exists for it.
  const beyond = '9999-12-31T23:30:00-01:00';
  const before = '0000-01-01T00:30:00+01:00';

  it('are refused by validation, naming the timestamp', () => {
    for (const timestamp of [beyond, before]) {
      const result = validateEvent('stt', makeEvent('stt', 's', { timestamp }));
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.problem).toMatchObject({ field: 'timestamp', code: 'format' });
    }
    expect(validateEvent('stt', makeEvent('stt', 's', { timestamp: '9999-12-31T23:59:59Z' })).ok).toBe(true);
  });

  it('are refused by the publisher', async () => {
    pipeline = await createPipeline();
    const error = await pipeline.services.publisher
      .stt(makeEvent('stt', 'edge', { timestamp: beyond }))
      .catch((e: unknown) => e);
    expect(isSwitchboardError(error, 'VALIDATION_FAILED')).toBe(true);
    expect((error as { field?: string }).field).toBe('timestamp');
  });

  it('go to error_logs from the log without blocking the partition behind them', async () => {
    pipeline = await createPipeline();
    const { services, ctx } = pipeline;
    await ctx.eventLog.publish(pipelineNames(ctx.config).stt, [
      { key: 'edge', value: JSON.stringify(makeEvent('stt', 'edge', { timestamp: beyond })) },
    ]);
    const good = makeEvent('stt', 'edge');
    await services.publisher.stt(good);
    await services.consumer.start();
    await drained(services, 5_000);

    const { interactions } = await services.queries.sessionInteractions('edge');
    expect(interactions.map((i) => i.event_id)).toEqual([good.event_id]);
    const errors = await services.queries.recentErrors({ days: 3650 });
    expect(errors).toEqual([expect.objectContaining({ kind: 'invalid', field: 'timestamp' })]);
    expect((await services.consumer.health()).ok).toBe(true);
  });
});

describe('model_params', () => {
  it('refuses a parameter name longer than 100 characters, naming model_params', () => {
    const long = validateEvent('stt', makeEvent('stt', 's', { model_params: { ['k'.repeat(101)]: 'v' } }));
    expect(long.ok).toBe(false);
    if (!long.ok) expect(long.problem).toMatchObject({ field: 'model_params', code: 'length' });
    expect(validateEvent('stt', makeEvent('stt', 's', { model_params: { ['k'.repeat(100)]: 'v' } })).ok).toBe(
      true,
    );
  });
});
