import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import type { Model } from 'mongoose';
import type { StockItem, StockLevel } from '@firstmile/contracts';
import { isDuplicateKey } from '@firstmile/persistence';
import { positionKey, StockPosition } from './stock-position.schema';

@Injectable()
export class StockRepository {
  constructor(@InjectModel(StockPosition.name) private readonly model: Model<StockPosition>) {}

  /**
   * Keeps the newest figures of a position. The upsert's filter carries `version < v`: when the
   * document exists with a newer version the upsert tries to insert and hits the unique _id (E11000);
   * so does a concurrent first insert. Either way, retrying as a plain conditional update is right.
   */
  async apply(item: StockItem, at: Date): Promise<void> {
    const _id = positionKey(item.warehouseId, item.subLotId);
    const filter = { _id, version: { $lt: item.stock.version } };
    const update = {
      $set: {
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
      },
    };
    try {
      await this.model.updateOne(filter, update, { upsert: true });
    } catch (err) {
      if (!isDuplicateKey(err)) throw err;
      await this.model.updateOne(filter, update);
    }
  }

  /** Figures only (a refused reservation reports them); a position never seen stays unknown. */
  async applyLevel(warehouseId: string, subLotId: string, level: StockLevel, at: Date): Promise<void> {
    await this.model.updateOne(
      { _id: positionKey(warehouseId, subLotId), version: { $lt: level.version } },
      { $set: { ...levelFields(level), updatedAt: at } },
    );
  }

  /** Positions of these produce that hold stock (reserved or not: "never" is judged on all of it). */
  holding(produce: string[]): Promise<StockPosition[]> {
    return this.model
      .find({ produce: { $in: produce }, onHandKg: { $gt: 0 } })
      .lean<StockPosition[]>()
      .exec();
  }

  findByWarehouse(warehouseId: string): Promise<StockPosition | null> {
    return this.model.findOne({ warehouseId }).lean<StockPosition>().exec();
  }
}

const levelFields = (s: StockLevel) => ({
  onHandKg: s.onHandKg,
  reservedKg: s.reservedKg,
  availableKg: s.availableKg,
  version: s.version,
});
