import cassandra from 'cassandra-driver';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { clientOptions } from '../../src/ports/wide-column/scylla/client-options.js';

/** What `[scylla]` settings become in the cassandra-driver client (issue 22: speculative retries). */
describe('ScyllaDB client options', () => {
  const scylla = (env: NodeJS.ProcessEnv) =>
    loadConfig({ path: undefined, env: { SWITCHBOARD_STORE_WIDE_COLUMN: 'scylladb', ...env } }).scylla;

  it('leaves speculative execution off by default (every statement goes to one replica)', () => {
    expect(clientOptions(scylla({})).policies?.speculativeExecution).toBeUndefined();
  });

  it('sends an idempotent statement to another replica after speculative_delay_ms, at most speculative_max_executions times', () => {
    const policy = clientOptions(
      scylla({
        SWITCHBOARD_SCYLLA_SPECULATIVE_DELAY_MS: '40',
        SWITCHBOARD_SCYLLA_SPECULATIVE_MAX_EXECUTIONS: '2',
      }),
    ).policies?.speculativeExecution;
    expect(policy).toBeInstanceOf(cassandra.policies.speculativeExecution.ConstantSpeculativeExecutionPolicy);
    const plan = policy!.newPlan('ks', 'SELECT');
    expect([plan.nextExecution(), plan.nextExecution(), plan.nextExecution()]).toEqual([40, 40, -1]);
  });

  it('refuses a negative delay with the setting named', () => {
    expect(() => scylla({ SWITCHBOARD_SCYLLA_SPECULATIVE_DELAY_MS: '-5' })).toThrow(/speculative_delay_ms/);
  });
});
