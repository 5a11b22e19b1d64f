import { ConfigService } from '@nestjs/config';
import { OrderRoutedV1, parseEvent } from '@firstmile/contracts';
import { leanInsertRecorder } from '@firstmile/testing';
import { RoutingSettings } from '../routing.settings';
import type { StockViewService } from '../stock-view/stock-view.service';
import { ShipmentSchema } from './shipment.schema';
import { ShipmentsRepository } from './shipments.repository';
import { ShipmentsService } from './shipments.service';

const routed = {
  orderId: 'ORD-1',
  buyerId: 'BUYER-XA',
  // `gate`: a field of a newer producer, tolerated by the contract and not stored with the shipment.
  destination: { city: "Xi'an", location: { lat: 34.34, lon: 108.94 }, address: '1 Yanta Rd', gate: 'north' },
  allocations: [
    { line: 0, warehouseId: 'WH-LIXIAN-ORIGIN', warehouseLocation: { lat: 34.19, lon: 105.18 }, subLotId: 'SUB-1-P', quantityKg: 200, reservationId: 'RSV-1', shipmentId: 'SHP-1' },
    { line: 0, warehouseId: 'WH-LIXIAN-ORIGIN', warehouseLocation: { lat: 34.19, lon: 105.18 }, subLotId: 'SUB-2-P', quantityKg: 100, reservationId: 'RSV-2', shipmentId: 'SHP-1' },
    { line: 1, warehouseId: 'DC-HANGZHOU', subLotId: 'SUB-3-1', quantityKg: 50, reservationId: 'RSV-3', shipmentId: 'SHP-2' },
  ],
  placedAt: '2026-10-02T00:00:00.000Z',
  routedAt: '2026-10-02T00:00:01.000Z',
};

describe('ShipmentsService.createAll', () => {
  // The insert is lean: each shipment must already be what mongoose would store.
  it('stores the shipments of a routed order as mongoose would', async () => {
    const shipments = leanInsertRecorder('Shipment', ShipmentSchema);
    const parsed = parseEvent(OrderRoutedV1.type, routed);
    if (!parsed.ok) throw new Error(parsed.errors.join('; '));
    const stock = { warehouseLocation: async () => ({ lat: 30.27, lon: 120.15 }) } as unknown as StockViewService;
    const settings = new RoutingSettings(
      new ConfigService({ ROUTING_GRADE_ORDER: 'apple:premium>grade_1>grade_2', ROUTING_ROAD_SPEED_KMH: 60, ROUTING_HANDLING_HOURS: 12, ROUTING_SHELF_LIFE_MARGIN_DAYS: 2, ROUTING_MAX_SHIPMENTS: 3, ROUTING_MAX_ATTEMPTS: 3, ROUTING_HOLD_TTL_MS: 60_000 }) as never,
    );
    await new ShipmentsService(new ShipmentsRepository(shipments.Model), stock, settings).createAll([{ command: parsed.value }]);
    expect(shipments.inserted).toHaveLength(2);
    expect(shipments.notLean()).toEqual([]);
    expect(shipments.notStored()).toEqual([]);
    expect(shipments.inserted).toMatchObject([{ _id: 'SHP-1', items: [{ subLotId: 'SUB-1-P' }, { subLotId: 'SUB-2-P' }] }, { _id: 'SHP-2' }]);
  });
});
