import type { Row } from '../../../ports/wide-column/declare.js';
import { batchOp, type WideColumnEngine } from '../../../ports/wide-column/engine.js';
import { goldPriceLatest, goldPrices } from '../tables.js';

export type GoldHistoryRow = Row<typeof goldPrices>;
export type GoldLatestRow = Row<typeof goldPriceLatest>;

export interface StoredPrice {
  pricePerGram: string;
  price24k: string;
  price22k: string;
  price18k: string;
  source: string;
  updatedAt: Date;
  /** History bucket: calendar date and hour in the configured zone. */
  date: string;
  hour: number;
}

export class GoldPriceRepository {
  constructor(private readonly store: WideColumnEngine) {}

  latest(): Promise<GoldLatestRow | null> {
    return this.store.get(goldPriceLatest, { singleton: 1 });
  }

  /** The latest row and its hourly history bucket together (a price in the hour replaces the previous one). */
  save(price: StoredPrice): Promise<void> {
    const values = {
      price_per_gram: price.pricePerGram,
      price_24k: price.price24k,
      price_22k: price.price22k,
      price_18k: price.price18k,
      source: price.source,
    };
    return this.store.batch([
      batchOp.insert(goldPriceLatest, { singleton: 1, ...values, updated_at: price.updatedAt }),
      batchOp.insert(goldPrices, {
        date: price.date,
        time_bucket: price.hour,
        ...values,
        created_at: price.updatedAt,
      }),
    ]);
  }

  /** One day's hourly prices, latest hour first. */
  async day(date: string): Promise<GoldHistoryRow[]> {
    const page = await this.store.slice(goldPrices, { key: { date }, limit: 24 });
    return page.rows;
  }
}
