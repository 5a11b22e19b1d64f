import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import type { Model } from 'mongoose';
import type { StockItem, StockLevel } from '@firstmile/contracts';
import { duplicateIndexes, isDuplicateKey } from '@firstmile/persistence';
import { positionKey, StockPosition } from './stock-position.schema';

/**
 * The stock view: stored, and kept in memory for the router. Every routing attempt reads the
 * positions of its produce; on FerretDB such a query reads the whole collection, so the router
 * reads memory instead. Memory is loaded from the store once, then follows every write this process
 * makes; `refresh` merges in what other processes (a replica) wrote. Both only ever move a position
 * to a newer version, so the order in which they meet does not matter.
 */
/** A refresh also reads what was written this long before the previous one began: writes in flight then. */
const IN_FLIGHT_MARGIN_MS = 30_000;

@Injectable()
export class StockViewRepository {
  private readonly view = new Map<string, StockPosition>();
  private loaded?: Promise<void>;
  /** When the last refresh began (ms); undefined until the first whole read. */
  private refreshedFrom?: number;

  constructor(@InjectModel(StockPosition.name) private readonly model: Model<StockPosition>) {}

  /**
   * Keeps the newest figures of a position. The upsert's filter carries `version < v`: when the
   * document exists with a newer version the upsert tries to insert and hits the unique _id (E11000);
   * so does a concurrent first insert. Either way, retrying as a plain conditional update is right.
   */
  async apply(item: StockItem, at: Date): Promise<void> {
    await this.applyAll([item], at);
  }

  /**
   * The newest figures of each position among `items`, in one bulk write: only the newest item of a
   * position is written, each as `apply` writes it; the upserts that hit the _id are written again
   * as plain conditional updates.
   */
  async applyAll(items: readonly StockItem[], at: Date): Promise<void> {
    const newest = newestOf(items.map((item) => toPosition(item, at)), (p) => p._id, (p) => p.version);
    if (newest.size === 0) return;
    const positions = [...newest.values()];
    const op = ({ _id, ...fields }: StockPosition, upsert: boolean) => ({ updateOne: { filter: { _id, version: { $lt: fields.version } }, update: { $set: fields }, upsert } });
    try {
      await this.model.bulkWrite(positions.map((p) => op(p, true)) as never, { ordered: false });
    } catch (err) {
      if (!isDuplicateKey(err)) throw err;
      const again = duplicateIndexes(err).map((i) => positions[i]);
      await this.model.bulkWrite(again.map((p) => op(p, false)) as never, { ordered: false });
    }
    for (const p of positions) this.remember(p);
  }

  /**
   * Figures only (refused reservations report them), the newest of each position, in one bulk write;
   * a position never seen stays unknown.
   */
  async applyLevels(levels: ReadonlyArray<{ warehouseId: string; subLotId: string; level: StockLevel }>, at: Date): Promise<void> {
    const newest = newestOf(levels, (l) => positionKey(l.warehouseId, l.subLotId), (l) => l.level.version);
    if (newest.size === 0) return;
    await this.model.bulkWrite(
      [...newest].map(([_id, { level }]) => ({ updateOne: { filter: { _id, version: { $lt: level.version } }, update: { $set: { ...levelFields(level), updatedAt: at } } } })) as never,
      { ordered: false },
    );
    for (const [_id, { level }] of newest) {
      const known = this.view.get(_id);
      if (known) this.remember({ ...known, ...levelFields(level), updatedAt: at });
    }
  }

  /** Positions of these produce that hold stock (reserved or not: "never" is judged on all of it). */
  async holding(produce: string[]): Promise<StockPosition[]> {
    await this.load();
    return [...this.view.values()].filter((p) => p.onHandKg > 0 && produce.includes(p.produce));
  }

  async findByWarehouse(warehouseId: string): Promise<StockPosition | undefined> {
    await this.load();
    for (const p of this.view.values()) if (p.warehouseId === warehouseId) return p;
    return undefined;
  }

  /**
   * Merges in the stored view: what another replica applied, which this process never saw. After
   * the first (whole) read, only what was written since the previous read began, less a margin for
   * writes in flight then.
   */
  async refresh(): Promise<void> {
    const started = Date.now();
    const filter = this.refreshedFrom === undefined ? {} : { updatedAt: { $gte: new Date(this.refreshedFrom - IN_FLIGHT_MARGIN_MS) } };
    for (const p of await this.model.find(filter).lean<StockPosition[]>().exec()) this.remember(p);
    this.refreshedFrom = started;
  }

  private load(): Promise<void> {
    this.loaded ??= this.refresh().catch((err: unknown) => {
      this.loaded = undefined;
      throw err;
    });
    return this.loaded;
  }

  private remember(p: StockPosition): void {
    const known = this.view.get(p._id);
    if (!known || known.version < p.version) this.view.set(p._id, p);
  }
}

function toPosition(item: StockItem, at: Date): StockPosition {
  return {
    _id: positionKey(item.warehouseId, item.subLotId),
    warehouseId: item.warehouseId,
    warehouseLocation: { lat: item.warehouseLocation.lat, lon: item.warehouseLocation.lon },
    subLotId: item.subLotId,
    lotId: item.lotId,
    produce: item.produce,
    variety: item.variety,
    grade: item.grade,
    brand: item.brand ?? null,
    traceCode: item.traceCode,
    bestBefore: new Date(item.bestBefore),
    ...levelFields(item.stock),
    updatedAt: at,
  };
}

const levelFields = (s: StockLevel) => ({
  onHandKg: s.onHandKg,
  reservedKg: s.reservedKg,
  availableKg: s.availableKg,
  version: s.version,
});

/** The newest (highest version) of each position among `items`, by its key. */
function newestOf<T>(items: Iterable<T>, key: (t: T) => string, version: (t: T) => number): Map<string, T> {
  const newest = new Map<string, T>();
  for (const item of items) {
    const k = key(item);
    const known = newest.get(k);
    if (!known || version(known) < version(item)) newest.set(k, item);
  }
  return newest;
}
