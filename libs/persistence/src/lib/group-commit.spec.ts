import { GroupCommit, type InsertManyModel } from './group-commit';

type Doc = { _id: string };

/** A model whose insertMany records each call and answers as `answer` says. */
function fakeModel(answer: (docs: Doc[]) => Promise<unknown> = async () => undefined) {
  const calls: Doc[][] = [];
  const model: InsertManyModel = {
    insertMany: (docs, options) => {
      expect(options).toEqual({ ordered: false, lean: true });
      calls.push(docs as Doc[]);
      return answer(docs as Doc[]);
    },
  };
  return { model, calls };
}

/**
 * The error mongoose throws for an unordered lean insertMany some of whose documents the store
 * refused: `results` holds the given document itself where it was written.
 */
function bulkError(docs: Doc[], refused: Record<number, { code: number; errmsg: string }>) {
  const writeErrors = Object.entries(refused).map(([i, err]) => ({ err: { ...err, index: Number(i) }, index: Number(i) }));
  return Object.assign(new Error('E11000 duplicate key error'), {
    name: 'MongoBulkWriteError',
    writeErrors,
    results: docs.map((d, i) => writeErrors.find((w) => w.index === i) ?? d),
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('GroupCommit', () => {
  it('writes concurrent inserts with one insertMany, and each caller learns its document is written', async () => {
    const { model, calls } = fakeModel();
    const batcher = new GroupCommit(model, { lingerMs: 5, maxDocs: 100, concurrency: 1 });
    const answers = await Promise.all(['a', 'b', 'c'].map((_id) => batcher.insert({ _id })));
    expect(answers).toEqual([true, true, true]);
    expect(calls).toEqual([[{ _id: 'a' }, { _id: 'b' }, { _id: 'c' }]]);
  });

  it('answers no caller before the command that wrote its document returned', async () => {
    let release!: () => void;
    const { model } = fakeModel(() => new Promise<void>((r) => (release = r)));
    const batcher = new GroupCommit(model, { lingerMs: 0, maxDocs: 10, concurrency: 1 });
    let answered = false;
    const p = batcher.insert({ _id: 'a' }).then(() => (answered = true));
    await sleep(10);
    expect(answered).toBe(false);
    release();
    await p;
    expect(answered).toBe(true);
  });

  it('writes a group as soon as it holds maxDocs documents', async () => {
    const { model, calls } = fakeModel();
    const batcher = new GroupCommit(model, { lingerMs: 10_000, maxDocs: 2, concurrency: 4 });
    await Promise.all(['a', 'b', 'c', 'd'].map((_id) => batcher.insert({ _id })));
    expect(calls.map((c) => c.map((d) => d._id))).toEqual([
      ['a', 'b'],
      ['c', 'd'],
    ]);
  });

  it('gathers what arrives while every write slot is busy into the next group', async () => {
    const { model, calls } = fakeModel(() => sleep(20));
    const batcher = new GroupCommit(model, { lingerMs: 0, maxDocs: 100, concurrency: 1 });
    const first = batcher.insert({ _id: 'a' });
    await sleep(5);
    const rest = ['b', 'c', 'd'].map((_id) => batcher.insert({ _id }));
    await Promise.all([first, ...rest]);
    expect(calls.map((c) => c.map((d) => d._id))).toEqual([['a'], ['b', 'c', 'd']]);
  });

  it('answers false to a duplicate key and true to the others of its group, also for a copy in the same group', async () => {
    const { model } = fakeModel(async (docs) => {
      throw bulkError(docs, { 1: { code: 11000, errmsg: 'E11000 duplicate key error collection: lots' } });
    });
    const batcher = new GroupCommit(model, { lingerMs: 2, maxDocs: 100, concurrency: 1 });
    const answers = await Promise.all([batcher.insert({ _id: 'a' }), batcher.insert({ _id: 'a' }), batcher.insert({ _id: 'b' })]);
    expect(answers).toEqual([true, false, true]);
  });

  it("rejects only the caller whose document the store refused for another reason, with the store's error", async () => {
    const { model } = fakeModel(async (docs) => {
      throw bulkError(docs, { 0: { code: 2, errmsg: 'invalid key' } });
    });
    const batcher = new GroupCommit(model, { lingerMs: 2, maxDocs: 100, concurrency: 1 });
    const [bad, good] = await Promise.allSettled([batcher.insert({ _id: 'x' }), batcher.insert({ _id: 'y' })]);
    expect(bad).toMatchObject({ status: 'rejected', reason: { code: 2, message: 'invalid key' } });
    expect(good).toEqual({ status: 'fulfilled', value: true });
  });

  it('rejects every caller of a group whose command failed as a whole', async () => {
    const down = new Error('connection closed');
    const { model } = fakeModel(async () => {
      throw down;
    });
    const batcher = new GroupCommit(model, { lingerMs: 2, maxDocs: 100, concurrency: 1 });
    const settled = await Promise.allSettled([batcher.insert({ _id: 'a' }), batcher.insert({ _id: 'b' })]);
    expect(settled).toEqual([
      { status: 'rejected', reason: down },
      { status: 'rejected', reason: down },
    ]);
    // The next group is written as usual.
    await expect(new GroupCommit(fakeModel().model).insert({ _id: 'c' })).resolves.toBe(true);
  });

  it('refuses options that would never write', () => {
    expect(() => new GroupCommit(fakeModel().model, { maxDocs: 0 })).toThrow(/maxDocs/);
  });
});
