import { toKg } from '@firstmile/contracts';
import { CULL } from './types';

/**
 * Splits `total` grams in proportion to `weights` with the largest-remainder method, so the parts
 * are whole grams that add up to `total` exactly. Ties go to the key listed first.
 */
export function apportion(total: number, weights: Readonly<Record<string, number>>): Record<string, number> {
  if (!Number.isInteger(total) || total < 0) throw new RangeError(`total must be whole grams ≥ 0, got ${total}`);
  const keys = Object.keys(weights).filter((k) => weights[k] > 0);
  const sum = keys.reduce((s, k) => s + weights[k], 0);
  if (sum <= 0) throw new RangeError('nothing to apportion by: every weight is zero');
  const parts = keys.map((k, i) => {
    const exact = (total * weights[k]) / sum;
    const floor = Math.floor(exact);
    return { k, i, floor, rest: exact - floor };
  });
  let left = total - parts.reduce((s, p) => s + p.floor, 0);
  for (const p of [...parts].sort((a, b) => b.rest - a.rest || a.i - b.i)) {
    if (left <= 0) break;
    p.floor += 1;
    left -= 1;
  }
  return Object.fromEntries(parts.map((p) => [p.k, p.floor]));
}

export interface LotSplit {
  /** Grams per grade, in the standard's order, only grades with something in them; never cull. */
  grades: { grade: string; grams: number }[];
  cullGrams: number;
}

/**
 * The lot split by measured shares: each grade's share of the measured weight, scaled to the lot.
 * `gradeOrder` lists the standard's grades best first.
 */
export function splitByShares(lotGrams: number, measuredByGrade: Readonly<Record<string, number>>, gradeOrder: readonly string[]): LotSplit {
  const ordered: Record<string, number> = {};
  for (const g of [...gradeOrder, CULL]) if (measuredByGrade[g] !== undefined) ordered[g] = measuredByGrade[g];
  const grams = apportion(lotGrams, ordered);
  return toSplit(lotGrams, grams, gradeOrder);
}

export type BandsResult = { ok: true; split: LotSplit } | { ok: false; error: string };

/** The lot split by bands the line weighed itself; the rest of the lot is cull. */
export function splitByBands(lotGrams: number, bands: readonly { grade: string; grams: number }[], gradeOrder: readonly string[]): BandsResult {
  const byGrade: Record<string, number> = {};
  for (const b of bands) {
    if (b.grade !== CULL && !gradeOrder.includes(b.grade)) {
      return { ok: false, error: `grade ${b.grade} is not one of ${[...gradeOrder, CULL].join(', ')}` };
    }
    if (!Number.isInteger(b.grams) || b.grams <= 0) return { ok: false, error: `band ${b.grade} must weigh at least 1 g` };
    byGrade[b.grade] = (byGrade[b.grade] ?? 0) + b.grams;
  }
  const total = Object.values(byGrade).reduce((s, g) => s + g, 0);
  if (total > lotGrams) {
    return { ok: false, error: `the bands weigh ${toKg(total)} kg but the lot is ${toKg(lotGrams)} kg` };
  }
  return { ok: true, split: toSplit(lotGrams, byGrade, gradeOrder) };
}

function toSplit(lotGrams: number, grams: Readonly<Record<string, number>>, gradeOrder: readonly string[]): LotSplit {
  const grades = gradeOrder.filter((g) => (grams[g] ?? 0) > 0).map((grade) => ({ grade, grams: grams[grade] }));
  const graded = grades.reduce((s, g) => s + g.grams, 0);
  return { grades, cullGrams: lotGrams - graded };
}
