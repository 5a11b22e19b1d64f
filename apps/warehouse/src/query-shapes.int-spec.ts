import { indexedCollections, type QueryShape, unindexedShapes } from '@firstmile/testing';
import { StockLedgerEntrySchema, StockPositionSchema, StockReservationSchema } from './stock/stock-position.schema';
import { TransferSchema } from './transfers/transfer.schema';

const now = new Date('2026-09-01T00:00:00Z');

/**
 * Every query the warehouse makes beyond reads by _id (see each name), with the filter it sends.
 * Not listed: GET /v1/warehouses without ?kind, which sorts the warehouses by id in memory; they
 * are reference data (dozens), not a collection that grows with the season.
 */
const SHAPES: QueryShape[] = [
  { name: 'StockRepository.listStock', collection: 'stock_positions', filter: { warehouseId: 'DC-XIAN', _id: { $gt: 'P-1' } }, sort: { _id: 1 }, limit: 51 },
  { name: 'StockRepository.listStock, ?produce&grade', collection: 'stock_positions', filter: { warehouseId: 'DC-XIAN', produce: 'apple', grade: 'premium' }, sort: { _id: 1 }, limit: 51 },
  { name: 'StockRepository.unsettled', collection: 'stock_positions', filter: { pendingCount: { $gt: 0 } }, limit: 100 },
  { name: 'StockRepository.dueForWriteOff', collection: 'stock_positions', filter: { bestBefore: { $lt: now }, availableG: { $gt: 0 } }, limit: 100 },
  { name: 'StockRepository.reservationsById', collection: 'stock_reservations', filter: { _id: { $in: ['R-1', 'R-7', 'R-9'] } } },
  { name: 'StockRepository.loadMany', collection: 'stock_positions', filter: { _id: { $in: ['P-1', 'P-7'] } } },
  { name: 'StockRepository.dueForExpiry', collection: 'stock_reservations', filter: { status: 'held', expiresAt: { $lte: now } }, limit: 100 },
  { name: 'StockRepository.withShipment', collection: 'stock_reservations', filter: { warehouseId: 'DC-XIAN', shipmentId: 'SHP-1' } },
  { name: 'StockRepository.ledger', collection: 'stock_ledger', filter: { warehouseId: 'DC-XIAN', _id: { $gt: 'E-1' } }, sort: { _id: 1 }, limit: 51 },
  { name: 'StockRepository.ledger, ?subLotId', collection: 'stock_ledger', filter: { warehouseId: 'DC-XIAN', subLotId: 'SL-1', kind: 'received' }, sort: { _id: 1 }, limit: 51 },
  { name: 'TransfersRepository.dueForRecovery', collection: 'transfers', filter: { status: 'pending', createdAt: { $lt: now } }, limit: 100 },
  { name: 'OutboxRelay scan, positions', collection: 'stock_positions', filter: { outboxSize: { $gt: 0 } }, limit: 100 },
  { name: 'OutboxRelay scan, reservations', collection: 'stock_reservations', filter: { outboxSize: { $gt: 0 } }, limit: 100 },
];

describe('warehouse: every query is served by an index', () => {
  it('plans each query shape on an index, sorted by it', async () => {
    const wh = (i: number) => ['DC-XIAN', 'DC-HANGZHOU', 'WH-LIXIAN-ORIGIN'][i % 3];
    const store = await indexedCollections('warehouse_query_shapes', {
      stock_positions: {
        schema: StockPositionSchema,
        sample: (i) => ({
          _id: `P-${i}`,
          warehouseId: wh(i),
          produce: 'apple',
          grade: 'premium',
          bestBefore: new Date(now.getTime() + i * 3_600_000),
          availableG: i * 1000,
          pendingCount: 0,
          outboxSize: 0,
        }),
      },
      stock_reservations: {
        schema: StockReservationSchema,
        sample: (i) => ({ _id: `R-${i}`, warehouseId: wh(i), shipmentId: `SHP-${i}`, status: 'held', expiresAt: new Date(now.getTime() + i), outboxSize: 0 }),
      },
      stock_ledger: { schema: StockLedgerEntrySchema, sample: (i) => ({ _id: `E-${i}`, warehouseId: wh(i), subLotId: `SL-${i % 9}`, kind: 'received' }) },
      transfers: { schema: TransferSchema, sample: (i) => ({ _id: `T-${i}`, status: 'pending', createdAt: new Date(now.getTime() - i) }) },
    });
    try {
      expect(await unindexedShapes(store.db, SHAPES)).toEqual([]);
    } finally {
      await store.close();
    }
  });
});
