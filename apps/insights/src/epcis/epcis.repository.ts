import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import type { FilterQuery, Model } from 'mongoose';
import { isDuplicateKey } from '@firstmile/persistence';
import { EpcisEventDoc } from './epcis-event.schema';
import { LotFact, ShipmentFact, SubLotFact } from './facts.schema';
import type { EpcisRecord } from './mapping';

/** EPCIS events and the facts they are built from. Everything is inserted once by its natural key. */
@Injectable()
export class EpcisRepository {
  constructor(
    @InjectModel(EpcisEventDoc.name) private readonly events: Model<EpcisEventDoc>,
    @InjectModel(LotFact.name) private readonly lots: Model<LotFact>,
    @InjectModel(SubLotFact.name) private readonly subLots: Model<SubLotFact>,
    @InjectModel(ShipmentFact.name) private readonly shipments: Model<ShipmentFact>,
  ) {}

  insertEvents(records: EpcisRecord[]): Promise<void> {
    return insertOnce(
      this.events,
      records.map((r) => ({ ...r, awaitsCooperative: r.cooperativeId === null })),
    );
  }

  /**
   * Remembers whose lots are, and gives each cooperative its lots' events stored before this was
   * known: one insert, and one update per cooperative.
   */
  async rememberLots(facts: readonly LotFact[]): Promise<void> {
    if (facts.length === 0) return;
    await insertOnce(this.lots, [...facts]);
    const byCooperative = new Map<string, string[]>();
    for (const f of facts) byCooperative.set(f.cooperativeId, [...(byCooperative.get(f.cooperativeId) ?? []), f._id]);
    for (const [cooperativeId, lotIds] of byCooperative) await this.assignCooperative(lotIds, cooperativeId);
  }

  async assignCooperative(lotIds: readonly string[], cooperativeId: string): Promise<void> {
    await this.events.updateMany({ awaitsCooperative: true, lotIds: { $in: [...lotIds] } }, { $set: { cooperativeId, awaitsCooperative: false } });
  }

  rememberSubLots(facts: SubLotFact[]): Promise<void> {
    return insertOnce(this.subLots, facts);
  }

  rememberShipments(facts: ShipmentFact[]): Promise<void> {
    return insertOnce(this.shipments, facts);
  }

  async lotsById(ids: string[]): Promise<Map<string, LotFact>> {
    const rows = await this.lots
      .find({ _id: { $in: [...new Set(ids)] } })
      .lean<LotFact[]>()
      .exec();
    return new Map(rows.map((r) => [r._id, r]));
  }

  async subLotsById(ids: string[]): Promise<Map<string, SubLotFact>> {
    const rows = await this.subLots
      .find({ _id: { $in: [...new Set(ids)] } })
      .lean<SubLotFact[]>()
      .exec();
    return new Map(rows.map((r) => [r._id, r]));
  }

  shipment(id: string): Promise<ShipmentFact | null> {
    return this.shipments.findById(id).lean<ShipmentFact>().exec();
  }

  /** A page in time order (eventTime, then eventID), served by the indexes of epcis-event.schema.ts. */
  page(filter: FilterQuery<EpcisEventDoc>, limit: number): Promise<EpcisEventDoc[]> {
    return this.events
      .find(filter)
      .sort({ eventTime: 1, _id: 1 })
      .limit(limit)
      .lean<EpcisEventDoc[]>()
      .exec();
  }

  findById(id: string): Promise<EpcisEventDoc | null> {
    return this.events.findById(id).lean<EpcisEventDoc>().exec();
  }
}

/**
 * Inserts what is not there yet; documents already stored (a redelivery, a replay) are left as they are.
 * Lean: each document is stored as given, so it must be as its schema stores it (the repository's
 * test checks every kind against `storedForm`).
 */
async function insertOnce<T extends { _id: string }>(model: Model<T>, docs: T[]): Promise<void> {
  if (docs.length === 0) return;
  try {
    await model.insertMany(docs, { ordered: false, lean: true });
  } catch (err) {
    if (!isDuplicateKey(err)) throw err;
  }
}
