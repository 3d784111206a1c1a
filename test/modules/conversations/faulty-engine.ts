import { SwitchboardError } from '../../../src/errors/index.js';
import type { WideColumnEngine } from '../../../src/ports/wide-column/engine.js';

const WRITES = new Set([
  'insert',
  'update',
  'delete',
  'deleteSlice',
  'deletePartition',
  'increment',
  'batch',
]);
const READS = new Set(['get', 'slice']);

/** Switches that make a wide-column engine fail, as an unreachable cluster would. */
export interface Faults {
  writes: boolean;
  reads: boolean;
  /** Extra latency on every read, in ms. */
  readDelayMs: number;
}

export function faultyEngine(engine: WideColumnEngine, faults: Faults): WideColumnEngine {
  return new Proxy(engine, {
    get(target, prop, receiver) {
      const value: unknown = Reflect.get(target, prop, receiver);
      if (typeof value !== 'function') return value;
      const name = String(prop);
      return async (...args: unknown[]) => {
        if ((WRITES.has(name) && faults.writes) || (READS.has(name) && faults.reads)) {
          throw new SwitchboardError('STORE_UNAVAILABLE', `injected wide-column fault (${name})`);
        }
        if (READS.has(name) && faults.readDelayMs > 0)
          await new Promise((r) => setTimeout(r, faults.readDelayMs));
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
}
