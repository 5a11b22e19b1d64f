import { indexedCollections, type QueryShape, unindexedShapes } from '@firstmile/testing';
import { LedgerAllocationSchema, LedgerLotSchema, LedgerShipmentSchema, LedgerSubLotSchema } from './ledger/ledger.schema';

const at = new Date('2026-09-01T00:00:00Z');
const window = { $gte: new Date(at.getTime() - 86_400_000), $lt: at };

/** Every query of the sales ledger beyond reads by _id (see each name), with the filter it sends. */
const SHAPES: QueryShape[] = [
  { name: 'LedgerRepository.lotsHarvested, county', collection: 'ledger_lots', filter: { county: 'CN-GS-LIXIAN', harvestedAt: window } },
  { name: 'LedgerRepository.lotsGraded, county', collection: 'ledger_lots', filter: { county: 'CN-GS-LIXIAN', gradedAt: window } },
  { name: 'LedgerRepository.lotsHarvested, cooperative', collection: 'ledger_lots', filter: { cooperativeId: 'COOP-3', harvestedAt: window } },
  { name: 'LedgerRepository.lotsGraded, cooperative', collection: 'ledger_lots', filter: { cooperativeId: 'COOP-3', gradedAt: window } },
  { name: 'CountiesService.summary (a county with no lots in the window)', collection: 'ledger_lots', filter: { county: 'CN-GS-LIXIAN' } },
  { name: 'CountiesService.headlines (every lot of a county)', collection: 'ledger_lots', filter: { county: { $gt: '' } } },
  { name: 'LedgerRepository.subLotsOfLots', collection: 'ledger_sub_lots', filter: { lotId: { $in: ['LOT-1', 'LOT-2'] } } },
  { name: 'LedgerRepository.allocationsOfShipments', collection: 'ledger_allocations', filter: { shipmentId: { $in: ['SHP-1', 'SHP-2'] } } },
  { name: 'LedgerRepository.allocationsOfSubLots', collection: 'ledger_allocations', filter: { subLotId: { $in: ['SUB-1', 'SUB-2'] } } },
  { name: 'LedgerRepository.allocationsRouted', collection: 'ledger_allocations', filter: { routedAt: window } },
  { name: 'LedgerRepository.shipmentsDelivered', collection: 'ledger_shipments', filter: { deliveredAt: window } },
];

describe('insights: every ledger query is served by an index', () => {
  it('plans each query shape on an index', async () => {
    const t = (i: number) => new Date(at.getTime() - i * 60_000);
    const store = await indexedCollections('insights_query_shapes', {
      ledger_lots: {
        schema: LedgerLotSchema,
        sample: (i) => ({ _id: `LOT-${i}`, county: ['CN-GS-LIXIAN', 'CN-JX-XUNWU'][i % 2], cooperativeId: `COOP-${i % 7}`, harvestedAt: t(i), gradedAt: t(i) }),
      },
      ledger_sub_lots: { schema: LedgerSubLotSchema, sample: (i) => ({ _id: `SUB-${i}`, lotId: `LOT-${i >> 1}` }) },
      ledger_allocations: {
        schema: LedgerAllocationSchema,
        sample: (i) => ({ _id: `RSV-${i}`, shipmentId: `SHP-${i >> 1}`, subLotId: `SUB-${i % 50}`, routedAt: t(i) }),
      },
      ledger_shipments: { schema: LedgerShipmentSchema, sample: (i) => ({ _id: `SHP-${i}`, ...(i % 3 ? { deliveredAt: t(i) } : {}) }) },
    });
    try {
      expect(await unindexedShapes(store.db, SHAPES)).toEqual([]);
    } finally {
      await store.close();
    }
  });
});
