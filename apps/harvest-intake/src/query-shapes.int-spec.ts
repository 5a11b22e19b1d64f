import { indexedCollections, type QueryShape, unindexedShapes } from '@firstmile/testing';
import { IdempotencyRecordSchema } from '@firstmile/http';
import { LotSchema } from './lots/lot.schema';

const at = new Date('2026-09-01T00:00:00Z');
const cursor = { $or: [{ createdAt: { $lt: at } }, { createdAt: at, _id: { $lt: 'LOT-M' } }] };
const newest = { createdAt: -1, _id: -1 };

/** Every query harvest-intake makes beyond reads by _id (see each name), with the filter it sends. */
const SHAPES: QueryShape[] = [
  { name: 'LotsService.list, coop manager', collection: 'lots', filter: { cooperativeId: 'COOP-1' }, sort: newest, limit: 51 },
  { name: 'LotsService.list, coop manager, next page', collection: 'lots', filter: { cooperativeId: 'COOP-1', ...cursor }, sort: newest, limit: 51 },
  { name: 'LotsService.list, coop manager, filtered', collection: 'lots', filter: { cooperativeId: 'COOP-1', status: 'logged', produce: 'apple', harvestedAt: { $gte: at } }, sort: newest, limit: 51 },
  { name: 'LotsService.list, ops, everything', collection: 'lots', filter: cursor, sort: newest, limit: 51 },
  // Both fields' own indexes would serve it too, but one reads past every lot of the other value.
  { name: 'LotsService.list, ops, ?status&produce', collection: 'lots', filter: { status: 'logged', produce: 'apple', ...cursor }, sort: newest, limit: 51, index: 'status_1_produce_1_createdAt_-1__id_-1' },
  { name: 'LotsService.list, ops, ?status&produce, first page', collection: 'lots', filter: { status: 'graded', produce: 'apple' }, sort: newest, limit: 51, index: 'status_1_produce_1_createdAt_-1__id_-1' },
  { name: 'LotsService.list, ops, ?status', collection: 'lots', filter: { status: 'graded' }, sort: newest, limit: 51 },
  { name: 'LotsService.list, ops, ?produce', collection: 'lots', filter: { produce: 'apple' }, sort: newest, limit: 51 },
  { name: 'OutboxRelay scan', collection: 'lots', filter: { outboxSize: { $gt: 0 } }, limit: 100 },
  { name: 'IdempotencyInterceptor sweep (deleteMany)', collection: 'idempotency_keys', filter: { expiresAt: { $lte: at } } },
];

describe('harvest-intake: every query is served by an index', () => {
  it('plans each query shape on an index, sorted by it', async () => {
    const store = await indexedCollections('harvest_query_shapes', {
      lots: {
        schema: LotSchema,
        sample: (i) => ({
          _id: `LOT-${i}`,
          cooperativeId: `COOP-${i % 5}`,
          status: i % 3 ? 'logged' : 'graded',
          produce: i % 2 ? 'apple' : 'passion_fruit',
          harvestedAt: new Date(at.getTime() - i * 3_600_000),
          createdAt: new Date(at.getTime() - i * 60_000),
          outboxSize: 0,
        }),
      },
      idempotency_keys: { schema: IdempotencyRecordSchema, sample: (i) => ({ _id: `K${i}`, expiresAt: new Date(at.getTime() + i) }) },
    });
    try {
      expect(await unindexedShapes(store.db, SHAPES)).toEqual([]);
    } finally {
      await store.close();
    }
  });
});
