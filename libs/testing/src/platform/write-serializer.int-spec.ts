import mongoose, { Schema } from 'mongoose';
import { databaseName } from '@firstmile/persistence';
import { runEnv } from '../lib/infra';

interface Counter {
  _id: string;
  n: number;
  seen: number[];
  available: number;
}

/**
 * FerretDB 1.x does not isolate concurrent updates of one document; the per-document write lock
 * must make them exact (on MongoDB this test passes either way).
 */
describe('concurrent writes to one document', () => {
  let conn: mongoose.Connection;
  let Counters: mongoose.Model<Counter>;

  beforeAll(async () => {
    conn = await mongoose.createConnection(runEnv('MONGO_URL'), { dbName: databaseName(runEnv('MONGO_DB_PREFIX'), 'write_lock_test') }).asPromise();
    Counters = conn.model<Counter>('Counter', new Schema<Counter>({ _id: String, n: Number, seen: [Number], available: Number }));
  });

  afterAll(async () => {
    await conn.close();
  });

  it('applies 100 concurrent $inc/$push updates exactly once each', async () => {
    await Counters.create({ _id: 'c1', n: 0, seen: [], available: 0 });
    await Promise.all(Array.from({ length: 100 }, (_, i) => Counters.updateOne({ _id: 'c1' }, { $inc: { n: 1 }, $push: { seen: i } })));
    const doc = await Counters.findById('c1').lean();
    expect(doc?.n).toBe(100);
    expect(doc?.seen).toHaveLength(100);
  });

  it('lets exactly as many conditional reservations through as there is stock', async () => {
    await Counters.create({ _id: 'c2', n: 0, seen: [], available: 37 });
    const results = await Promise.all(
      Array.from({ length: 100 }, () => Counters.updateOne({ _id: 'c2', available: { $gte: 1 } }, { $inc: { available: -1, n: 1 } })),
    );
    expect(results.filter((r) => r.modifiedCount === 1)).toHaveLength(37);
    expect(await Counters.findById('c2').lean()).toMatchObject({ available: 0, n: 37 });
  });

  it('serializes bulkWrite with single updates on the same documents', async () => {
    await Counters.create([{ _id: 'c3', n: 0, seen: [], available: 0 }, { _id: 'c4', n: 0, seen: [], available: 0 }]);
    await Promise.all([
      ...Array.from({ length: 30 }, () => Counters.updateOne({ _id: 'c3' }, { $inc: { n: 1 } })),
      ...Array.from({ length: 30 }, () =>
        Counters.bulkWrite([
          { updateOne: { filter: { _id: 'c3' }, update: { $inc: { n: 1 } } } },
          { updateOne: { filter: { _id: 'c4' }, update: { $inc: { n: 1 } } } },
        ]),
      ),
    ]);
    const [c3, c4] = await Promise.all([Counters.findById('c3').lean(), Counters.findById('c4').lean()]);
    expect([c3?.n, c4?.n]).toEqual([60, 30]);
  });
});
