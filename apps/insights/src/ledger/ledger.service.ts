import { Injectable } from '@nestjs/common';
import {
  gramsOf,
  type LotGradedV1,
  type LotLoggedV1,
  type LotVoidedV1,
  type OrderCancelledV1,
  type OrderRoutedV1,
  type ShipmentStatusChangedV1,
  type StockDispatchedV1,
} from '@firstmile/contracts';
import type { LedgerAllocation, LedgerLot, LedgerShipment, LedgerSubLot } from './ledger.schema';
import { LedgerRepository, type Window } from './ledger.repository';

/** One delivered allocation, attributed through its sub-lot to its lot (and so to a grower and a county). */
export interface Sale {
  allocation: LedgerAllocation;
  subLot: LedgerSubLot;
  lot: LedgerLot;
  shipment: LedgerShipment;
  /** Set when the shipment was delivered; absent for a shipment still on its way. */
  deliveredAt?: Date;
}

/**
 * Writes the ledger from the events (every write idempotent, see ledger.schema.ts) and reads sales
 * back attributed sub-lot → lot → grower. A sale counts once its shipment is delivered and its
 * order was not cancelled; an allocation whose sub-lot or lot has not been read yet (another topic,
 * still catching up) is left out until it has.
 */
@Injectable()
export class LedgerService {
  constructor(private readonly repo: LedgerRepository) {}

  // ---- from the events ----

  /** One insert for the batch (an upsert for a lot already there); a lot logged twice in the batch is written once. */
  onLotsLogged(events: readonly LotLoggedV1[]): Promise<void> {
    return this.repo.insertLots([...new Map(events.map((e) => [e.lotId, this.loggedLot(e)])).values()]);
  }

  private loggedLot(e: LotLoggedV1): LedgerLot {
    return {
      _id: e.lotId,
      cooperativeId: e.cooperative.id,
      cooperativeName: e.cooperative.name,
      county: e.cooperative.county,
      province: e.cooperative.province,
      growerId: e.growerId,
      ...(e.growerName ? { growerName: e.growerName } : {}),
      produce: e.produce,
      harvestedAt: new Date(e.harvestedAt),
      grams: gramsOf(e.quantityKg),
    };
  }

  onLotVoided(e: LotVoidedV1): Promise<void> {
    return this.repo.setLot(e.lotId, { cooperativeId: e.cooperativeId, voidedAt: new Date(e.voidedAt) });
  }

  async onLotGraded(e: LotGradedV1): Promise<void> {
    // The sub-lots first: whoever sees the lot graded finds its sub-lots.
    await this.repo.putSubLots(
      e.subLots.map((s) => ({ _id: s.subLotId, lotId: e.lotId, produce: e.produce, grade: s.grade, brand: s.brand ?? null, grams: gramsOf(s.quantityKg) })),
    );
    await this.repo.setLot(e.lotId, { cooperativeId: e.cooperativeId, produce: e.produce, gradedAt: new Date(e.gradedAt), cullGrams: gramsOf(e.cullKg) });
  }

  /** One upsert per allocation, all in one bulk write; an allocation named twice is written as last routed. */
  onOrdersRouted(events: readonly OrderRoutedV1[]): Promise<void> {
    const latest = new Map(events.flatMap((e) => this.allocationsOf(e)).map((a) => [a._id, a]));
    return this.repo.putAllocations([...latest.values()]);
  }

  private allocationsOf(e: OrderRoutedV1): LedgerAllocation[] {
    return e.allocations.map((a) => ({
      _id: a.reservationId,
      orderId: e.orderId,
      shipmentId: a.shipmentId,
      subLotId: a.subLotId,
      grams: gramsOf(a.quantityKg),
      unitPriceFen: a.unitPriceFen ?? null,
      amountFen: a.amountFen ?? null,
      channel: e.channel ?? null,
      city: e.destination.city,
      ...(e.deliverBy ? { deliverBy: new Date(e.deliverBy) } : {}),
      routedAt: new Date(e.routedAt),
    }));
  }

  onOrderCancelled(e: OrderCancelledV1): Promise<void> {
    return this.repo.cancel(e.orderId, new Date(e.at));
  }

  onStockDispatched(e: StockDispatchedV1): Promise<void> {
    return this.repo.shipmentAt(e.shipmentId, 'dispatchedAt', new Date(e.dispatchedAt), e.orderId);
  }

  async onShipmentStatusChanged(e: ShipmentStatusChangedV1): Promise<void> {
    if (e.status !== 'delivered') return;
    await this.repo.shipmentAt(e.shipmentId, 'deliveredAt', new Date(e.at), e.orderId);
  }

  // ---- reads ----

  /** Every allocation delivered in the window, attributed. */
  async deliveredIn(w: Window): Promise<Sale[]> {
    const shipments = await this.repo.shipmentsDelivered(w);
    const allocations = await this.repo.allocationsOfShipments(shipments.map((s) => s._id));
    return (await this.attribute(allocations, shipments)).filter((s) => s.deliveredAt);
  }

  /** Every allocation of these sub-lots that was delivered, whenever. */
  async deliveredOfSubLots(subLotIds: readonly string[]): Promise<Sale[]> {
    const allocations = await this.repo.allocationsOfSubLots(subLotIds);
    const shipments = await this.repo.shipmentsById(allocations.map((a) => a.shipmentId));
    return (await this.attribute(allocations, shipments)).filter((s) => s.deliveredAt);
  }

  /** Every allocation routed in the window (of orders not cancelled), delivered or not yet. */
  async routedIn(w: Window): Promise<Sale[]> {
    const allocations = await this.repo.allocationsRouted(w);
    const shipments = await this.repo.shipmentsById(allocations.map((a) => a.shipmentId));
    return this.attribute(allocations, shipments);
  }

  private async attribute(allocations: LedgerAllocation[], shipments: LedgerShipment[]): Promise<Sale[]> {
    if (allocations.length === 0) return [];
    const cancelled = await this.repo.cancelled(allocations.map((a) => a.orderId));
    const live = allocations.filter((a) => !cancelled.has(a.orderId));
    const subLots = new Map((await this.repo.subLotsById(live.map((a) => a.subLotId))).map((s) => [s._id, s]));
    const lots = new Map((await this.repo.lotsById([...subLots.values()].map((s) => s.lotId))).map((l) => [l._id, l]));
    const byId = new Map(shipments.map((s) => [s._id, s]));
    const sales: Sale[] = [];
    for (const allocation of live) {
      const subLot = subLots.get(allocation.subLotId);
      const lot = subLot && lots.get(subLot.lotId);
      if (!subLot || !lot?.cooperativeId) continue;
      const shipment = byId.get(allocation.shipmentId) ?? { _id: allocation.shipmentId };
      sales.push({ allocation, subLot, lot, shipment, ...(shipment.deliveredAt ? { deliveredAt: new Date(shipment.deliveredAt) } : {}) });
    }
    return sales;
  }
}
