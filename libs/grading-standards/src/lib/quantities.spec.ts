import fc from 'fast-check';
import { CULL } from './types';
import { apportion, splitByBands, splitByShares } from './quantities';

const ORDER = ['premium', 'grade_1', 'grade_2'];
const sum = (xs: number[]) => xs.reduce((s, x) => s + x, 0);

describe('apportion', () => {
  it('splits whole grams by the largest remainder', () => {
    expect(apportion(10, { a: 1, b: 1, c: 1 })).toEqual({ a: 4, b: 3, c: 3 });
    expect(apportion(1000, { a: 2, b: 1 })).toEqual({ a: 667, b: 333 });
  });

  it('refuses to split by nothing', () => {
    expect(() => apportion(10, { a: 0 })).toThrow(RangeError);
    expect(() => apportion(1.5, { a: 1 })).toThrow(RangeError);
  });

  it('always conserves the total to the gram (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 100_000_000 }),
        fc.array(fc.integer({ min: 1, max: 10_000_000_000 }), { minLength: 1, maxLength: 8 }),
        (total, ws) => {
          const parts = apportion(total, Object.fromEntries(ws.map((w, i) => [`g${i}`, w])));
          const values = Object.values(parts);
          return sum(values) === total && values.every((v) => Number.isInteger(v) && v >= 0);
        },
      ),
    );
  });

  it('never strays more than a gram from the exact share (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10_000_000 }), fc.array(fc.integer({ min: 1, max: 1_000_000 }), { minLength: 1, maxLength: 6 }), (total, ws) => {
        const parts = apportion(total, Object.fromEntries(ws.map((w, i) => [`g${i}`, w])));
        const s = sum(ws);
        return ws.every((w, i) => Math.abs(parts[`g${i}`] - (total * w) / s) < 1);
      }),
    );
  });
});

describe('splitByShares', () => {
  it('scales measured shares to the lot and leaves the rest cull', () => {
    const split = splitByShares(1_000_500, { premium: 500, grade_1: 300, grade_2: 100, [CULL]: 100 }, ORDER);
    expect(split.grades).toEqual([
      { grade: 'premium', grams: 500_250 },
      { grade: 'grade_1', grams: 300_150 },
      { grade: 'grade_2', grams: 100_050 },
    ]);
    expect(split.cullGrams).toBe(100_050);
  });

  it('Σ grades + cull = the lot, to the gram, for any lot and any measured shares (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 100_000_000 }),
        fc.record({ premium: fc.nat(1e9), grade_1: fc.nat(1e9), grade_2: fc.nat(1e9), [CULL]: fc.nat(1e9) }).filter((r) => sum(Object.values(r)) > 0),
        (lot, measured) => {
          const split = splitByShares(lot, measured, ORDER);
          return sum(split.grades.map((g) => g.grams)) + split.cullGrams === lot && split.cullGrams >= 0 && split.grades.every((g) => g.grams > 0);
        },
      ),
    );
  });
});

describe('splitByBands', () => {
  it('takes the bands as weighed and makes the remainder cull', () => {
    const r = splitByBands(1_000_000, [{ grade: 'grade_1', grams: 400_000 }, { grade: 'premium', grams: 500_000 }], ORDER);
    expect(r).toEqual({ ok: true, split: { grades: [{ grade: 'premium', grams: 500_000 }, { grade: 'grade_1', grams: 400_000 }], cullGrams: 100_000 } });
  });

  it('adds a band named cull to the cull', () => {
    const r = splitByBands(1000, [{ grade: CULL, grams: 100 }, { grade: 'premium', grams: 900 }], ORDER);
    expect(r.ok && r.split.cullGrams).toBe(100);
  });

  it('refuses bands heavier than the lot, and unknown grades', () => {
    expect(splitByBands(1000, [{ grade: 'premium', grams: 1001 }], ORDER)).toEqual({ ok: false, error: 'the bands weigh 1.001 kg but the lot is 1 kg' });
    expect(splitByBands(1000, [{ grade: 'jumbo', grams: 1 }], ORDER).ok).toBe(false);
  });

  it('conserves any bands that fit (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 100_000_000 }), fc.array(fc.record({ grade: fc.constantFrom(...ORDER, CULL), grams: fc.integer({ min: 1, max: 10_000_000 }) }), { maxLength: 6 }), (lot, bands) => {
        const r = splitByBands(lot, bands, ORDER);
        const total = sum(bands.map((b) => b.grams));
        if (total > lot) return !r.ok;
        return r.ok && sum(r.split.grades.map((g) => g.grams)) + r.split.cullGrams === lot;
      }),
    );
  });
});
