import { SwitchboardError } from '../../../errors/index.js';
import { isIsoDate } from '../../../ports/wide-column/values.js';
import type { Clock } from '../../../shared/clock.js';
import type { RandomSource } from '../random.js';
import { invalid } from '../validate.js';
import { addDays, zonedParts } from '../zoned-time.js';
import {
  drawPpm,
  formatPaise,
  price24kAt,
  priceModel,
  pricesFrom24k,
  type PriceModel,
  type Purity,
} from './price-math.js';
import type { GoldHistoryRow, GoldPriceRepository, StoredPrice } from './repository.js';

export interface GoldPrice {
  /** INR per gram at the configured base purity (what "the gold price" means to the agent). */
  pricePerGram: string;
  basePurity: Purity;
  price24k: string;
  price22k: string;
  price18k: string;
  currency: 'INR';
  source: string;
  updatedAt: Date;
}

export interface GoldHistoryEntry extends Omit<GoldPrice, 'updatedAt' | 'basePurity' | 'currency'> {
  date: string;
  hour: number;
  createdAt: Date;
}

export interface GoldPriceServiceOptions {
  basePrice: number;
  basePurity: Purity;
  fluctuationPercent: number;
  cacheTtlSeconds: number;
  timezone: string;
  clock: Clock;
  random: RandomSource;
}

/** Longest history range served by one request. */
export const MAX_HISTORY_DAYS = 31;

/**
 * Simulated gold prices. Each draw is base × (1 + u) with u uniform in ±fluctuation_percent
 * of the configured base (never a walk from the previous price, so it cannot drift), in
 * exact paise. A drawn price is served for `cache_ttl_seconds` from memory, or from
 * gold_price_latest after a restart, and recorded in the hourly history when drawn.
 */
export class GoldPriceService {
  private readonly model: PriceModel;
  private cached: GoldPrice | undefined;
  private refreshing: Promise<GoldPrice> | undefined;

  constructor(
    private readonly repo: GoldPriceRepository,
    private readonly options: GoldPriceServiceOptions,
  ) {
    this.model = priceModel(options.basePrice, options.basePurity, options.fluctuationPercent);
  }

  /** A new simulated price (not stored): the pure part, exposed for tests and tools. */
  draw(at: Date = this.options.clock.now()): GoldPrice {
    const set = pricesFrom24k(price24kAt(this.model, drawPpm(this.model.boundPpm, this.options.random())));
    const byPurity: Record<Purity, bigint> = {
      '24k': set.price24k,
      '22k': set.price22k,
      '18k': set.price18k,
    };
    return {
      pricePerGram: formatPaise(byPurity[this.options.basePurity]),
      basePurity: this.options.basePurity,
      price24k: formatPaise(set.price24k),
      price22k: formatPaise(set.price22k),
      price18k: formatPaise(set.price18k),
      currency: 'INR',
      source: 'simulated',
      updatedAt: at,
    };
  }

  /** The base 24k price and the band every draw stays in, as decimal strings. */
  band(): { base24k: string; low24k: string; high24k: string } {
    const b = this.model.boundPpm;
    return {
      base24k: formatPaise(price24kAt({ ...this.model, boundPpm: 0n }, 0n)),
      low24k: formatPaise(price24kAt(this.model, -b)),
      high24k: formatPaise(price24kAt(this.model, b)),
    };
  }

  /** The current price: cached while fresh, else drawn, persisted and recorded in the history. */
  async current(): Promise<GoldPrice> {
    if (this.cached && this.isFresh(this.cached.updatedAt)) return this.cached;
    // One refresh at a time: concurrent callers share it instead of each drawing a price.
    this.refreshing ??= this.refresh().finally(() => {
      this.refreshing = undefined;
    });
    return this.refreshing;
  }

  private async refresh(): Promise<GoldPrice> {
    const stored = await this.repo.latest();
    if (stored?.updated_at && this.isFresh(stored.updated_at) && stored.price_24k) {
      this.cached = {
        pricePerGram: stored.price_per_gram ?? stored.price_22k ?? '0.00',
        basePurity: this.options.basePurity,
        price24k: stored.price_24k,
        price22k: stored.price_22k ?? '0.00',
        price18k: stored.price_18k ?? '0.00',
        currency: 'INR',
        source: stored.source ?? 'simulated',
        updatedAt: stored.updated_at,
      };
      return this.cached;
    }
    const price = this.draw();
    const { date, hour } = zonedParts(price.updatedAt, this.options.timezone);
    const row: StoredPrice = { ...price, date, hour };
    await this.repo.save(row);
    this.cached = price;
    return price;
  }

  /** Hourly history of one day (in the configured zone), latest hour first. */
  async day(date: string): Promise<GoldHistoryEntry[]> {
    if (typeof date !== 'string' || !isIsoDate(date))
      throw invalid('date', 'must be a calendar date "YYYY-MM-DD"');
    return (await this.repo.day(date)).map(toEntry);
  }

  /**
   * Hourly history from `from` to `to` inclusive (at most 31 days), newest first. Without
   * `to` the range runs until today (in the configured zone), so `from` alone means "since".
   */
  async history(from: string, to?: string): Promise<GoldHistoryEntry[]> {
    if (typeof from !== 'string' || !isIsoDate(from))
      throw invalid('from', 'must be a calendar date "YYYY-MM-DD"');
    if (to === undefined) {
      to = zonedParts(this.options.clock.now(), this.options.timezone).date;
      if (from > to) throw invalid('from', `must not be after today (${to}) when to is not given`);
    }
    if (typeof to !== 'string' || !isIsoDate(to)) throw invalid('to', 'must be a calendar date "YYYY-MM-DD"');
    if (from > to) throw invalid('from', 'must not be after to');
    if (addDays(from, MAX_HISTORY_DAYS - 1) < to) {
      throw new SwitchboardError('VALIDATION_FAILED', `from..to spans more than ${MAX_HISTORY_DAYS} days`, {
        field: 'from',
      });
    }
    const days: string[] = [];
    for (let d = to; d >= from; d = addDays(d, -1)) days.push(d);
    const perDay = await Promise.all(days.map((d) => this.repo.day(d)));
    return perDay.flat().map(toEntry);
  }

  private isFresh(updatedAt: Date): boolean {
    const age = this.options.clock.now().getTime() - updatedAt.getTime();
    return age >= 0 && age < this.options.cacheTtlSeconds * 1000;
  }
}

function toEntry(row: GoldHistoryRow): GoldHistoryEntry {
  return {
    date: row.date,
    hour: row.time_bucket,
    pricePerGram: row.price_per_gram ?? '0.00',
    price24k: row.price_24k ?? '0.00',
    price22k: row.price_22k ?? '0.00',
    price18k: row.price_18k ?? '0.00',
    source: row.source ?? 'simulated',
    createdAt: row.created_at ?? new Date(0),
  };
}
