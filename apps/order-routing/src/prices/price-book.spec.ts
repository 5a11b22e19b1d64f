import { inForce, PriceBook, type PriceListVersion, priceOf } from './price-book';

const v = (version: number, effectiveAt: string, entries: PriceListVersion['entries']): PriceListVersion => ({
  version,
  currency: 'CNY',
  effectiveAt: new Date(effectiveAt),
  entries,
  setBy: 'ops',
  setAt: new Date(effectiveAt),
});

const LIXIAN = 'Lixian Apple (礼县苹果)';
const list = v(1, '2026-10-01T00:00:00Z', [
  { grade: 'premium', brand: LIXIAN, channel: null, fenPerKg: 1680 },
  { grade: 'premium', brand: LIXIAN, channel: 'livestream', fenPerKg: 1880 },
  { grade: 'premium', brand: null, channel: null, fenPerKg: 1200 },
  { grade: 'grade_2', brand: null, channel: 'wholesale', fenPerKg: 520 },
]);

describe('price book', () => {
  it('takes the most specific entry: brand and channel, brand, then the unbranded grade', () => {
    expect(priceOf(list, 'premium', LIXIAN, 'livestream')).toEqual({ fenPerKg: 1880, version: 1 });
    expect(priceOf(list, 'premium', LIXIAN, 'retail')).toEqual({ fenPerKg: 1680, version: 1 });
    expect(priceOf(list, 'premium', 'Other Brand', 'retail')).toEqual({ fenPerKg: 1200, version: 1 });
    expect(priceOf(list, 'premium', null, 'livestream')).toEqual({ fenPerKg: 1200, version: 1 });
  });

  it('is null when nothing fits: another grade, another channel, no list', () => {
    expect(priceOf(list, 'grade_1', null, 'retail')).toBeNull();
    expect(priceOf(list, 'grade_2', null, 'retail')).toBeNull();
    expect(priceOf(list, 'grade_2', null, 'wholesale')).toEqual({ fenPerKg: 520, version: 1 });
    expect(priceOf(undefined, 'premium', null, 'retail')).toBeNull();
  });

  it('uses the version in force at the time asked: not a future one, the later of a tie', () => {
    const versions = [
      list,
      v(2, '2026-11-01T00:00:00Z', [{ grade: 'premium', brand: null, channel: null, fenPerKg: 1100 }]),
      v(3, '2026-11-01T00:00:00Z', [{ grade: 'premium', brand: null, channel: null, fenPerKg: 1150 }]),
      v(4, '2026-12-01T00:00:00Z', [{ grade: 'premium', brand: null, channel: null, fenPerKg: 900 }]),
    ];
    expect(inForce(versions, new Date('2026-09-30T23:59:59Z'))).toBeUndefined();
    expect(inForce(versions, new Date('2026-10-15T00:00:00Z'))?.version).toBe(1);
    expect(inForce(versions, new Date('2026-11-15T00:00:00Z'))?.version).toBe(3);
    const book = new PriceBook(new Map([['apple', versions]]));
    expect(book.price('apple', 'premium', null, 'retail', new Date('2026-12-01T00:00:00Z'))).toEqual({ fenPerKg: 900, version: 4 });
    expect(book.price('passion_fruit', 'premium', null, 'retail', new Date('2026-12-01T00:00:00Z'))).toBeNull();
  });
});
