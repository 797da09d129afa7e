import { decodeTime, isValid } from 'ulid';
import { monotonicUlids, pooledRandom } from '../../../shared/audit/ids';

describe('pooledRandom', () => {
  it('draws bytes as fractions in [0, 1), in steps of 1/256', () => {
    const random = pooledRandom();
    const draws = Array.from({ length: 10_000 }, random);
    expect(draws.every((d) => d >= 0 && d < 1 && Number.isInteger(d * 256))).toBe(true);
  });

  it('keeps drawing past its pool, with every byte value about equally often', () => {
    const random = pooledRandom();
    const counts = new Array<number>(256).fill(0);
    // 64 pools' worth: each of the 256 values is expected 1024 times.
    for (let i = 0; i < 256 * 1024; i++) {
      const value = random() * 256;
      counts[value] = (counts[value] ?? 0) + 1;
    }
    expect(Math.min(...counts)).toBeGreaterThan(800);
    expect(Math.max(...counts)).toBeLessThan(1250);
  });

  it('gives two generators different sequences', () => {
    const a = pooledRandom();
    const b = pooledRandom();
    const first = Array.from({ length: 32 }, a).join();
    expect(Array.from({ length: 32 }, b).join()).not.toBe(first);
  });
});

describe('monotonicUlids', () => {
  it('makes valid ULIDs carrying the time given, strictly increasing within one millisecond', () => {
    const next = monotonicUlids();
    const at = Date.UTC(2026, 11, 4);
    const ids = Array.from({ length: 1000 }, () => next(at));
    expect(ids.every((id) => isValid(id) && decodeTime(id) === at)).toBe(true);
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('starts each new millisecond with fresh randomness', () => {
    const next = monotonicUlids();
    const randomParts = Array.from({ length: 200 }, (_, i) => next(1_700_000_000_000 + i).slice(10));
    expect(new Set(randomParts).size).toBe(randomParts.length);
  });
});
