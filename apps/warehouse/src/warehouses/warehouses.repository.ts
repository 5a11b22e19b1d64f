import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import type { FilterQuery, Model } from 'mongoose';
import { createOnce } from '@firstmile/persistence';
import { Warehouse } from './warehouse.schema';

@Injectable()
export class WarehousesRepository {
  constructor(@InjectModel(Warehouse.name) private readonly model: Model<Warehouse>) {}

  /** Inserts a warehouse; false when the id is taken. */
  async insert(w: Warehouse): Promise<boolean> {
    return createOnce(this.model, w);
  }

  /** Upserts by id: reference data is the truth for the fields it names; createdAt is kept. */
  async upsertMany(ws: Omit<Warehouse, 'createdAt'>[], now: Date): Promise<void> {
    if (ws.length === 0) return;
    await this.model.bulkWrite(
      ws.map(({ _id, ...fields }) => ({
        updateOne: { filter: { _id }, update: { $set: fields, $setOnInsert: { createdAt: now } }, upsert: true },
      })),
      { ordered: false },
    );
  }

  findById(id: string): Promise<Warehouse | null> {
    return this.model.findById(id).lean<Warehouse>().exec();
  }

  find(filter: FilterQuery<Warehouse>, limit: number): Promise<Warehouse[]> {
    return this.model.find(filter).sort({ _id: 1 }).limit(limit).lean<Warehouse[]>().exec();
  }
}
