import type { OrderChannel } from '@firstmile/contracts';

/** One price of a list: a grade, branded or not, on one channel or (without `channel`) on all. */
export interface PriceEntry {
  grade: string;
  brand: string | null;
  channel: OrderChannel | null;
  fenPerKg: number;
}

/** One version of a produce's price list. */
export interface PriceListVersion {
  version: number;
  currency: 'CNY';
  effectiveAt: Date;
  entries: PriceEntry[];
  setBy: string;
  setAt: Date;
}

export interface Priced {
  fenPerKg: number;
  version: number;
}

/**
 * The version in force at `at`: the latest effective time not after it (a later version wins a tie).
 * Undefined before the first one takes effect.
 */
export function inForce(versions: readonly PriceListVersion[], at: Date): PriceListVersion | undefined {
  let best: PriceListVersion | undefined;
  for (const v of versions) {
    if (new Date(v.effectiveAt).getTime() > at.getTime()) continue;
    const t = new Date(v.effectiveAt).getTime();
    const b = best ? new Date(best.effectiveAt).getTime() : -Infinity;
    if (!best || t > b || (t === b && v.version > best.version)) best = v;
  }
  return best;
}

/**
 * The price of a sub-lot of `grade` and `brand` sold on `channel`, from the most specific entry that
 * fits: this brand on this channel, this brand on any channel, then, for a branded sub-lot the list
 * names no price for, the unbranded price of its grade on this channel, and on any channel. Null when
 * none fits (the allocation is then unpriced: `unitPrice: null`).
 */
export function priceOf(list: PriceListVersion | undefined, grade: string, brand: string | null, channel: OrderChannel): Priced | null {
  if (!list) return null;
  const find = (b: string | null, c: OrderChannel | null) => list.entries.find((e) => e.grade === grade && e.brand === b && e.channel === c);
  const entry = find(brand, channel) ?? find(brand, null) ?? (brand !== null ? (find(null, channel) ?? find(null, null)) : undefined);
  return entry ? { fenPerKg: entry.fenPerKg, version: list.version } : null;
}

/** The price lists of several produce as one routing batch read them (see PricesService.book). */
export class PriceBook {
  constructor(private readonly lists: ReadonlyMap<string, readonly PriceListVersion[]>) {}

  static readonly empty = new PriceBook(new Map());

  price(produce: string, grade: string, brand: string | null, channel: OrderChannel, at: Date): Priced | null {
    return priceOf(inForce(this.lists.get(produce) ?? [], at), grade, brand, channel);
  }
}
