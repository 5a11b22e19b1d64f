import { amountFen, formatFen, toFen } from './money';

describe('money', () => {
  it('reads yuan strings as exact fen', () => {
    expect(toFen('12.5')).toBe(1250);
    expect(toFen('12.50')).toBe(1250);
    expect(toFen('0.07')).toBe(7);
    expect(toFen('19')).toBe(1900);
    expect(() => toFen('1.234')).toThrow();
    expect(() => toFen('-1')).toThrow();
    expect(() => toFen('01.00')).toThrow();
  });

  it('prints fen with two decimals', () => {
    expect(formatFen(125050)).toBe('1250.50');
    expect(formatFen(7)).toBe('0.07');
    expect(formatFen(0)).toBe('0.00');
    expect(formatFen(-5)).toBe('-0.05');
  });

  it('prices grams at a price per kg, half up, without floating-point error', () => {
    expect(amountFen(1250, 2000)).toBe(2500); // 2 kg at 12.50
    expect(amountFen(999, 1)).toBe(1); // 0.999 fen → 1
    expect(amountFen(333, 1500)).toBe(500); // 499.5 → 500
    expect(amountFen(333, 1499)).toBe(499); // 499.167
    // 0.1 + 0.2 territory: 3 x 0.10 kg at 0.10/kg is exactly 3 fen, never 3.0000000004
    expect(amountFen(10, 100) * 3).toBe(3);
    expect(amountFen(100_000_000, 100_000_000)).toBe(10_000_000_000_000);
  });
});
