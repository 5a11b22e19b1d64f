import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type {
  GeoPoint,
  LotGradedV1,
  ShipmentCreatedV1,
  ShipmentStatusChangedV1,
  StockDispatchedV1,
  StockItem,
  StockReceivedV1,
  TransferDispatchedV1,
  TransferReceivedV1,
} from '@firstmile/contracts';
import { ProblemException } from '@firstmile/http';
import { REFERENCE_WAREHOUSES } from '@firstmile/reference';
import type { GradingEnv } from '../grading.env';
import { gtinOfSubLot } from './gtin';
import type { JourneyStep, PlaceView, Provenance } from './provenance.schema';
import { ProvenanceRepository, type StepUpdate } from './provenance.repository';

export interface ProvenanceView {
  traceCode: string;
  /** GTIN-14 of the trade item (produce × grade × brand): with the trace code, its GS1 Digital Link. */
  gtin: string;
  produce: string;
  variety: string;
  grade: string;
  brand: string | null;
  standard: string;
  bestBefore: string;
  cooperative: { name: string; county: string; province: string };
  orchard: { name: string; location: { lat: number; lon: number } };
  harvestedAt: string;
  gradedAt: string;
  journey: { step: JourneyStep; at: string; place: PlaceView; to?: PlaceView }[];
}

const TRACE_CODE = /^[0-9A-HJKMNP-TV-Z]{12}$/;
/** Shipment statuses that are a step of the consumer's story; the rest is logistics detail. */
const SHIPMENT_STEPS: Partial<Record<ShipmentStatusChangedV1['status'], JourneyStep>> = {
  dispatched: 'dispatched',
  in_transit: 'in_transit',
  delivered: 'delivered',
};

const warehouseNames = new Map(REFERENCE_WAREHOUSES.map((w) => [w.id, w.name]));

function warehousePlace(warehouseId: string, location?: GeoPoint): PlaceView {
  const reference = REFERENCE_WAREHOUSES.find((w) => w.id === warehouseId);
  const loc = location ?? reference?.location;
  return {
    warehouseId,
    ...(warehouseNames.has(warehouseId) ? { name: warehouseNames.get(warehouseId) } : {}),
    ...(loc ? { location: { lat: loc.lat, lon: loc.lon } } : {}),
  };
}

/** Steps whose place is the shipment's destination city and nothing more (see ShipmentCity). */
const CITY_ONLY: ReadonlySet<JourneyStep> = new Set(['in_transit', 'delivered']);

/** `<traceCode>/in_transit:<shipmentId>:<at>` or `<traceCode>/delivered:<shipmentId>` → the shipment id. */
const shipmentOfStep = (stepId: string) => stepId.slice(stepId.indexOf('/') + 1).split(':')[1];

@Injectable()
export class ProvenanceService {
  private readonly companyPrefix: string;

  constructor(
    private readonly repo: ProvenanceRepository,
    config: ConfigService<GradingEnv, true>,
  ) {
    this.companyPrefix = config.get('GS1_COMPANY_PREFIX', { infer: true });
  }

  gtinOf(doc: Pick<Provenance, 'produce' | 'standard' | 'grade' | 'brand'>): string {
    return gtinOfSubLot(doc, this.companyPrefix);
  }

  /** The confirmed provenance record of a sub-lot (what its label shows), or null. */
  async findGradedSubLot(subLotId: string): Promise<Provenance | null> {
    const doc = await this.repo.findBySubLotId(subLotId);
    return doc?.gradedAt ? doc : null;
  }

  reserve(doc: Provenance): Promise<boolean> {
    return this.repo.reserve(doc);
  }

  release(traceCodes: string[]): Promise<void> {
    return this.repo.release(traceCodes);
  }

