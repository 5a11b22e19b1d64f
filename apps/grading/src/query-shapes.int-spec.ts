import { indexedCollections, type QueryShape, unindexedShapes } from '@firstmile/testing';
import { MeasurementBatchSchema } from './lots/measurement-batch.schema';
import { JourneyStepSchema, ProvenanceSchema } from './provenance/provenance.schema';

/**
 * Every query grading makes beyond reads by _id (see each name), with the filter it sends. Not
 * listed: the brand programs (BrandsRepository), reference data of a few documents read whole.
 */
const SHAPES: QueryShape[] = [
  { name: 'LotsRepository.batches (a lot’s measurement batches)', collection: 'measurement_batches', filter: { lotId: 'LOT-1' } },
  { name: 'ProvenanceRepository.journey', collection: 'journey_steps', filter: { traceCode: 'FM-1' }, sort: { at: 1 } },
  { name: 'ProvenanceRepository.addSteps (trace codes of sub-lots)', collection: 'provenance', filter: { subLotId: { $in: ['SL-1', 'SL-2'] } } },
];

describe('grading: every query is served by an index', () => {
  it('plans each query shape on an index, sorted by it', async () => {
    const store = await indexedCollections('grading_query_shapes', {
      measurement_batches: { schema: MeasurementBatchSchema, sample: (i) => ({ _id: `B-${i}`, lotId: `LOT-${i % 20}` }) },
      journey_steps: { schema: JourneyStepSchema, sample: (i) => ({ _id: `S-${i}`, traceCode: `FM-${i % 20}`, at: new Date(1.7e12 + i) }) },
      provenance: { schema: ProvenanceSchema, sample: (i) => ({ _id: `FM-${i}`, subLotId: `SL-${i}` }) },
    });
    try {
      expect(await unindexedShapes(store.db, SHAPES)).toEqual([]);
    } finally {
      await store.close();
    }
  });
});
