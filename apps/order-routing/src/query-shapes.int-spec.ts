import { indexedCollections, type QueryShape, unindexedShapes } from '@firstmile/testing';
import { OrderSchema } from './orders/order.schema';
import { StockPositionSchema } from './stock-view/stock-position.schema';
import { ShipmentSchema } from './shipments/shipment.schema';

const at = new Date('2026-09-01T00:00:00Z');
const orderCursor = { $or: [{ placedAt: { $lt: at } }, { placedAt: at, _id: { $lt: 'ORD-M' } }] };
const shipmentCursor = { $or: [{ createdAt: { $lt: at } }, { createdAt: at, _id: { $lt: 'SHP-M' } }] };
const newestOrders = { placedAt: -1, _id: -1 };
const newestShipments = { createdAt: -1, _id: -1 };

/** Every query order-routing makes beyond reads by _id (see each name), with the filter it sends. */
const SHAPES: QueryShape[] = [
  { name: 'OrdersRepository.page, buyer', collection: 'orders', filter: { buyerId: 'B-1', ...orderCursor }, sort: newestOrders, limit: 51 },
  { name: 'OrdersRepository.page, buyer, ?status&channel', collection: 'orders', filter: { buyerId: 'B-1', status: 'routed', channel: 'livestream' }, sort: newestOrders, limit: 51 },
  { name: 'OrdersRepository.page, ops, everything', collection: 'orders', filter: orderCursor, sort: newestOrders, limit: 51 },
  { name: 'OrdersRepository.page, ops, ?status', collection: 'orders', filter: { status: 'backordered', ...orderCursor }, sort: newestOrders, limit: 51 },
  { name: 'OrdersRepository.page, ops, ?channel', collection: 'orders', filter: { channel: 'livestream' }, sort: newestOrders, limit: 51 },
  { name: 'OrdersRepository.backordered (sweep)', collection: 'orders', filter: { status: 'backordered' }, sort: { placedAt: 1 }, limit: 200 },
  { name: 'OrdersRepository.backordered (an arrival of some produce)', collection: 'orders', filter: { status: 'backordered', 'lines.produce': { $in: ['apple', 'pear'] } }, sort: { placedAt: 1 }, limit: 200 },
  { name: 'OrdersRepository.findMany (a batch of saga steps)', collection: 'orders', filter: { _id: { $in: ['ORD-1', 'ORD-5', 'ORD-9'] } } },
  { name: 'StockViewRepository.refresh (what was stored lately)', collection: 'stock_positions', filter: { updatedAt: { $gte: at } } },
  { name: 'OutboxRelay scan, orders', collection: 'orders', filter: { outboxSize: { $gt: 0 } }, limit: 100 },
  { name: 'ShipmentsService.list, everything', collection: 'shipments', filter: shipmentCursor, sort: newestShipments, limit: 51 },
  { name: 'ShipmentsService.list, ?status', collection: 'shipments', filter: { status: 'in_transit', ...shipmentCursor }, sort: newestShipments, limit: 51 },
  { name: 'ShipmentsService.list, ?warehouseId', collection: 'shipments', filter: { warehouseId: 'DC-XIAN' }, sort: newestShipments, limit: 51 },
  { name: 'ShipmentsService.list, ?warehouseId&status', collection: 'shipments', filter: { warehouseId: 'DC-XIAN', status: 'created', ...shipmentCursor }, sort: newestShipments, limit: 51 },
  { name: 'ShipmentsService.list, ?orderId', collection: 'shipments', filter: { orderId: 'ORD-7' }, sort: newestShipments, limit: 51 },
  { name: 'OutboxRelay scan, shipments', collection: 'shipments', filter: { outboxSize: { $gt: 0 } }, limit: 100 },
];

describe('order-routing: every query is served by an index', () => {
  it('plans each query shape on an index, sorted by it', async () => {
    const statuses = ['received', 'routed', 'backordered', 'fulfilled'];
    const store = await indexedCollections('orders_query_shapes', {
      orders: {
        schema: OrderSchema,
        sample: (i) => ({
          _id: `ORD-${i}`,
          buyerId: `B-${i % 7}`,
          status: statuses[i % 4],
          channel: ['livestream', 'wholesale'][i % 2],
          placedAt: new Date(at.getTime() - i * 1000),
          outboxSize: 0,
        }),
      },
      stock_positions: {
        schema: StockPositionSchema,
        sample: (i) => ({ _id: `DC-XIAN|SUB-${i}`, updatedAt: new Date(at.getTime() - i * 1000) }),
      },
      shipments: {
        schema: ShipmentSchema,
        sample: (i) => ({
          _id: `SHP-${i}`,
          orderId: `ORD-${i}`,
          warehouseId: ['DC-XIAN', 'DC-HANGZHOU'][i % 2],
          status: ['created', 'in_transit', 'delivered'][i % 3],
          createdAt: new Date(at.getTime() - i * 1000),
          outboxSize: 0,
        }),
      },
    });
    try {
      expect(await unindexedShapes(store.db, SHAPES)).toEqual([]);
    } finally {
      await store.close();
    }
  });
});
