import { Injectable } from '@nestjs/common';
import { type FieldError, ProblemException, problemFor } from '@firstmile/http';
import { formatFen, type Principal, toFen } from '@firstmile/contracts';
import type { PriceListView, PutPricesDto } from './dto/put-prices.dto';
import { inForce, PriceBook, type PriceEntry, type PriceListVersion } from './price-book';
import type { PriceList } from './price-list.schema';
import { PricesRepository } from './prices.repository';

const DAY_MS = 86_400_000;
/** A list may take effect this far ahead at most. */
const MAX_AHEAD_MS = 366 * DAY_MS;
/** Clock skew allowed for an `effectiveAt` of "now" sent by a client. */
const SKEW_MS = 60_000;
/** Concurrent PUTs of one produce retry this often before answering 409. */
const MAX_CONFLICTS = 10;

const key = (e: Pick<PriceEntry, 'grade' | 'brand' | 'channel'>) => JSON.stringify([e.grade, e.brand, e.channel]);
const sameEntries = (a: readonly PriceEntry[], b: readonly PriceEntry[]) =>
  a.length === b.length && a.every((e, i) => key(e) === key(b[i]) && e.fenPerKg === b[i].fenPerKg);

/**
 * Price lists per produce: set by ops (PUT, a new version each time the list changes), read by anyone,
 * and read by routing through `book`, which keeps the lists in memory and asks the store only for
 * their version numbers (one small read per routing batch) unless one changed.
 */
@Injectable()
export class PricesService {
  private readonly cache = new Map<string, PriceList>();

  constructor(private readonly repo: PricesRepository) {}

  async set(caller: Principal, produce: string, dto: PutPricesDto, now = new Date()): Promise<PriceListView> {
    const errors: FieldError[] = [];
    const entries: PriceEntry[] = dto.entries.map((e) => ({ grade: e.grade, brand: e.brand, channel: e.channel ?? null, fenPerKg: toFen(e.pricePerKg) }));
    const seen = new Set<string>();
    entries.forEach((e, i) => {
      if (e.fenPerKg <= 0) errors.push({ field: `entries.${i}.pricePerKg`, message: 'must be more than 0.00' });
      if (seen.has(key(e))) errors.push({ field: `entries.${i}`, message: 'another entry has the same grade, brand and channel' });
      seen.add(key(e));
    });
    const effectiveAt = dto.effectiveAt ? new Date(dto.effectiveAt) : now;
    if (Number.isNaN(effectiveAt.getTime())) errors.push({ field: 'effectiveAt', message: 'must be a time' });
    if (effectiveAt.getTime() < now.getTime() - SKEW_MS) errors.push({ field: 'effectiveAt', message: 'must not be in the past' });
    if (effectiveAt.getTime() > now.getTime() + MAX_AHEAD_MS) errors.push({ field: 'effectiveAt', message: 'must be within a year' });
    if (errors.length > 0) throw ProblemException.validation(errors);

    for (let i = 0; i < MAX_CONFLICTS; i++) {
      const doc = await this.repo.find(produce);
      const latest = doc?.versions.find((v) => v.version === doc.version);
      // The same list again (a retried PUT) is the version already stored, not a new one.
      const sameTime = dto.effectiveAt ? latest?.effectiveAt.getTime() === effectiveAt.getTime() : !!latest && latest.effectiveAt.getTime() <= now.getTime();
      if (latest && sameTime && latest.currency === dto.currency && sameEntries(latest.entries, entries)) return view(produce, latest);
      const next: PriceListVersion = { version: (doc?.version ?? 0) + 1, currency: dto.currency, effectiveAt, entries, setBy: caller.sub, setAt: now };
      if (await this.repo.append(produce, doc?.version ?? 0, next)) return view(produce, next);
    }
    throw ProblemException.conflict(`the price list of ${produce} is being changed by others; try again`);
  }

  async get(produce: string, at?: string, now = new Date()): Promise<PriceListView> {
    const when = at ? new Date(at) : now;
    if (Number.isNaN(when.getTime())) throw ProblemException.validation([{ field: 'at', message: 'must be a time' }]);
    const doc = await this.repo.find(produce);
    const list = doc ? inForce(doc.versions, when) : undefined;
    if (!list) throw new ProblemException(problemFor(404, `no price list of ${produce} is in force${at ? ` at ${at}` : ''}`));
    return view(produce, list);
  }

  /**
   * The price lists of these produce for a routing batch: one read of their version numbers, and a
   * read of the lists themselves only for those that changed since this process last read them.
   * Every replica sees a new list at its next batch.
   */
  async book(produce: readonly string[]): Promise<PriceBook> {
    const wanted = [...new Set(produce)];
    const versions = await this.repo.versions(wanted);
    const stale = wanted.filter((p) => versions.has(p) && this.cache.get(p)?.version !== versions.get(p));
    for (const p of wanted) if (!versions.has(p)) this.cache.delete(p);
    for (const doc of await this.repo.findMany(stale)) this.cache.set(doc._id, doc);
    return new PriceBook(new Map(wanted.flatMap((p) => (this.cache.has(p) ? [[p, (this.cache.get(p) as PriceList).versions]] : []))));
  }
}

function view(produce: string, v: PriceListVersion): PriceListView {
  return {
    produce,
    currency: v.currency,
    version: v.version,
    effectiveAt: new Date(v.effectiveAt).toISOString(),
    entries: v.entries.map((e) => ({ grade: e.grade, brand: e.brand, ...(e.channel ? { channel: e.channel } : {}), pricePerKg: formatFen(e.fenPerKg) })),
    setAt: new Date(v.setAt).toISOString(),
  };
}
