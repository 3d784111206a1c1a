import { SwitchboardError } from '../errors/index.js';

export type BreakerState = 'closed' | 'open' | 'half-open';

export interface BreakerOptions {
  name: string;
  /** The port the breaker guards, named in its errors as every dependency failure names it. */
  port?: string;
  /** Consecutive failures that open the breaker. */
  failureThreshold: number;
  /** How long the breaker stays open before letting one trial call through. */
  resetMs: number;
  /** Which errors count as the remote being unhealthy (default: all). Validation errors should not. */
  isFailure?: (error: unknown) => boolean;
  onStateChange?: (state: BreakerState) => void;
  now?: () => number;
}

/**
 * A circuit breaker around a remote engine. After `failureThreshold` consecutive failures it
 * opens and fails calls fast with CIRCUIT_OPEN; after `resetMs` one trial call is let through
 * (half-open), and its outcome closes or re-opens the breaker.
 */
export class CircuitBreaker {
  private stateValue: BreakerState = 'closed';
  private failures = 0;
  private openedAt = 0;
  private trialInFlight = false;

  constructor(private readonly options: BreakerOptions) {}

  get state(): BreakerState {
    if (this.stateValue === 'open' && this.now() - this.openedAt >= this.options.resetMs) return 'half-open';
    return this.stateValue;
  }

  private now(): number {
    return this.options.now ? this.options.now() : Date.now();
  }

  private transition(state: BreakerState): void {
    if (this.stateValue === state) return;
    this.stateValue = state;
    this.options.onStateChange?.(state);
  }

  async run<T>(fn: () => Promise<T>): Promise<T> {
    const state = this.state;
    if (state === 'open' || (state === 'half-open' && this.trialInFlight)) {
      throw new SwitchboardError('CIRCUIT_OPEN', `${this.options.name} is failing; calls are paused`, {
        details: { breaker: this.options.name, ...(this.options.port ? { port: this.options.port } : {}) },
      });
    }
    const trial = state === 'half-open';
    if (trial) {
      this.trialInFlight = true;
      this.transition('half-open');
    }
    try {
      const result = await fn();
      this.failures = 0;
      this.transition('closed');
      return result;
    } catch (error) {
      if (this.options.isFailure?.(error) ?? true) {
        this.failures += 1;
        if (trial || this.failures >= this.options.failureThreshold) {
          this.openedAt = this.now();
          this.transition('open');
        }
      } else if (trial) {
        // The remote answered (with a caller error): it is healthy.
        this.failures = 0;
        this.transition('closed');
      }
      throw error;
    } finally {
      if (trial) this.trialInFlight = false;
    }
  }
}
