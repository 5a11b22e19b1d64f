import type {
  LotGradedV1,
  LotLoggedV1,
  LotVoidedV1,
  Place,
  ShipmentStatusChangedV1,
  StockDispatchedV1,
  StockItem,
  StockReceivedV1,
  TransferDispatchedV1,
  TransferReceivedV1,
} from '@firstmile/contracts';
import { eventIdFor } from './event-id';
import type { Identifiers } from './identifiers';

/** What an EPCIS event is made of here: plain JSON, keys as the EPCIS 2.0 JSON-LD binding names them. */
export type EpcisEvent = Record<string, unknown> & {
  type: EpcisEventType;
  eventID: string;
  eventTime: string;
};
export const EPCIS_EVENT_TYPES = [
  'ObjectEvent',
  'AggregationEvent',
  'TransactionEvent',
  'TransformationEvent',
  'AssociationEvent',
] as const;
export type EpcisEventType = (typeof EPCIS_EVENT_TYPES)[number];
/** An event before its id, time zone and record time are added. */
type EventBody = Record<string, unknown> & { type: EpcisEventType; eventTime: string };

/** An EPCIS event as stored, with the fields its queries filter on beside it. */
export interface EpcisRecord {
  /** The eventID. */
  _id: string;
  type: EpcisEventType;
  eventTime: Date;
  bizStep: string;
  /** The event's "what" (epcList and quantityList classes): MATCH_epc, MATCH_epcClass. */
  epcs: string[];
  /** Every identifier it names, inputs and outputs too: MATCH_anyEPC, MATCH_anyEPCClass. */
  anyEpcs: string[];
  /**
   * Whose goods these are: a coop_manager sees its own cooperative's events only. Null while the
   * lot's own event is unread (stock events do not name the cooperative); set when it is read.
   */
  cooperativeId: string | null;
  /** The harvest lots the goods come from: what sets cooperativeId later. */
  lotIds: string[];
  event: EpcisEvent;
}

/** Where the source event came from: its CloudEvents id (the name of the EPCIS eventID) and time. */
export interface SourceMeta {
  eventId: string;
  time: string;
}

/** A sub-lot as grading described it. */
export interface SubLotFacts {
  subLotId: string;
  lotId: string;
  cooperativeId: string;
  produce: string;
  grade: string;
  brand: string | null;
  traceCode: string;
}

/** The namespace of Firstmile's own EPCIS extension terms (ILMD), declared in every document's @context. */
export const FM_NAMESPACE = 'urn:firstmile:epcis:';

/** ISO 3166-1 alpha-2 of where the produce grows (every county in reference/places.json is in China). */
const COUNTRY_OF_ORIGIN = 'CN';

const kg = (epcClass: string, quantity: number) => ({ epcClass, quantity, uom: 'KGM' });
const geo = (p: { lat: number; lon: number }) => `geo:${p.lat},${p.lon}`;
const classes = (list: { epcClass: string }[]) => list.map((q) => q.epcClass);
const bizTransaction = (kind: 'order' | 'shipment' | 'transfer', id: string, type?: string) => ({
  ...(type ? { type } : {}),
  bizTransaction: `urn:firstmile:${kind}:${encodeURIComponent(id)}`,
});

/**
 * Firstmile's critical events as EPCIS 2.0 events (CBV 2.0 terms; docs/events.md has the table).
 * Pure: the same source event and facts always give the same events, which is what makes a replay
 * store the same documents.
 */
export class EpcisMapper {
  constructor(
    private readonly ids: Identifiers,
    /** EPCIS_TIMEZONE_OFFSET */
    private readonly timeZoneOffset: string,
  ) {}

  /** Harvest: the lot comes into being at the orchard. ObjectEvent ADD, commissioning, with its ILMD. */
  lotLogged(e: LotLoggedV1, meta: SourceMeta): EpcisRecord {
    const orchard = this.ids.place(e.orchard.id);
    const what = [kg(this.ids.lot(e.produce, e.lotId), e.quantityKg)];
    return this.record(
      { cooperativeId: e.cooperative.id, lotIds: [e.lotId] },
      meta,
      {
        type: 'ObjectEvent',
        eventTime: e.harvestedAt,
        action: 'ADD',
        quantityList: what,
        bizStep: 'commissioning',
        disposition: 'active',
        readPoint: { id: orchard },
        bizLocation: { id: orchard },
        ilmd: {
          'cbvmda:harvestStartDate': e.harvestedAt,
          'cbvmda:harvestEndDate': e.harvestedAt,
          'cbvmda:countryOfOrigin': COUNTRY_OF_ORIGIN,
          'fm:produce': e.produce,
          'fm:variety': e.variety,
          'fm:orchard': e.orchard.name,
          'fm:orchardLocation': geo(e.orchard.location),
          'fm:cooperative': e.cooperative.name,
          'fm:cooperativeId': e.cooperative.id,
          'fm:county': e.cooperative.county,
          'fm:province': e.cooperative.province,
        },
      },
      { epcs: classes(what) },
    );
  }

