import { describe, expect, it } from 'vitest';
import { characterCount, hasControlCharacters, longerThan } from '../../src/shared/text.js';

describe('characterCount', () => {
  it('counts code points: an emoji or a CJK character is one, a lone surrogate is one', () => {
    expect(characterCount('')).toBe(0);
    expect(characterCount('hello')).toBe(5);
    expect(characterCount('😀😀')).toBe(2);
    expect(characterCount('中文')).toBe(2);
    expect(characterCount('a\ud800b')).toBe(3);
    expect(characterCount('\ude00\ud83d')).toBe(2);
    // A flag is two regional indicators: two code points, as JSON Schema's maxLength counts.
    expect(characterCount('🇮🇳')).toBe(2);
  });

  it('longerThan agrees with the count at the boundary', () => {
    expect(longerThan('😀'.repeat(3), 3)).toBe(false);
    expect(longerThan('😀'.repeat(4), 3)).toBe(true);
    expect(longerThan('abcd', 3)).toBe(true);
  });
});

describe('hasControlCharacters', () => {
  it('finds C0 controls and DEL, not other characters', () => {
    expect(hasControlCharacters('a\u0000b')).toBe(true);
    expect(hasControlCharacters('line\nbreak')).toBe(true);
    expect(hasControlCharacters('del\u007f')).toBe(true);
    expect(hasControlCharacters('Asha R. — 😀 中文')).toBe(false);
  });
});
