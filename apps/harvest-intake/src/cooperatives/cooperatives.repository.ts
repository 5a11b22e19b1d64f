import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import type { Model } from 'mongoose';
import { Cooperative, type Grower, type Orchard } from './cooperative.schema';

@Injectable()
export class CooperativesRepository {
  constructor(@InjectModel(Cooperative.name) private readonly model: Model<Cooperative>) {}

  async create(coop: Cooperative): Promise<void> {
    await this.model.create(coop);
  }

  findById(id: string): Promise<Cooperative | null> {
    return this.model.findById(id).lean<Cooperative>().exec();
  }

  async addGrower(coopId: string, grower: Grower): Promise<boolean> {
    const r = await this.model.updateOne({ _id: coopId }, { $push: { growers: grower } });
    return r.matchedCount === 1;
  }

  async addOrchard(coopId: string, orchard: Orchard): Promise<boolean> {
    // The grower check and the insert are one write: an orchard never points at a missing grower.
    const r = await this.model.updateOne({ _id: coopId, 'growers.id': orchard.growerId }, { $push: { orchards: orchard } });
    return r.matchedCount === 1;
  }
}