  /** Public: the story of a sub-lot. Unknown codes and codes of gradings not yet confirmed are the same 404. */
  async get(traceCode: string): Promise<ProvenanceView> {
    const doc = TRACE_CODE.test(traceCode) ? await this.repo.findByTraceCode(traceCode) : null;
    if (!doc?.gradedAt) throw ProblemException.notFound('trace code', traceCode);
    const steps = await this.repo.journey(traceCode);
    // Whatever an older step stored of a checkpoint (its name, its coordinates), the public sees the city.
    const cityOnly = steps.filter((st) => CITY_ONLY.has(st.step));
    const cities = await this.repo.shipmentCities([...new Set(cityOnly.map((st) => shipmentOfStep(st._id)))]);
    const placeOf = (st: (typeof steps)[number]): PlaceView => {
      if (!CITY_ONLY.has(st.step)) return st.place;
      const city = cities.get(shipmentOfStep(st._id));
      return city ? { city } : {};
    };
    const origin = warehousePlace(doc.originWarehouseId);
    const journey = [
      { step: 'harvested' as const, at: doc.harvestedAt, place: { name: doc.orchard.name, location: doc.orchard.location } },
      { step: 'graded' as const, at: doc.gradedAt, place: origin },
      // Events from different streams arrive in any order; the story is told in the order things happened.
      ...steps.map((st) => ({ ...st, place: placeOf(st) })),
    ];
    return {
      traceCode: doc._id,
      gtin: this.gtinOf(doc),
      produce: doc.produce,
      variety: doc.variety,
      grade: doc.grade,
      brand: doc.brand,
      standard: doc.standard,
      bestBefore: new Date(doc.bestBefore).toISOString(),
      cooperative: { name: doc.cooperative.name, county: doc.cooperative.county, province: doc.cooperative.province },
      orchard: { name: doc.orchard.name, location: { lat: doc.orchard.location.lat, lon: doc.orchard.location.lon } },
      harvestedAt: new Date(doc.harvestedAt).toISOString(),
      gradedAt: new Date(doc.gradedAt).toISOString(),
      journey: journey.map((j) => ({ step: j.step, at: new Date(j.at).toISOString(), place: j.place, ...('to' in j && j.to ? { to: j.to } : {}) })),
    };
  }

  /** A batch of graded lots: their trace codes confirmed in one write. */
  onGraded(batch: readonly LotGradedV1[]): Promise<void> {
    return this.repo.confirm(batch.map((e) => ({ traceCodes: e.subLots.map((s) => s.traceCode), gradedAt: new Date(e.gradedAt) })));
  }

  /** A batch of arrivals: their steps in one insert. */
  onStockReceived(batch: readonly StockReceivedV1[]): Promise<void> {
    return this.repo.addSteps(
      batch.map((e) => {
        const key = e.via === 'transfer' && e.transferId ? `received:${e.transferId}` : `received:${e.warehouseId}:grading`;
        return this.step(e, key, 'received', e.receivedAt, warehousePlace(e.warehouseId, e.warehouseLocation));
      }),
    );
  }

  onTransferDispatched(e: TransferDispatchedV1): Promise<void> {
    const step = this.step(e, `transferred:${e.transferId}`, 'transferred', e.dispatchedAt, warehousePlace(e.warehouseId, e.warehouseLocation));
    return this.repo.addSteps([{ ...step, entry: { ...step.entry, to: warehousePlace(e.toWarehouseId) } }]);
  }

  onTransferReceived(e: TransferReceivedV1): Promise<void> {
    return this.repo.addSteps([this.step(e, `received:${e.transferId}`, 'received', e.receivedAt, warehousePlace(e.warehouseId, e.warehouseLocation))]);
  }

  /** A batch of dispatches: their steps in one insert. */
  onStockDispatched(batch: readonly StockDispatchedV1[]): Promise<void> {
    return this.repo.addSteps(
      batch.flatMap((e) =>
        e.items.map((item) => this.step(item, `dispatched:${e.shipmentId}`, 'dispatched', e.dispatchedAt, warehousePlace(item.warehouseId, item.warehouseLocation))),
      ),
    );
  }

  /** A batch of new shipments: their destination cities in one insert. */
  onShipmentCreated(batch: readonly ShipmentCreatedV1[]): Promise<void> {
    return this.repo.addShipmentCities(batch.map((e) => ({ _id: e.shipmentId, city: e.destination.city })));
  }

  /** A batch of tracking changes: one read of the sub-lots' trace codes and one insert of the steps. */
  onShipmentStatus(batch: readonly ShipmentStatusChangedV1[]): Promise<void> {
    return this.repo.addSteps(
      batch.flatMap((e) => {
        const step = SHIPMENT_STEPS[e.status];
        if (!step) return [];
        // Tracking may report in_transit at several places; each report is its own step.
        const key = step === 'in_transit' ? `in_transit:${e.shipmentId}:${e.at}` : `${step}:${e.shipmentId}`;
        // A checkpoint's name and coordinates are not kept: a delivery's is usually the buyer's door.
        // The public journey shows the destination's city instead (see get()).
        const place = step === 'dispatched' ? warehousePlace(e.warehouseId) : {};
        return e.subLotIds.map((subLotId) => ({ subLotId, key, entry: { step, at: new Date(e.at), place } }));
      }),
    );
  }

  private step(item: Pick<StockItem, 'traceCode'>, key: string, step: JourneyStep, at: string, place: PlaceView): StepUpdate & { traceCode: string } {
    return { traceCode: item.traceCode, key, entry: { step, at: new Date(at), place } };
  }
}
