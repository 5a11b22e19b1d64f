import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import type { Model } from 'mongoose';
import { createOnce, isDuplicateKey } from '@firstmile/persistence';
import { Brand } from './brand.schema';

@Injectable()
export class BrandsRepository {
  constructor(@InjectModel(Brand.name) private readonly model: Model<Brand>) {}

  /** Inserts the brands that are not there yet; ones already present (maybe edited by ops) stay as they are. */
  async seed(brands: Brand[]): Promise<void> {
    if (brands.length === 0) return;
    try {
      await this.model.bulkWrite(
        brands.map(({ _id, ...rest }) => ({ updateOne: { filter: { _id }, update: { $setOnInsert: rest }, upsert: true } })),
        { ordered: false },
      );
    } catch (err) {
      // Replicas starting together race to insert the same brand; whoever lost finds it there.
      const errors = (err as { writeErrors?: { code?: number }[] }).writeErrors;
      if (!Array.isArray(errors) || !errors.every(isDuplicateKey)) throw err;
    }
  }

  /** Inserts a brand; false when its name is taken. */
  async insert(brand: Brand): Promise<boolean> {
    return createOnce(this.model, brand);
  }

  list(): Promise<Brand[]> {
    return this.model.find().sort({ _id: 1 }).lean<Brand[]>().exec();
  }

  forCounty(produce: string, county: string): Promise<Brand[]> {
    return this.model.find({ produce, counties: county }).sort({ _id: 1 }).lean<Brand[]>().exec();
  }
}
