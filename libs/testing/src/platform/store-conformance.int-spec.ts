import mongoose from 'mongoose';
import type { Collection, Db, Document, MongoBulkWriteError } from 'mongodb';
import { databaseName } from '@firstmile/persistence';
import { runEnv } from '../lib/infra';
import { queryPlan } from '../lib/query-plans';

/**
 * What the services rely on from the store, held to MongoDB's behaviour on whichever store the run
 * uses (the embedded FerretDB, or MongoDB where containers run): single-document atomicity of every
 * write, so correctness comes from conditional writes, never from locks in a process.
 *
 * The driver is used directly (no mongoose plugins, no schemas): this is the store on trial.
 */
describe('store conformance: single-document atomicity', () => {
  let conn: mongoose.Connection;
  let db: Db;
  let n = 0;
  /** A fresh collection per test, so one test's documents never meet another's. */
  const fresh = <T extends Document>(): Collection<T> => db.collection<T>(`atomicity_${++n}`);

  beforeAll(async () => {
    conn = await mongoose.createConnection(runEnv('MONGO_URL'), { maxPoolSize: 64 }).asPromise();
    db = conn.getClient().db(databaseName(runEnv('MONGO_DB_PREFIX'), 'store_conformance'));
  });

  afterAll(async () => {
    await db.dropDatabase();
    await conn.close();
  });

  it('applies 250 concurrent $inc on one document exactly once each', async () => {
    const c = fresh<{ _id: string; n: number }>();
    await c.insertOne({ _id: 'counter', n: 0 });
    const results = await Promise.all(Array.from({ length: 250 }, () => c.updateOne({ _id: 'counter' }, { $inc: { n: 1 } })));
    expect(results.every((r) => r.modifiedCount === 1)).toBe(true);
    expect(await c.findOne({ _id: 'counter' })).toEqual({ _id: 'counter', n: 250 });
  });

  it('lets exactly 50 of 100 racing conditional takes through 50 units, never below zero', async () => {
    const c = fresh<{ _id: string; available: number; taken: number }>();
    await c.insertOne({ _id: 'position', available: 50, taken: 0 });
    const results = await Promise.all(
      Array.from({ length: 100 }, () => c.updateOne({ _id: 'position', available: { $gte: 1 } }, { $inc: { available: -1, taken: 1 } })),
    );
    expect(results.filter((r) => r.modifiedCount === 1)).toHaveLength(50);
    expect(await c.findOne({ _id: 'position' })).toEqual({ _id: 'position', available: 0, taken: 50 });
  });

  it('takes quantities larger than one without ever going below zero', async () => {
    const c = fresh<{ _id: string; available: number }>();
    await c.insertOne({ _id: 'position', available: 100 });
    // 60 takes of 7: at most 14 fit (98 units), 2 units stay.
    const results = await Promise.all(
      Array.from({ length: 60 }, () => c.updateOne({ _id: 'position', available: { $gte: 7 } }, { $inc: { available: -7 } })),
    );
    expect(results.filter((r) => r.modifiedCount === 1)).toHaveLength(14);
    expect((await c.findOne({ _id: 'position' }))?.available).toBe(2);
  });

  it('keeps racing $push and $pull of one array exact', async () => {
    const c = fresh<{ _id: string; items: number[] }>();
    await c.insertOne({ _id: 'outbox', items: Array.from({ length: 100 }, (_, i) => i) });
    // The service appends while the relay removes what it published, as the outbox does.
    await Promise.all([
      ...Array.from({ length: 100 }, (_, i) => c.updateOne({ _id: 'outbox' }, { $push: { items: 100 + i } })),
      ...Array.from({ length: 100 }, (_, i) => c.updateOne({ _id: 'outbox' }, { $pull: { items: i } })),
    ]);
    const items = (await c.findOne({ _id: 'outbox' }))?.items ?? [];
    expect([...items].sort((a, b) => a - b)).toEqual(Array.from({ length: 100 }, (_, i) => 100 + i));
  });

  it('lets exactly one of 100 racing compare-and-set by version win', async () => {
    const c = fresh<{ _id: string; version: number; winner: number | null }>();
    await c.insertOne({ _id: 'order', version: 0, winner: null });
    const results = await Promise.all(
      Array.from({ length: 100 }, (_, i) => c.updateOne({ _id: 'order', version: 0 }, { $set: { version: 1, winner: i } })),
    );
    const winners = results.flatMap((r, i) => (r.modifiedCount === 1 ? [i] : []));
    expect(winners).toHaveLength(1);
    expect(await c.findOne({ _id: 'order' })).toEqual({ _id: 'order', version: 1, winner: winners[0] });
  });

  it('gives 100 racing findOneAndUpdate $inc each its own value', async () => {
    const c = fresh<{ _id: string; seq: number }>();
    await c.insertOne({ _id: 'sequence', seq: 0 });
    const docs = await Promise.all(
      Array.from({ length: 100 }, () => c.findOneAndUpdate({ _id: 'sequence' }, { $inc: { seq: 1 } }, { returnDocument: 'after' })),
    );
    expect(docs.map((d) => d?.seq).sort((a, b) => (a ?? 0) - (b ?? 0))).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
  });

  it('applies concurrent bulk writes of conditional updates exactly, each statement on its own', async () => {
    const c = fresh<{ _id: string; available: number; taken: number }>();
    const ids = ['a', 'b', 'c', 'd', 'e'];
    await c.insertMany(ids.map((_id) => ({ _id, available: 40, taken: 0 })));
    // 20 bulk writes of 25 conditional takes (5 per position): 500 takes against 200 units.
    const results = await Promise.all(
      Array.from({ length: 20 }, () =>
        c.bulkWrite(
          Array.from({ length: 25 }, (_, i) => ({
            updateOne: { filter: { _id: ids[i % ids.length], available: { $gte: 1 } }, update: { $inc: { available: -1, taken: 1 } } },
          })),
          { ordered: false },
        ),
      ),
    );
    expect(results.reduce((sum, r) => sum + r.modifiedCount, 0)).toBe(200);
    const docs = await c.find({}).sort({ _id: 1 }).toArray();
    expect(docs).toEqual(ids.map((_id) => ({ _id, available: 0, taken: 40 })));
  });

  it('applies racing multi-document statements by an _id list and single-document ones exactly, without deadlock', async () => {
    // The outbox relay's shape: updateMany over a list of ids (overlapping lists, in any order)
    // while each document takes its own conditional writes.
    const c = fresh<{ _id: string; n: number; rev: number }>();
    const ids = Array.from({ length: 40 }, (_, i) => `d${String(i).padStart(2, '0')}`);
    await c.insertMany(ids.map((_id) => ({ _id, n: 0, rev: 0 })));
    const lists = Array.from({ length: 30 }, (_, k) => ids.filter((_, i) => (i + k) % 3 !== 0).sort(() => (k % 2 ? 1 : -1)));
    const singles = ids.flatMap((_id) => Array.from({ length: 5 }, () => ({ _id })));
    const results = await Promise.all([
      ...lists.map((list) => c.updateMany({ _id: { $in: list }, n: { $gte: 0 } }, { $inc: { n: 1 } })),
      ...singles.map(({ _id }) => c.updateOne({ _id }, { $inc: { n: 1, rev: 1 } })),
    ]);
    expect(results.slice(0, lists.length).map((r) => r.modifiedCount)).toEqual(lists.map((l) => l.length));
    const docs = await c.find({}).sort({ _id: 1 }).toArray();
    expect(docs).toEqual(ids.map((_id) => ({ _id, n: lists.filter((l) => l.includes(_id)).length + 5, rev: 5 })));
  });

  it('runs every statement of an unordered bulk write and reports a failed one at its own index; an ordered one stops there', async () => {
    // The stock view's shape: conditional upserts by version. One position holds a newer version, so
    // its upsert hits the _id; the statements after it must still run, and the error must name it.
    type Position = { _id: string; version: number };
    const upsert = (_id: string, version: number) => ({ updateOne: { filter: { _id, version: { $lt: version } }, update: { $set: { version } }, upsert: true } });
    const statements = [upsert('a', 2), upsert('b', 3), upsert('c', 2), upsert('d', 1)];
    for (const ordered of [false, true]) {
      const c = fresh<Position>();
      await c.insertMany([{ _id: 'a', version: 1 }, { _id: 'b', version: 5 }, { _id: 'c', version: 1 }]);
      const failure = await c.bulkWrite(statements, { ordered }).then(
        () => undefined,
        (err: unknown) => err as MongoBulkWriteError,
      );
      expect(failure?.writeErrors).toEqual([expect.objectContaining({ index: 1, code: 11000 })]);
      expect(await c.find({}).sort({ _id: 1 }).toArray()).toEqual(
        ordered
          ? [{ _id: 'a', version: 2 }, { _id: 'b', version: 5 }, { _id: 'c', version: 1 }]
          : [{ _id: 'a', version: 2 }, { _id: 'b', version: 5 }, { _id: 'c', version: 2 }, { _id: 'd', version: 1 }],
      );
      if (!ordered) expect(failure?.result.upsertedIds).toEqual({ 3: 'd' });
    }
  });

  it('never deletes a document that a racing update has changed out of the delete filter', async () => {
    const c = fresh<{ _id: string; state: string }>();
    await c.insertMany(Array.from({ length: 100 }, (_, i) => ({ _id: `r${i}`, state: 'held' })));
    // For each document, a confirm (held → confirmed) races a delete of held ones: exactly one wins.
    const results = await Promise.all(
      Array.from({ length: 100 }, (_, i) => [
        c.updateOne({ _id: `r${i}`, state: 'held' }, { $set: { state: 'confirmed' } }),
        c.deleteOne({ _id: `r${i}`, state: 'held' }),
      ]).flat(),
    );
    const confirmed = results.filter((r) => 'modifiedCount' in r && r.modifiedCount === 1).length;
    const deleted = results.filter((r) => 'deletedCount' in r && r.deletedCount === 1).length;
    expect(confirmed + deleted).toBe(100);
    expect(await c.countDocuments({})).toBe(confirmed);
    expect(await c.countDocuments({ state: 'held' })).toBe(0);
  });

  it('upserts one document when many upserts of one key race', async () => {
    const c = fresh<{ _id: string; hits: number }>();
    const results = await Promise.allSettled(
      Array.from({ length: 50 }, () => c.updateOne({ _id: 'key' }, { $inc: { hits: 1 } }, { upsert: true })),
    );
    // MongoDB may answer a racing upsert with a duplicate-key error (E11000); none may be lost silently.
    const ok = results.filter((r) => r.status === 'fulfilled').length;
    expect(results.filter((r) => r.status === 'rejected').every((r) => /E11000|duplicate/i.test(String(r.reason)))).toBe(true);
    expect(await c.countDocuments({})).toBe(1);
    expect((await c.findOne({ _id: 'key' }))?.hits).toBe(ok);
  });
});

