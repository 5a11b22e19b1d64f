/**
 * Money is exact: integer fen (分, 1/100 yuan) inside every service and on every event, decimal
 * strings with two places (`"1234.50"`) at the HTTP surface. No floating-point money anywhere.
 */

export const CURRENCIES = ['CNY'] as const;
export type Currency = (typeof CURRENCIES)[number];

/** A price or amount as the API takes it: yuan with up to two decimals, e.g. `"12.5"`, `"12.50"`, `"12"`. */
export const MONEY_PATTERN = /^(0|[1-9]\d{0,7})(\.\d{1,2})?$/;

/** `"12.5"` → 1250. Throws on anything MONEY_PATTERN does not accept. */
export function toFen(yuan: string): number {
  if (!MONEY_PATTERN.test(yuan)) throw new Error(`not an amount of money: ${yuan}`);
  const [whole, part = ''] = yuan.split('.');
  return Number(whole) * 100 + Number(part.padEnd(2, '0'));
}

/** 125050 → `"1250.50"`; -5 → `"-0.05"`. */
export function formatFen(fen: number): string {
  if (!Number.isSafeInteger(fen)) throw new Error(`not a whole number of fen: ${fen}`);
  const sign = fen < 0 ? '-' : '';
  const abs = Math.abs(fen);
  return `${sign}${Math.trunc(abs / 100)}.${String(abs % 100).padStart(2, '0')}`;
}

/**
 * What `grams` cost at `fenPerKg`, rounded half up to the fen, in integers only: the product of a
 * price (≤ 10⁸ fen/kg) and a weight (≤ 10⁸ g) stays well inside 2⁵³.
 */
export function amountFen(fenPerKg: number, grams: number): number {
  const milli = fenPerKg * grams + 500;
  return (milli - (milli % 1000)) / 1000;
}

/** Kilograms (≤ 3 decimals) as whole grams: the unit every sum is made in. */
export const gramsOf = (kg: number): number => Math.round(kg * 1000);
/** Whole grams back as kilograms. */
export const kgOf = (grams: number): number => grams / 1000;
