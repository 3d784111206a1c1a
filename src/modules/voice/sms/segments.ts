/**
 * SMS segment counting (3GPP TS 23.038 / 23.040). A message whose every character is in the
 * GSM-7 default alphabet or its extension table is sent as GSM-7: 160 septets in one
 * segment, 153 per segment when concatenated (the user-data header takes the rest), with
 * extension characters costing two septets (escape + char) that are never split across
 * segments. Anything else goes as UCS-2: 70 UTF-16 units in one segment, 67 when
 * concatenated, never splitting a surrogate pair.
 */

const GSM7_BASIC =
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\u001bÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?' +
  '¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà';
const GSM7_EXTENSION = '\f^{}\\[~]|€';

const basic = new Set([...GSM7_BASIC].filter((c) => c !== '\u001b'));
const extension = new Set([...GSM7_EXTENSION]);

export type SmsEncoding = 'GSM-7' | 'UCS-2';

export interface SegmentCount {
  encoding: SmsEncoding;
  segments: number;
  /** Septets (GSM-7) or UTF-16 code units (UCS-2) the text takes. */
  units: number;
}

export function countSegments(text: string): SegmentCount {
  const chars = [...text];
  if (chars.every((c) => basic.has(c) || extension.has(c))) {
    const costs = chars.map((c) => (extension.has(c) ? 2 : 1));
    return { encoding: 'GSM-7', units: sum(costs), segments: pack(costs, 160, 153) };
  }
  // A character outside the BMP is a surrogate pair: two units that must stay together.
  const costs = chars.map((c) => c.length);
  return { encoding: 'UCS-2', units: sum(costs), segments: pack(costs, 70, 67) };
}

function sum(costs: number[]): number {
  return costs.reduce((a, b) => a + b, 0);
}

/** Fills segments greedily with indivisible items of the given cost. */
function pack(costs: number[], single: number, multi: number): number {
  const total = sum(costs);
  if (total <= single) return 1;
  let segments = 1;
  let used = 0;
  for (const cost of costs) {
    if (used + cost > multi) {
      segments += 1;
      used = 0;
    }
    used += cost;
  }
  return segments;
}
