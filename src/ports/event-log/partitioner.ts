/**
 * Kafka's default partitioner for keyed messages, so a key lands on the same partition number
 * on the embedded log, on Kafka through Switchboard, and from any Java/librdkafka-compatible
 * producer: `toPositive(murmur2(utf8(key))) % partitions`, where toPositive masks the sign
 * bit (it is not Math.abs). This is 32-bit murmur2 exactly as in
 * org.apache.kafka.common.utils.Utils#murmur2, with Math.imul for the wrapping multiplies.
 */
const SEED = 0x9747b28c;
const M = 0x5bd1e995;
const R = 24;

export function murmur2(data: Uint8Array): number {
  const length = data.length;
  let h = (SEED ^ length) | 0;
  const whole = length & ~3;
  for (let i = 0; i < whole; i += 4) {
    let k = data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24);
    k = Math.imul(k, M);
    k ^= k >>> R;
    k = Math.imul(k, M);
    h = Math.imul(h, M);
    h ^= k;
  }
  const rest = length & 3;
  if (rest > 0) {
    // The tail bytes in Java's fall-through order: byte 2, byte 1, byte 0, then one multiply.
    if (rest === 3) h ^= data[whole + 2]! << 16;
    if (rest >= 2) h ^= data[whole + 1]! << 8;
    h ^= data[whole]!;
    h = Math.imul(h, M);
  }
  h ^= h >>> 13;
  h = Math.imul(h, M);
  h ^= h >>> 15;
  return h | 0;
}

/** The non-negative hash Kafka takes the modulo of (`Utils.toPositive`). */
export function positiveHash(key: string): number {
  return murmur2(Buffer.from(key, 'utf8')) & 0x7fffffff;
}

export function partitionForKey(key: string, partitions: number): number {
  return positiveHash(key) % partitions;
}