  /** A lot logged in error: it leaves the books. ObjectEvent DELETE, decommissioning. */
  lotVoided(e: LotVoidedV1, produce: string, meta: SourceMeta): EpcisRecord {
    const what = [{ epcClass: this.ids.lot(produce, e.lotId) }];
    return this.record(
      { cooperativeId: e.cooperativeId, lotIds: [e.lotId] },
      meta,
      {
        type: 'ObjectEvent',
        eventTime: e.voidedAt,
        action: 'DELETE',
        quantityList: what,
        bizStep: 'decommissioning',
        disposition: 'inactive',
      },
      { epcs: classes(what) },
    );
  }

  /** Grading: the lot in; its graded sub-lots and the cull out, in kilograms (Σ out = in). */
  lotGraded(e: LotGradedV1, meta: SourceMeta): EpcisRecord {
    const warehouse = this.ids.place(e.originWarehouseId);
    const input = [kg(this.ids.lot(e.produce, e.lotId), e.lotQuantityKg)];
    const output = [
      ...e.subLots.map((s) =>
        kg(
          this.ids.subLot({
            produce: e.produce,
            grade: s.grade,
            brand: s.brand ?? null,
            traceCode: s.traceCode,
          }),
          s.quantityKg,
        ),
      ),
      ...(e.cullKg > 0 ? [kg(this.ids.cull(e.produce, e.lotId), e.cullKg)] : []),
    ];
    const bestBefore = new Set(e.subLots.map((s) => s.bestBefore.slice(0, 10)));
    return this.record(
      { cooperativeId: e.cooperativeId, lotIds: [e.lotId] },
      meta,
      {
        type: 'TransformationEvent',
        eventTime: e.gradedAt,
        inputQuantityList: input,
        outputQuantityList: output,
        bizStep: 'commissioning',
        disposition: 'active',
        readPoint: { id: warehouse },
        bizLocation: { id: warehouse },
        ilmd: {
          // The sub-lots of one grading share their shelf life; ILMD is one for all outputs.
          ...(bestBefore.size === 1 ? { 'cbvmda:bestBeforeDate': [...bestBefore][0] } : {}),
          'fm:standard': e.standard,
          'fm:variety': e.variety,
        },
      },
      { epcs: [], anyEpcs: [...classes(input), ...classes(output)] },
    );
  }

  /**
   * Graded stock arrives at the origin warehouse. A receipt "via transfer" is the same fact as
   * transfer.received (both are published), which has the source and destination: none here.
   */
  stockReceived(e: StockReceivedV1, cooperativeId: string | null, meta: SourceMeta): EpcisRecord[] {
    if (e.via === 'transfer') return [];
    return [
      this.observed(
        e,
        e.quantityKg,
        cooperativeId,
        meta,
        e.receivedAt,
        'receiving',
        'sellable_not_accessible',
        { at: e.warehouseId },
      ),
    ];
  }

  /** Stock leaves for another warehouse: shipping, in transit, from → to. */
  transferDispatched(e: TransferDispatchedV1, cooperativeId: string | null, meta: SourceMeta): EpcisRecord {
    return this.observed(e, e.quantityKg, cooperativeId, meta, e.dispatchedAt, 'shipping', 'in_transit', {
      readPoint: e.warehouseId,
      from: e.warehouseId,
      to: e.toWarehouseId,
      transfer: e.transferId,
    });
  }

  /** The transfer arrives: receiving at the destination, from → to. */
  transferReceived(e: TransferReceivedV1, cooperativeId: string | null, meta: SourceMeta): EpcisRecord {
    return this.observed(
      e,
      e.quantityKg,
      cooperativeId,
      meta,
      e.receivedAt,
      'receiving',
      'sellable_not_accessible',
      {
        at: e.warehouseId,
        from: e.fromWarehouseId,
        to: e.warehouseId,
        transfer: e.transferId,
      },
    );
  }

  /**
   * An order's stock leaves the warehouse: shipping, in transit. One EPCIS event per cooperative whose
   * goods are in the shipment, so each cooperative's manager sees its own sub-lots and nobody else's.
   */
  stockDispatched(
    e: StockDispatchedV1,
    cooperativeOf: (lotId: string) => string,
    meta: SourceMeta,
  ): EpcisRecord[] {
    return this.perCooperative(
      e.items,
      (item) => item.lotId,
      (item) => cooperativeOf(item.lotId),
      meta,
      (items) => ({
        type: 'ObjectEvent',
        eventTime: e.dispatchedAt,
        action: 'OBSERVE',
        quantityList: items.map((i) => kg(this.ids.subLot(i), i.quantityKg)),
        bizStep: 'shipping',
        disposition: 'in_transit',
        readPoint: { id: this.ids.place(e.warehouseId) },
        bizTransactionList: [
          bizTransaction('order', e.orderId, 'po'),
          bizTransaction('shipment', e.shipmentId),
        ],
        sourceList: [{ type: 'location', source: this.ids.place(e.warehouseId) }],
      }),
    );
  }