describe('store conformance: secondary indexes', () => {
  let conn: mongoose.Connection;
  let db: Db;
  interface Lot {
    _id: string;
    cooperativeId: string;
    status: string;
    createdAt: Date;
    kg: number;
    tags?: string[] | string;
    mixed?: unknown;
  }
  let lots: Collection<Lot>;
  const all: Lot[] = [];
  const newestFirst = (a: Lot, b: Lot) => b.createdAt.getTime() - a.createdAt.getTime() || (a._id < b._id ? 1 : a._id > b._id ? -1 : 0);

  beforeAll(async () => {
    conn = await mongoose.createConnection(runEnv('MONGO_URL')).asPromise();
    db = conn.getClient().db(databaseName(runEnv('MONGO_DB_PREFIX'), 'store_indexes'));
    lots = db.collection<Lot>('lots');
    await lots.createIndex({ cooperativeId: 1, createdAt: -1, _id: -1 });
    await lots.createIndex({ status: 1, createdAt: 1 });
    await lots.createIndex({ kg: 1 });
    await lots.createIndex({ tags: 1 });
    await lots.createIndex({ mixed: 1 });
    for (let i = 0; i < 3000; i++) {
      all.push({
        _id: `L${String((i * 7919) % 3000).padStart(5, '0')}`,
        cooperativeId: `C${i % 10}`,
        status: ['logged', 'graded', 'voided'][i % 3],
        // Ties on purpose: four lots share each second, so the cursor's _id tie-break is exercised.
        createdAt: new Date(Date.UTC(2026, 8, 1) + Math.floor(i / 4) * 1000),
        kg: (i % 50) * 10.5,
        // Arrays in an indexed field: MongoDB matches an element (multikey), and so must the store.
        ...(i % 5 === 0 ? { tags: ['organic', `t${i % 3}`] } : i % 5 === 1 ? { tags: 'organic' } : {}),
        // Values of several types in one indexed field: MongoDB's type order and bracketing apply.
        ...(i % 4 === 0 ? { mixed: i } : i % 4 === 1 ? { mixed: `s${i}` } : i % 4 === 2 ? { mixed: new Date(i) } : {}),
      });
    }
    for (let i = 0; i < all.length; i += 500) await lots.insertMany(all.slice(i, i + 500));
  });

  afterAll(async () => {
    await db.dropDatabase();
    await conn.close();
  });

  it('walks a cooperative newest first with a keyset cursor: every lot once, in order, each page from the index', async () => {
    const expected = all.filter((l) => l.cooperativeId === 'C3').sort(newestFirst);
    const seen: Lot[] = [];
    let cursor: Lot | undefined;
    for (;;) {
      const filter = {
        cooperativeId: 'C3',
        ...(cursor ? { $or: [{ createdAt: { $lt: cursor.createdAt } }, { createdAt: cursor.createdAt, _id: { $lt: cursor._id } }] } : {}),
      };
      const page = await lots.find(filter).sort({ createdAt: -1, _id: -1 }).limit(25).toArray();
      const plan = await queryPlan(db, { collection: 'lots', filter, sort: { createdAt: -1, _id: -1 }, limit: 25 });
      expect(plan).toMatchObject({ indexed: true, sortedByIndex: true });
      seen.push(...page);
      if (page.length < 25) break;
      cursor = page[page.length - 1];
    }
    expect(seen.map((l) => l._id)).toEqual(expected.map((l) => l._id));
  });

  it('serves equality with a range, and a sort on the next key, from the index', async () => {
    const from = new Date(Date.UTC(2026, 8, 1) + 100_000);
    const filter = { status: 'graded', createdAt: { $gte: from } };
    const got = await lots.find(filter).sort({ createdAt: 1 }).limit(40).toArray();
    const expected = all.filter((l) => l.status === 'graded' && l.createdAt >= from).sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime());
    expect(got.map((l) => l.createdAt.getTime())).toEqual(expected.slice(0, 40).map((l) => l.createdAt.getTime()));
    expect(await queryPlan(db, { collection: 'lots', filter, sort: { createdAt: 1 }, limit: 40 })).toMatchObject({ indexed: true, sortedByIndex: true });
  });

  it('serves $in and numeric ranges from the index, with numbers compared as numbers', async () => {
    const filter = { kg: { $gt: 99.5, $lte: 105 } };
    const got = await lots.find(filter).toArray();
    expect(got.length).toBe(all.filter((l) => l.kg > 99.5 && l.kg <= 105).length);
    expect(got.every((l) => l.kg === 105)).toBe(true);
    expect((await queryPlan(db, { collection: 'lots', filter })).indexed).toBe(true);

    const ids = ['L00007', 'L01234', 'L02999', 'L99999'];
    expect((await lots.find({ _id: { $in: ids } }).toArray()).map((l) => l._id).sort()).toEqual(ids.slice(0, 3));
    const statuses = { status: { $in: ['voided', 'graded'] } };
    expect(await lots.countDocuments(statuses)).toBe(2000);
    expect((await queryPlan(db, { collection: 'lots', filter: statuses })).indexed).toBe(true);
  });

  it('matches array elements in an indexed field as MongoDB does (multikey)', async () => {
    const expected = all.filter((l) => (Array.isArray(l.tags) ? l.tags.includes('organic') : l.tags === 'organic')).length;
    expect(await lots.countDocuments({ tags: 'organic' })).toBe(expected);
    expect(await lots.countDocuments({ tags: 't1' })).toBe(all.filter((l) => Array.isArray(l.tags) && l.tags.includes('t1')).length);
  });

  it('keeps MongoDB type bracketing and type order in an indexed field of mixed types', async () => {
    const numbers = all.filter((l) => typeof l.mixed === 'number' && l.mixed > 2000).length;
    expect(await lots.countDocuments({ mixed: { $gt: 2000 } })).toBe(numbers);
    expect(await lots.countDocuments({ mixed: { $gte: 's2' } })).toBe(all.filter((l) => typeof l.mixed === 'string' && l.mixed >= 's2').length);
    // Ascending: missing/null, then numbers, then strings, then dates.
    const sorted = await lots.find({}, { projection: { mixed: 1 } }).sort({ mixed: 1, _id: 1 }).toArray();
    const kinds = sorted.map((l) => (l.mixed === undefined ? 0 : typeof l.mixed === 'number' ? 1 : typeof l.mixed === 'string' ? 2 : 3));
    expect(kinds).toEqual([...kinds].sort((a, b) => a - b));
  });

  it('builds an index over documents already stored, and serves queries from it', async () => {
    const late = db.collection<{ _id: string; warehouseId: string; at: Date }>('late_index');
    await late.insertMany(Array.from({ length: 300 }, (_, i) => ({ _id: `e${String(i).padStart(3, '0')}`, warehouseId: `W${i % 3}`, at: new Date(1.7e12 + i) })));
    await late.createIndex({ warehouseId: 1, at: -1 });
    const filter = { warehouseId: 'W1', at: { $lt: new Date(1.7e12 + 100) } };
    const got = await late.find(filter).sort({ at: -1 }).limit(5).toArray();
    expect(got.map((d) => d._id)).toEqual(['e097', 'e094', 'e091', 'e088', 'e085']);
    expect(await queryPlan(db, { collection: 'late_index', filter, sort: { at: -1 }, limit: 5 })).toMatchObject({ indexed: true, sortedByIndex: true });
  });

  it('keeps answers right when a field changes type after queries were served from its index', async () => {
    const probe = db.collection<{ _id: string; v: unknown }>('type_change');
    await probe.createIndex({ v: 1 });
    await probe.insertMany(Array.from({ length: 20 }, (_, i) => ({ _id: `p${i}`, v: i })));
    expect(await probe.countDocuments({ v: { $gte: 10 } })).toBe(10);
    await probe.updateOne({ _id: 'p3' }, { $set: { v: [10, 11] } });
    await probe.insertOne({ _id: 'p99', v: 'ten' });
    expect(await probe.countDocuments({ v: { $gte: 10 } })).toBe(11); // p3's array has an element ≥ 10
    expect(await probe.countDocuments({ v: 11 })).toBe(2);
    expect((await probe.find({}).sort({ v: -1 }).limit(1).toArray())[0]._id).toBe('p99'); // strings after numbers
  });
});
