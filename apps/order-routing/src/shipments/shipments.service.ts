import { Injectable } from '@nestjs/common';
import {
  type OrderRoutedV1,
  type Principal,
  ShipmentCreatedV1,
  type ShipmentStatus,
  ShipmentStatusChangedV1,
  type StockDispatchedV1,
} from '@firstmile/contracts';
import { Access, newestFirst, type Page, ProblemException } from '@firstmile/http';
import { type Command, newEvent, type OutboundEvent, withinTrace } from '@firstmile/messaging';
import { REFERENCE_WAREHOUSES } from '@firstmile/reference';
import { canMove, etaAfterCheckpoint, type GeoPoint, nextStates, transitHours, wasDispatched } from '@firstmile/routing';
import type { FilterQuery } from 'mongoose';
import { RoutingSettings, SOURCE } from '../routing.settings';
import { StockViewService } from '../stock-view/stock-view.service';
import type { ListShipmentsQuery } from './dto/list-shipments.query';
import type { TrackShipmentDto } from './dto/track-shipment.dto';
import type { Shipment, TrackingEventDoc } from './shipment.schema';
import { type ShipmentRecord, ShipmentsRepository } from './shipments.repository';

const NEWEST = newestFirst<ShipmentRecord>('createdAt');

const HOUR_MS = 3_600_000;
const MAX_CONFLICTS = 10;
/** Clocks of handheld scanners drift; a checkpoint further ahead than this is a typo. */
const FUTURE_TOLERANCE_MS = 10 * 60_000;

export interface ShipmentView {
  id: string;
  orderId: string;
  warehouseId: string;
  destination: ShipmentRecord['destination'];
  status: ShipmentStatus;
  eta: string;
  items: ShipmentRecord['items'];
  events: Array<{ status: ShipmentStatus; at: string; location?: { name?: string; lat?: number; lon?: number }; note?: string }>;
  createdAt: string;
}

@Injectable()
export class ShipmentsService {
  constructor(
    private readonly shipments: ShipmentsRepository,
    private readonly stock: StockViewService,
    private readonly settings: RoutingSettings,
  ) {}

  /**
   * orders: the order's own order.routed → one shipment per warehouse, each created exactly once. A
   * batch of routed orders: every shipment they need, in one insert; one made before (a redelivery)
   * stays as it is.
   */
  async createAll(batch: ReadonlyArray<Command<OrderRoutedV1>>): Promise<void> {
    const created: Array<{ shipment: ShipmentRecord; events: OutboundEvent[] }> = [];
    for (const routed of batch) {
      const e = routed.command;
      const routedAt = new Date(e.routedAt);
      const byShipment = new Map<string, OrderRoutedV1['allocations']>();
      for (const a of e.allocations) byShipment.set(a.shipmentId, [...(byShipment.get(a.shipmentId) ?? []), a]);
      for (const [shipmentId, allocations] of byShipment) {
        const warehouseId = allocations[0].warehouseId;
        const from = allocations[0].warehouseLocation ?? (await this.locate(warehouseId));
        const hours = from ? transitHours(from, e.destination.location, this.settings.policy) : this.settings.policy.handlingHours;
        const eta = new Date(routedAt.getTime() + hours * HOUR_MS);
        const items = allocations.map((a) => ({ subLotId: a.subLotId, reservationId: a.reservationId, quantityKg: a.quantityKg }));
        // Field by field: the shipment is stored as built (a lean insert), not as an event's extra fields.
        const destination = {
          city: e.destination.city,
          location: { lat: e.destination.location.lat, lon: e.destination.location.lon },
          ...(e.destination.address !== undefined ? { address: e.destination.address } : {}),
        };
        const shipment: ShipmentRecord = {
          _id: shipmentId,
          orderId: e.orderId,
          buyerId: e.buyerId,
          warehouseId,
          destination,
          items,
          status: 'created',
          eta,
          events: [{ status: 'created', at: routedAt }],
          rev: 0,
          createdAt: routedAt,
        };
        const event: ShipmentCreatedV1 = {
          shipmentId,
          orderId: e.orderId,
          buyerId: e.buyerId,
          warehouseId,
          destination,
          items,
          eta: eta.toISOString(),
          createdAt: routedAt.toISOString(),
        };
        created.push({ shipment, events: withinTrace(routed, () => [newEvent(ShipmentCreatedV1.type, event, { source: SOURCE, time: routedAt })]) });
      }
    }
    await this.shipments.createAll(created);
  }

  /** warehouse.stock: the warehouse let the shipment's stock leave. */
  async dispatched(e: StockDispatchedV1): Promise<void> {
    for (const item of e.items) await this.stock.apply(item);
    const at = new Date(e.dispatchedAt);
    await this.advance(e.shipmentId, (s) => {
      // Already dispatched (a redelivery): nothing to do. The timeline says so, not the status: a
      // carrier's `exception` or `info_received` may come before the dispatch.
      if (wasDispatched(s.events)) return null;
      return { entry: { status: 'dispatched', at }, eta: s.eta };
    }, true);
  }

