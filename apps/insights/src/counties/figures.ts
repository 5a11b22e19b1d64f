import { formatFen, kgOf } from '@firstmile/contracts';

/*
 * Small pure helpers of the county figures: days, medians, shares, per-kg prices. Weights are whole
 * grams and money whole fen until they are shown.
 */

const DAY_MS = 86_400_000;

/** The UTC date of a time, `YYYY-MM-DD`. */
export const dayOf = (t: Date): string => t.toISOString().slice(0, 10);

/** Every UTC date the half-open window [from, to) touches, in order. */
export function daysOf(from: Date, to: Date): string[] {
  const days: string[] = [];
  for (let t = Date.UTC(from.getUTCFullYear(), from.getUTCMonth(), from.getUTCDate()); t < to.getTime(); t += DAY_MS) days.push(dayOf(new Date(t)));
  return days;
}

/** The median, or null of nothing. */
export function median(xs: readonly number[]): number | null {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** One decimal, as the figures are shown. */
export const oneDecimal = (x: number): number => Math.round(x * 10) / 10;

/** part of whole in %, one decimal; null of a zero whole. */
export const pct = (part: number, whole: number): number | null => (whole === 0 ? null : oneDecimal((part * 100) / whole));

/** Revenue per kg (fen over grams) as money, rounded half up to the fen; null of no weight. */
export function perKg(fen: number, grams: number): string | null {
  if (grams === 0) return null;
  return formatFen(Math.floor((fen * 1000 * 2 + grams) / (2 * grams)));
}

/** Sums by key. */
export class Tally {
  private readonly sums = new Map<string, number>();
  add(key: string, n: number): void {
    this.sums.set(key, (this.sums.get(key) ?? 0) + n);
  }
  get(key: string): number {
    return this.sums.get(key) ?? 0;
  }
  entries(): Array<[string, number]> {
    return [...this.sums.entries()];
  }
  /** As kg, keys sorted. */
  kg(): Record<string, number> {
    return Object.fromEntries(this.entries().sort(([a], [b]) => a.localeCompare(b)).map(([k, g]) => [k, kgOf(g)]));
  }
}
