import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import type { FilterQuery, Model } from 'mongoose';
import type { OutboundEvent } from '@firstmile/messaging';
import { initialOutbox, isDuplicateKey, withEvents } from '@firstmile/persistence';
import { Shipment, type TrackingEventDoc } from './shipment.schema';

export type ShipmentRecord = Omit<Shipment, 'outbox' | 'outboxSize'>;

const HIDDEN = { outbox: 0, outboxSize: 0 } as const;

@Injectable()
export class ShipmentsRepository {
  constructor(@InjectModel(Shipment.name) private readonly model: Model<Shipment>) {}

  /**
   * Creates each shipment with its shipment.created event once, in one insert; one whose id exists
   * (a redelivery, or another replica got there first) is left as it is. Lean: each shipment is
   * stored as given, so it must be as its schema stores it (the service's test checks it against
   * `storedForm`).
   */
  async createAll(shipments: ReadonlyArray<{ shipment: ShipmentRecord; events: OutboundEvent[] }>): Promise<void> {
    if (shipments.length === 0) return;
    try {
      await this.model.insertMany(
        shipments.map((s) => ({ ...s.shipment, ...initialOutbox(s.events) })),
        { ordered: false, lean: true },
      );
    } catch (err) {
      // The others were written, and the outbox plugin handed their events to the relay.
      if (!isDuplicateKey(err)) throw err;
    }
  }

  findById(id: string): Promise<ShipmentRecord | null> {
    return this.model.findById(id, HIDDEN).lean<ShipmentRecord>().exec();
  }

  find(filter: FilterQuery<Shipment>, sort: Record<string, 1 | -1>, limit: number): Promise<ShipmentRecord[]> {
    return this.model.find(filter, HIDDEN).sort(sort).limit(limit).lean<ShipmentRecord[]>().exec();
  }

  /** Appends a timeline entry if nobody changed the shipment since `rev` was read. */
  async advance(id: string, rev: number, entry: TrackingEventDoc, eta: Date, events: OutboundEvent[]): Promise<boolean> {
    const r = await this.model.updateOne(
      { _id: id, rev },
      withEvents<Shipment>({ $set: { status: entry.status, eta }, $push: { events: entry }, $inc: { rev: 1 } }, events),
    );
    return r.modifiedCount === 1;
  }
}
