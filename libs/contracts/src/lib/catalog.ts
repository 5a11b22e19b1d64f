import { plainToInstance } from 'class-transformer';
import { validateSync, type ValidationError } from 'class-validator';
import { LotGradedV1 } from './grading.events';
import { LotLoggedV1, LotVoidedV1 } from './harvest.events';
import {
  OrderBackorderedV1,
  OrderCancelledV1,
  OrderFulfilledV1,
  OrderPlacedV1,
  OrderRejectedV1,
  OrderRoutedV1,
} from './orders.events';
import { ShipmentCreatedV1, ShipmentStatusChangedV1 } from './shipments.events';
import { Topics, type Topic } from './topics';
import {
  ConfirmReservationV1,
  ReleaseReservationV1,
  ReservationLapsedV1,
  ReservationRejectedV1,
  ReservationReleaseRefusedV1,
  ReservationReleasedV1,
  ReserveStockV1,
  StockDispatchedV1,
  StockReceivedV1,
  StockReservedV1,
  StockWrittenOffV1,
  TransferDispatchedV1,
  TransferReceivedV1,
} from './warehouse.events';

interface Definition<P> {
  readonly payload: (new () => P) & { readonly type: string };
  readonly topic: Topic;
  /** The aggregate id: one aggregate's events stay in order on one partition. */
  readonly key: (payload: P) => string;
}

const define = <P>(payload: Definition<P>['payload'], topic: Topic, key: (p: P) => string): Definition<P> => ({
  payload,
  topic,
  key,
});

/** The whole event catalog: every event and command, its topic and its key. */
export const EventCatalog = {
  [LotLoggedV1.type]: define(LotLoggedV1, Topics.harvestLots, (p) => p.lotId),
  [LotVoidedV1.type]: define(LotVoidedV1, Topics.harvestLots, (p) => p.lotId),
  [LotGradedV1.type]: define(LotGradedV1, Topics.gradingLots, (p) => p.lotId),
  [StockReceivedV1.type]: define(StockReceivedV1, Topics.warehouseStock, (p) => p.subLotId),
  [StockReservedV1.type]: define(StockReservedV1, Topics.warehouseStock, (p) => p.subLotId),
  [ReservationRejectedV1.type]: define(ReservationRejectedV1, Topics.warehouseStock, (p) => p.subLotId),
  [ReservationReleasedV1.type]: define(ReservationReleasedV1, Topics.warehouseStock, (p) => p.subLotId),
  [ReservationLapsedV1.type]: define(ReservationLapsedV1, Topics.warehouseStock, (p) => p.subLotId),
  [ReservationReleaseRefusedV1.type]: define(ReservationReleaseRefusedV1, Topics.warehouseStock, (p) => p.subLotId),
  [TransferDispatchedV1.type]: define(TransferDispatchedV1, Topics.warehouseStock, (p) => p.subLotId),
  [TransferReceivedV1.type]: define(TransferReceivedV1, Topics.warehouseStock, (p) => p.subLotId),
  [StockDispatchedV1.type]: define(StockDispatchedV1, Topics.warehouseStock, (p) => p.shipmentId),
  [StockWrittenOffV1.type]: define(StockWrittenOffV1, Topics.warehouseStock, (p) => p.subLotId),
  [ReserveStockV1.type]: define(ReserveStockV1, Topics.warehouseCommands, (p) => p.subLotId),
  [ReleaseReservationV1.type]: define(ReleaseReservationV1, Topics.warehouseCommands, (p) => p.subLotId),
  [ConfirmReservationV1.type]: define(ConfirmReservationV1, Topics.warehouseCommands, (p) => p.subLotId),
  [OrderPlacedV1.type]: define(OrderPlacedV1, Topics.orders, (p) => p.orderId),
  [OrderRoutedV1.type]: define(OrderRoutedV1, Topics.orders, (p) => p.orderId),
  [OrderBackorderedV1.type]: define(OrderBackorderedV1, Topics.orders, (p) => p.orderId),
  [OrderRejectedV1.type]: define(OrderRejectedV1, Topics.orders, (p) => p.orderId),
  [OrderCancelledV1.type]: define(OrderCancelledV1, Topics.orders, (p) => p.orderId),
  [OrderFulfilledV1.type]: define(OrderFulfilledV1, Topics.orders, (p) => p.orderId),
  [ShipmentCreatedV1.type]: define(ShipmentCreatedV1, Topics.shipments, (p) => p.shipmentId),
  [ShipmentStatusChangedV1.type]: define(ShipmentStatusChangedV1, Topics.shipments, (p) => p.shipmentId),
} as const;

export type EventCatalogType = typeof EventCatalog;
export type EventType = keyof EventCatalogType;
export type EventPayload<T extends EventType> = InstanceType<EventCatalogType[T]['payload']>;

export const isEventType = (type: string): type is EventType => Object.hasOwn(EventCatalog, type);

export const definitionOf = <T extends EventType>(type: T): Definition<EventPayload<T>> =>
  EventCatalog[type] as unknown as Definition<EventPayload<T>>;

export type ParseResult<T> = { ok: true; value: T } | { ok: false; errors: string[] };

/**
 * Checks a payload against its contract. Unknown extra fields are kept: adding an optional field
 * is not a breaking change, so consumers must tolerate producers that are newer than they are.
 */
export function parseEvent<T extends EventType>(type: T, data: unknown): ParseResult<EventPayload<T>> {
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    return { ok: false, errors: ['payload must be a JSON object'] };
  }
  const { payload } = definitionOf(type);
  const value = plainToInstance(payload, data) as EventPayload<T>;
  const errors = validateSync(value as object, { forbidUnknownValues: true });
  return errors.length === 0 ? { ok: true, value } : { ok: false, errors: flatten(errors) };
}

function flatten(errors: ValidationError[], path = ''): string[] {
  return errors.flatMap((e) => {
    const field = path ? `${path}.${e.property}` : e.property;
    const own = Object.values(e.constraints ?? {}).map((m) => `${field}: ${m}`);
    return [...own, ...flatten(e.children ?? [], field)];
  });
}
