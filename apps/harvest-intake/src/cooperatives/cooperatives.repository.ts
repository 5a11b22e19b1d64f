import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import DataLoader from 'dataloader';
import type { Model } from 'mongoose';
import { Cooperative, type Grower, type Orchard } from './cooperative.schema';

/** How long a cooperative read waits for others to share its command (ms); the lots' group commit waits as long. */
const READ_LINGER_MS = 2;

@Injectable()
export class CooperativesRepository {
  /**
   * Every lot logged reads its cooperative, and on FerretDB a command costs ~1 ms of CPU however
   * many documents it returns: the reads of the same 2 ms are one `$in`. Nothing is cached, so each
   * read sees every write that finished before it began (a grower added by another replica a moment
   * ago included). The batch's span belongs to the trace of the request that opened it.
   */
  private readonly reads: DataLoader<string, Cooperative | null>;

  constructor(@InjectModel(Cooperative.name) private readonly model: Model<Cooperative>) {
    this.reads = new DataLoader(
      async (ids) => {
        const rows = await this.model.find({ _id: { $in: [...new Set(ids)] } }).lean<Cooperative[]>().exec();
        const byId = new Map(rows.map((r) => [r._id, r]));
        return ids.map((id) => byId.get(id) ?? null);
      },
      { cache: false, maxBatchSize: 200, batchScheduleFn: (run) => setTimeout(run, READ_LINGER_MS) },
    );
  }

  async create(coop: Cooperative): Promise<void> {
    await this.model.create(coop);
  }

  /** The cooperative, read together with the other reads of the same moment. */
  findById(id: string): Promise<Cooperative | null> {
    return this.reads.load(id);
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