  /**
   * The shipment reached the buyer: arriving, where the carrier reported it. Other statuses are
   * logistics detail, not critical tracking events. Quantities are the shipment's, per sub-lot.
   */
  shipmentStatusChanged(
    e: ShipmentStatusChangedV1,
    items: { sub: SubLotFacts; quantityKg: number }[],
    meta: SourceMeta,
  ): EpcisRecord[] {
    if (e.status !== 'delivered') return [];
    const location = deliveryPlace(e.location);
    return this.perCooperative(
      items,
      (i) => i.sub.lotId,
      (i) => i.sub.cooperativeId,
      meta,
      (mine) => ({
        type: 'ObjectEvent',
        eventTime: e.at,
        action: 'OBSERVE',
        quantityList: mine.map((i) => kg(this.ids.subLot(i.sub), i.quantityKg)),
        bizStep: 'arriving',
        ...(location ? { readPoint: { id: location } } : {}),
        bizTransactionList: [
          bizTransaction('order', e.orderId, 'po'),
          bizTransaction('shipment', e.shipmentId),
        ],
      }),
    );
  }

  private observed(
    item: StockItem,
    quantityKg: number,
    cooperativeId: string | null,
    meta: SourceMeta,
    at: string,
    bizStep: string,
    disposition: string,
    where: { at?: string; readPoint?: string; from?: string; to?: string; transfer?: string },
  ): EpcisRecord {
    const what = [kg(this.ids.subLot(item), quantityKg)];
    const readPoint = where.at ?? where.readPoint;
    return this.record(
      { cooperativeId, lotIds: [item.lotId] },
      meta,
      {
        type: 'ObjectEvent',
        eventTime: at,
        action: 'OBSERVE',
        quantityList: what,
        bizStep,
        disposition,
        ...(readPoint ? { readPoint: { id: this.ids.place(readPoint) } } : {}),
        // In transit there is no business location: the goods are between two.
        ...(where.at ? { bizLocation: { id: this.ids.place(where.at) } } : {}),
        ...(where.transfer ? { bizTransactionList: [bizTransaction('transfer', where.transfer)] } : {}),
        ...(where.from ? { sourceList: [{ type: 'location', source: this.ids.place(where.from) }] } : {}),
        ...(where.to
          ? { destinationList: [{ type: 'location', destination: this.ids.place(where.to) }] }
          : {}),
      },
      { epcs: classes(what) },
    );
  }

  private perCooperative<T>(
    items: T[],
    lotOf: (item: T) => string,
    cooperativeOf: (item: T) => string,
    meta: SourceMeta,
    build: (items: T[]) => EventBody & { quantityList: { epcClass: string }[] },
  ): EpcisRecord[] {
    const byCoop = new Map<string, T[]>();
    for (const item of items) {
      const coop = cooperativeOf(item);
      byCoop.set(coop, [...(byCoop.get(coop) ?? []), item]);
    }
    // Named by the source event and the cooperative: one shipment of two cooperatives' goods is two
    // events, the same two on every replay.
    return [...byCoop.entries()].map(([coop, mine]) => {
      const body = build(mine);
      return this.record(
        { cooperativeId: coop, lotIds: [...new Set(mine.map(lotOf))] },
        { ...meta, eventId: byCoop.size === 1 ? meta.eventId : `${meta.eventId}/${coop}` },
        body,
        { epcs: classes(body.quantityList) },
      );
    });
  }

  private record(
    { cooperativeId, lotIds }: Pick<EpcisRecord, 'cooperativeId' | 'lotIds'>,
    meta: SourceMeta,
    body: EventBody,
    match: { epcs: string[]; anyEpcs?: string[] },
  ): EpcisRecord {
    const eventID = eventIdFor(meta.eventId);
    const { type, eventTime, ...rest } = body;
    // Field order as in the standard's examples; recordTime is when Firstmile recorded the fact (the
    // source event's time), not when this service read it, so a replay changes nothing.
    const event: EpcisEvent = {
      type,
      eventID,
      eventTime: new Date(eventTime).toISOString(),
      eventTimeZoneOffset: this.timeZoneOffset,
      recordTime: new Date(meta.time).toISOString(),
      ...rest,
    };
    return {
      _id: eventID,
      type,
      eventTime: new Date(eventTime),
      bizStep: String(rest['bizStep']),
      epcs: match.epcs,
      anyEpcs: [...new Set([...(match.anyEpcs ?? []), ...match.epcs])],
      cooperativeId,
      lotIds,
      event,
    };
  }
}

/** Where a delivery happened, as a `geo:` URI when the carrier gave coordinates. */
function deliveryPlace(place: Place | undefined): string | undefined {
  return place?.location ? geo(place.location) : undefined;
}
