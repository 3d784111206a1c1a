/**
 * Length in Unicode code points: what people count as characters for the limits we state
 * ("at most 4,000 characters"), and what JSON Schema's `maxLength` in the published OpenAPI
 * counts. `String.length` counts UTF-16 units, so an emoji counted two and 2,001 of them broke
 * a 4,000-character limit.
 */
export function characterCount(text: string): number {
  let count = text.length;
  for (let i = 0; i < text.length - 1; i += 1) {
    const unit = text.charCodeAt(i);
    if (unit >= 0xd800 && unit <= 0xdbff) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        count -= 1;
        i += 1;
      }
    }
  }
  return count;
}

/** Whether `text` is over `max` characters; counts only when its UTF-16 length could be. */
export function longerThan(text: string, max: number): boolean {
  return text.length > max && characterCount(text) > max;
}

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

/** Whether `text` holds a C0 control character or DEL (a NUL, a line break, an escape). */
export function hasControlCharacters(text: string): boolean {
  return CONTROL.test(text);
}
