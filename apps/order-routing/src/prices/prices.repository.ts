import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import type { Model } from 'mongoose';
import { isDuplicateKey } from '@firstmile/persistence';
import type { PriceListVersion } from './price-book';
import { PriceList } from './price-list.schema';

@Injectable()
export class PricesRepository {
  constructor(@InjectModel(PriceList.name) private readonly model: Model<PriceList>) {}

  find(produce: string): Promise<PriceList | null> {
    return this.model.findById(produce).lean<PriceList>().exec();
  }

  findMany(produce: readonly string[]): Promise<PriceList[]> {
    if (produce.length === 0) return Promise.resolve([]);
    return this.model.find({ _id: { $in: [...new Set(produce)] } }).lean<PriceList[]>().exec();
  }

  /** Only the latest version number of each: what a cache needs to know it is current. */
  async versions(produce: readonly string[]): Promise<Map<string, number>> {
    if (produce.length === 0) return new Map();
    const rows = await this.model.find({ _id: { $in: [...new Set(produce)] } }, { version: 1 }).lean<Array<{ _id: string; version: number }>>().exec();
    return new Map(rows.map((r) => [r._id, r.version]));
  }

  /**
   * Appends a version if the produce's latest is still `after` (0: none yet). False when another
   * write got there first: the caller reads again and decides again.
   */
  async append(produce: string, after: number, v: PriceListVersion): Promise<boolean> {
    if (after === 0) {
      try {
        await this.model.create({ _id: produce, version: v.version, versions: [v] });
        return true;
      } catch (err) {
        if (isDuplicateKey(err)) return false;
        throw err;
      }
    }
    const r = await this.model.updateOne({ _id: produce, version: after }, { $set: { version: v.version }, $push: { versions: v } }).exec();
    return r.modifiedCount === 1;
  }
}
