import { daysOf, median, pct, perKg } from './figures';

describe('county figures', () => {
  it('lists every UTC day a window touches', () => {
    expect(daysOf(new Date('2026-11-01T00:00:00Z'), new Date('2026-11-04T00:00:00Z'))).toEqual(['2026-11-01', '2026-11-02', '2026-11-03']);
    expect(daysOf(new Date('2026-11-01T18:00:00Z'), new Date('2026-11-02T06:00:00Z'))).toEqual(['2026-11-01', '2026-11-02']);
  });

  it('takes medians of odd and even counts, null of none', () => {
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeNull();
  });

  it('prices per kg exactly, half up to the fen', () => {
    expect(perKg(4700, 2500)).toBe('18.80'); // 47.00 for 2.5 kg
    expect(perKg(1000, 3000)).toBe('3.33'); // 3.333…
    expect(perKg(1001, 600)).toBe('16.68'); // 16.683…
    expect(perKg(5, 1000)).toBe('0.05');
    expect(perKg(25, 2000)).toBe('0.13'); // 0.125 → 0.13
    expect(perKg(0, 0)).toBeNull();
    expect(pct(1, 3)).toBe(33.3);
    expect(pct(1, 0)).toBeNull();
  });
});
