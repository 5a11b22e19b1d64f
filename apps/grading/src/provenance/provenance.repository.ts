import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import type { Model } from 'mongoose';
import { createOnce, isDuplicateKey } from '@firstmile/persistence';
import { type JourneyEntry, JourneyStepDoc, Provenance, ShipmentCity } from './provenance.schema';

/** A step for the sub-lot with this trace code (or sub-lot id), applied once per natural key. */
export type StepUpdate = ({ traceCode: string } | { subLotId: string }) & { key: string; entry: JourneyEntry };

@Injectable()
export class ProvenanceRepository {
  constructor(
    @InjectModel(Provenance.name) private readonly model: Model<Provenance>,
    @InjectModel(JourneyStepDoc.name) private readonly steps: Model<JourneyStepDoc>,
    @InjectModel(ShipmentCity.name) private readonly cities: Model<ShipmentCity>,
  ) {}

  /** Records a shipment's destination city; a redelivery finds it there. */
  /** Shipments' destination cities, once each: a redelivered one finds its id taken. */
  async addShipmentCities(cities: readonly ShipmentCity[]): Promise<void> {
    if (cities.length === 0) return;
    try {
      await this.cities.insertMany(cities, { ordered: false });
    } catch (err) {
      if (!isDuplicateKey(err)) throw err;
    }
  }

  /** The destination cities of these shipments, by id (unknown ones are absent). */
  async shipmentCities(shipmentIds: string[]): Promise<Map<string, string>> {
    if (shipmentIds.length === 0) return new Map();
    const rows = await this.cities.find({ _id: { $in: shipmentIds } }).lean<ShipmentCity[]>().exec();
    return new Map(rows.map((r) => [r._id, r.city]));
  }

  /** Claims a trace code; false when the code is already taken (the caller draws another). */
  async reserve(doc: Provenance): Promise<boolean> {
    return createOnce(this.model, doc);
  }

  /** Gives back codes of a grading that did not happen; confirmed ones are never removed. */
  async release(traceCodes: string[]): Promise<void> {
    await this.model.deleteMany({ _id: { $in: traceCodes }, gradedAt: { $exists: false } });
  }

  /** Idempotent by nature: setting the same gradedAt twice changes nothing. */
  /** Marks each lot's trace codes graded at its time: one statement per lot, one bulk write. */
  async confirm(lots: ReadonlyArray<{ traceCodes: string[]; gradedAt: Date }>): Promise<void> {
    const ops = lots.filter((l) => l.traceCodes.length > 0).map(({ traceCodes, gradedAt }) => ({ updateMany: { filter: { _id: { $in: traceCodes } }, update: { $set: { gradedAt } } } }));
    if (ops.length > 0) await this.model.bulkWrite(ops as never, { ordered: false });
  }

  /** Inserts steps; ones already there (same trace code and key) are skipped. */
  async addSteps(updates: StepUpdate[]): Promise<void> {
    const bySubLot = updates.filter((u): u is Extract<StepUpdate, { subLotId: string }> => 'subLotId' in u);
    const codes = new Map<string, string>();
    if (bySubLot.length > 0) {
      const rows = await this.model.find({ subLotId: { $in: bySubLot.map((u) => u.subLotId) } }, { subLotId: 1 }).lean<{ _id: string; subLotId: string }[]>().exec();
      for (const r of rows) codes.set(r.subLotId, r._id);
    }
    const docs = new Map<string, JourneyStepDoc>();
    for (const u of updates) {
      // Sub-lots that were not graded here are not ours to tell about.
      const traceCode = 'traceCode' in u ? u.traceCode : codes.get(u.subLotId);
      if (traceCode) docs.set(`${traceCode}/${u.key}`, { _id: `${traceCode}/${u.key}`, traceCode, ...u.entry });
    }
    if (docs.size === 0) return;
    try {
      await this.steps.insertMany([...docs.values()], { ordered: false });
    } catch (err) {
      // Steps recorded before (a redelivery) are left as they are; any other failure is not.
      if (!isDuplicateKey(err)) throw err;
    }
  }

  findByTraceCode(traceCode: string): Promise<Provenance | null> {
    return this.model.findById(traceCode).lean<Provenance>().exec();
  }

  findBySubLotId(subLotId: string): Promise<Provenance | null> {
    return this.model.findOne({ subLotId }).lean<Provenance>().exec();
  }

  journey(traceCode: string): Promise<JourneyStepDoc[]> {
    return this.steps.find({ traceCode }).sort({ at: 1 }).lean<JourneyStepDoc[]>().exec();
  }
}
