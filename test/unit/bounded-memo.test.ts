import { describe, expect, it } from 'vitest';
import { BoundedMemo } from '../../src/shared/bounded-memo.js';

describe('BoundedMemo', () => {
  it('starts over when a new key comes to a full memo, and not when a known key is set again', () => {
    const memo = new BoundedMemo<string, number>(2);
    memo.set('a', 1);
    memo.set('b', 2);
    memo.set('b', 3); // known key: no start-over
    expect([memo.get('a'), memo.get('b')]).toEqual([1, 3]);
    memo.set('c', 4); // full, new key: everything before is forgotten
    expect([memo.has('a'), memo.has('b'), memo.get('c')]).toEqual([false, false, 4]);
    memo.delete('c');
    expect(memo.has('c')).toBe(false);
  });
});