  /** A logistics operator's checkpoint. */
  async track(id: string, dto: TrackShipmentDto, now = new Date()): Promise<ShipmentView> {
    const at = new Date(dto.at);
    if (at.getTime() > now.getTime() + FUTURE_TOLERANCE_MS) {
      throw ProblemException.validation([{ field: 'at', message: 'must not be in the future' }]);
    }
    const loc = dto.location;
    if (loc && (loc.lat === undefined) !== (loc.lon === undefined)) {
      throw ProblemException.validation([{ field: 'location', message: 'lat and lon come together' }]);
    }
    const point: GeoPoint | undefined = loc?.lat !== undefined && loc.lon !== undefined ? { lat: loc.lat, lon: loc.lon } : undefined;
    await this.advance(id, (s) => {
      // Moving and delivered states need the warehouse's dispatch first, whatever path leads there.
      const dispatched = wasDispatched(s.events);
      if (!canMove(s.status, dto.status, dispatched)) {
        const allowed = nextStates(s.status, dispatched).filter((n) => n !== 'dispatched');
        throw ProblemException.conflict(
          `shipment ${id} is ${s.status}; it cannot become ${dto.status}` + (allowed.length ? ` (next: ${allowed.join(', ')})` : dispatched ? ' (final)' : ' (not dispatched yet)'),
          'invalid-shipment-transition',
        );
      }
      const entry: TrackingEventDoc = {
        status: dto.status,
        at,
        ...(loc ? { location: { ...(loc.name !== undefined ? { name: loc.name } : {}), ...(point ?? {}) } } : {}),
        ...(dto.note !== undefined ? { note: dto.note } : {}),
      };
      const eta = etaAfterCheckpoint(dto.status, at, point, s.destination.location, new Date(s.eta), this.settings.policy.roadSpeedKmh);
      return { entry, eta };
    });
    const shipment = await this.shipments.findById(id);
    return view(Access.orNotFound(shipment, () => true, 'shipment', id));
  }

  async get(caller: Principal, id: string): Promise<ShipmentView> {
    const shipment = await this.shipments.findById(id);
    // Logistics operators and ops see every shipment; a buyer only the shipments of its own orders.
    return view(Access.orNotFound(shipment, (s) => caller.role === 'logistics_operator' || Access.buyer(caller, s.buyerId), 'shipment', id));
  }

  async list(q: ListShipmentsQuery): Promise<Page<ShipmentView>> {
    const filter: FilterQuery<Shipment> = {};
    if (q.status) filter.status = q.status;
    if (q.warehouseId) filter.warehouseId = q.warehouseId;
    if (q.orderId) filter.orderId = q.orderId;
    const rows = await this.shipments.find({ ...filter, ...NEWEST.after(q.cursor) }, NEWEST.sort, q.limit + 1);
    const page = NEWEST.page(rows, q.limit);
    return { items: page.items.map(view), nextCursor: page.nextCursor };
  }

  /**
   * Appends one timeline entry and publishes shipment.status-changed, in one write conditional on
   * the revision read. `decide` returns null when there is nothing to do, or throws to refuse.
   */
  private async advance(
    id: string,
    decide: (s: ShipmentRecord) => { entry: TrackingEventDoc; eta: Date } | null,
    retryWhenMissing = false,
  ): Promise<void> {
    for (let i = 0; i < MAX_CONFLICTS; i++) {
      const s = await this.shipments.findById(id);
      if (!s) {
        // A dispatch can overtake the order.routed that creates the shipment: fail, so it is retried.
        if (retryWhenMissing) throw new Error(`shipment ${id} is not known yet`);
        throw ProblemException.notFound('shipment', id);
      }
      const next = decide(s);
      if (!next) return;
      const changed: ShipmentStatusChangedV1 = {
        shipmentId: id,
        orderId: s.orderId,
        warehouseId: s.warehouseId,
        status: next.entry.status,
        subLotIds: [...new Set(s.items.map((item) => item.subLotId))],
        at: next.entry.at.toISOString(),
        ...(next.entry.location
          ? {
              location: {
                ...(next.entry.location.name !== undefined ? { name: next.entry.location.name } : {}),
                ...(next.entry.location.lat !== undefined && next.entry.location.lon !== undefined
                  ? { location: { lat: next.entry.location.lat, lon: next.entry.location.lon } }
                  : {}),
              },
            }
          : {}),
        ...(next.entry.note !== undefined ? { note: next.entry.note } : {}),
        eta: next.eta.toISOString(),
      };
      const event = newEvent(ShipmentStatusChangedV1.type, changed, { source: SOURCE, time: next.entry.at });
      if (await this.shipments.advance(id, s.rev, next.entry, next.eta, [event])) return;
    }
    throw ProblemException.conflict(`shipment ${id} is being updated concurrently; retry`, 'concurrent-update');
  }

  private async locate(warehouseId: string): Promise<GeoPoint | undefined> {
    return (await this.stock.warehouseLocation(warehouseId)) ?? REFERENCE_WAREHOUSES.find((w) => w.id === warehouseId)?.location;
  }
}

function view(s: ShipmentRecord): ShipmentView {
  return {
    id: s._id,
    orderId: s.orderId,
    warehouseId: s.warehouseId,
    destination: s.destination,
    status: s.status,
    eta: new Date(s.eta).toISOString(),
    items: s.items,
    events: s.events.map((e) => ({
      status: e.status,
      at: new Date(e.at).toISOString(),
      ...(e.location ? { location: e.location } : {}),
      ...(e.note !== undefined ? { note: e.note } : {}),
    })),
    createdAt: new Date(s.createdAt).toISOString(),
  };
}
