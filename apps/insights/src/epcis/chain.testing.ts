import { randomUUID } from 'node:crypto';
import type {
  GradedSubLot,
  LotGradedV1,
  LotLoggedV1,
  ShipmentCreatedV1,
  ShipmentStatusChangedV1,
  StockDispatchedV1,
  StockItem,
  StockReceivedV1,
  TransferDispatchedV1,
  TransferReceivedV1,
} from '@firstmile/contracts';

/**
 * One lot's life as the other services publish it, for tests: harvested at an orchard, graded at the
 * Lixian origin warehouse into premium (branded), grade_1 and cull, the premium sub-lot received,
 * transferred to Hangzhou, dispatched for an order and delivered. Ids are fresh on every call.
 */
export function lotChain(opts: { cooperativeId?: string; start?: Date } = {}) {
  const suffix = randomUUID().replace(/-/g, '').slice(0, 8).toUpperCase();
  const coop = opts.cooperativeId ?? `COOP-${suffix}`;
  const t0 = opts.start ?? new Date(Date.now() - 5 * 86_400_000);
  const at = (hours: number) => new Date(t0.getTime() + hours * 3_600_000).toISOString();
  const lotId = `LOT-${suffix}`;
  const premium: GradedSubLot = {
    subLotId: `SUB-${suffix}-P`,
    grade: 'premium',
    quantityKg: 600.5,
    brand: 'Lixian Apple (礼县苹果)',
    traceCode: `P${suffix}XYZ`.slice(0, 12),
    bestBefore: at(24 * 60),
  };
  const grade1: GradedSubLot = {
    subLotId: `SUB-${suffix}-1`,
    grade: 'grade_1',
    quantityKg: 350,
    brand: null,
    traceCode: `Q${suffix}XYZ`.slice(0, 12),
    bestBefore: at(24 * 60),
  };
  const transferId = `TR-${suffix}`;
  const orderId = `ORD-${suffix}`;
  const shipmentId = `SHP-${suffix}`;

  const logged: LotLoggedV1 = {
    lotId,
    cooperative: { id: coop, name: 'Lixian Test Cooperative', county: 'CN-GS-LIXIAN', province: 'Gansu' },
    growerId: `GRW-${suffix}`,
    orchard: { id: `ORC-${suffix}`, name: 'South slope', location: { lat: 34.19, lon: 105.18 } },
    produce: 'apple',
    variety: 'Fuji',
    harvestedAt: at(0),
    quantityKg: 1000,
    originWarehouseId: 'WH-LIXIAN-ORIGIN',
    loggedAt: at(1),
  };
  const graded: LotGradedV1 = {
    lotId,
    cooperativeId: coop,
    originWarehouseId: 'WH-LIXIAN-ORIGIN',
    produce: 'apple',
    variety: 'Fuji',
    standard: 'gb-t-10651-2008',
    lotQuantityKg: 1000,
    cullKg: 49.5,
    gradedAt: at(20),
    subLots: [premium, grade1],
  };
  const stock = (sub: GradedSubLot, warehouseId: string, onHandKg: number): StockItem => ({
    warehouseId,
    warehouseLocation:
      warehouseId === 'DC-HANGZHOU' ? { lat: 30.27, lon: 120.15 } : { lat: 34.19, lon: 105.18 },
    subLotId: sub.subLotId,
    lotId,
    produce: 'apple',
    variety: 'Fuji',
    grade: sub.grade,
    brand: sub.brand,
    traceCode: sub.traceCode,
    bestBefore: sub.bestBefore,
    stock: { onHandKg, reservedKg: 0, availableKg: onHandKg, version: 1 },
  });
  const received: StockReceivedV1 = {
    ...stock(premium, 'WH-LIXIAN-ORIGIN', 600.5),
    quantityKg: 600.5,
    via: 'grading',
    receivedAt: at(21),
  };
  const receivedGrade1: StockReceivedV1 = {
    ...stock(grade1, 'WH-LIXIAN-ORIGIN', 350),
    quantityKg: 350,
    via: 'grading',
    receivedAt: at(21),
  };
  const transferDispatched: TransferDispatchedV1 = {
    ...stock(premium, 'WH-LIXIAN-ORIGIN', 100.5),
    transferId,
    toWarehouseId: 'DC-HANGZHOU',
    quantityKg: 500,
    dispatchedAt: at(30),
  };
  const transferReceived: TransferReceivedV1 = {
    ...stock(premium, 'DC-HANGZHOU', 500),
    transferId,
    fromWarehouseId: 'WH-LIXIAN-ORIGIN',
    quantityKg: 500,
    receivedAt: at(60),
  };
  // The same receipt as warehouse also tells it ("via transfer"): no EPCIS event of its own.
  const receivedViaTransfer: StockReceivedV1 = {
    ...stock(premium, 'DC-HANGZHOU', 500),
    quantityKg: 500,
    via: 'transfer',
    transferId,
    receivedAt: at(60),
  };
  const shipmentCreated: ShipmentCreatedV1 = {
    shipmentId,
    orderId,
    buyerId: `BUY-${suffix}`,
    warehouseId: 'DC-HANGZHOU',
    destination: { city: 'Hangzhou', location: { lat: 30.29, lon: 120.21 } },
    items: [{ subLotId: premium.subLotId, reservationId: `RES-${suffix}`, quantityKg: 20 }],
    eta: at(80),
    createdAt: at(70),
  };
  const stockDispatched: StockDispatchedV1 = {
    shipmentId,
    orderId,
    warehouseId: 'DC-HANGZHOU',
    items: [{ ...stock(premium, 'DC-HANGZHOU', 480), reservationId: `RES-${suffix}`, quantityKg: 20 }],
    dispatchedAt: at(72),
  };
  const delivered: ShipmentStatusChangedV1 = {
    shipmentId,
    orderId,
    warehouseId: 'DC-HANGZHOU',
    status: 'delivered',
    subLotIds: [premium.subLotId],
    at: at(78),
    location: { name: 'Xihu district', location: { lat: 30.29, lon: 120.21 } },
  };
  const inTransit: ShipmentStatusChangedV1 = {
    ...delivered,
    status: 'in_transit',
    at: at(75),
    location: { name: 'Hangzhou hub' },
  };

  return {
    coop,
    lotId,
    premium,
    grade1,
    events: {
      logged,
      graded,
      received,
      receivedGrade1,
      transferDispatched,
      transferReceived,
      receivedViaTransfer,
      shipmentCreated,
      stockDispatched,
      inTransit,
      delivered,
    },
  };
}
