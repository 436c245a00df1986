import { decodeTime, isValid } from 'ulid';
import { describe, expect, it } from 'vitest';
import { newUlid } from './ids.js';

describe('newUlid', () => {
  it('makes valid ULIDs of the current time, none twice, over several refills of its pool', () => {
    const before = Date.now();
    const ids = Array.from({ length: 3000 }, newUlid); // 16 random bytes each: about 12 refills of 4,096
    const after = Date.now();
    expect(ids.every((id) => isValid(id))).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of [ids[0], ids.at(-1)]) {
      expect(decodeTime(id ?? '')).toBeGreaterThanOrEqual(before);
      expect(decodeTime(id ?? '')).toBeLessThanOrEqual(after);
    }
  });

  it('draws every character of the random part evenly', () => {
    const counts = new Map<string, number>();
    for (let i = 0; i < 4000; i++) {
      for (const ch of newUlid().slice(10)) counts.set(ch, (counts.get(ch) ?? 0) + 1);
    }
    // 64,000 characters over 32 symbols: 2,000 each expected; a stuck or biased source would be far off.
    expect(counts.size).toBe(32);
    for (const n of counts.values()) expect(Math.abs(n - 2000)).toBeLessThan(300);
  });
});
