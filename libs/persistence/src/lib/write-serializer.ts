import mongoose, { type AnyBulkWriteOperation, type Query, type Schema } from 'mongoose';

/**
 * FerretDB 1.x applies an update as read-modify-write without isolation: 100 concurrent `$inc`
 * on one document leave it at about 10. Conditional updates ("reserve if available ≥ q"), the
 * outbox (`$push` by the service racing `$pullAll` by the relay) and `appliedEvents` all rely on
 * single-document atomicity, which MongoDB gives and FerretDB does not. So every process
 * serializes its own writes per document: one write to a given document at a time, in arrival
 * order. On FerretDB this makes a single replica per service exact; on MongoDB it costs little
 * (writes to one document contend there anyway) and replicas are safe as the server is atomic.
 */
class KeyedMutex {
  private readonly tails = new Map<string, Promise<void>>();

  async acquire(keys: string[]): Promise<() => void> {
    const releases: Array<() => void> = [];
    // Sorted and deduplicated, so two multi-key holders can never wait on each other.
    for (const key of [...new Set(keys)].sort()) releases.push(await this.one(key));
    let released = false;
    return () => {
      if (released) return;
      released = true;
      releases.reverse().forEach((r) => r());
    };
  }

  private async one(key: string): Promise<() => void> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((resolve) => (release = resolve));
    const tail = previous.then(() => mine);
    this.tails.set(key, tail);
    await previous;
    return () => {
      release();
      if (this.tails.get(key) === tail) this.tails.delete(key);
    };
  }
}

const mutex = new KeyedMutex();
const RELEASE = Symbol('firstmile.writeLock');
type Locked = { [RELEASE]?: () => void };

const idKey = (collection: string, id: unknown): string | null =>
  typeof id === 'string' || typeof id === 'number' || id instanceof mongoose.Types.ObjectId ? `${collection}:${String(id)}` : null;

const WRITES = ['updateOne', 'findOneAndUpdate', 'replaceOne', 'findOneAndReplace', 'deleteOne', 'findOneAndDelete'] as const;

/** Applied to every schema (registered globally below): writes addressed by `_id` take the document's lock. */
export function serializeWritesPlugin(schema: Schema): void {
  schema.pre(WRITES as never, async function (this: Query<unknown, unknown> & Locked) {
    const key = idKey(this.model.collection.collectionName, this.getFilter()['_id']);
    if (key) this[RELEASE] = await mutex.acquire([key]);
  });
  const release = function (this: Locked) {
    this[RELEASE]?.();
  };
  schema.post(WRITES as never, release);
  schema.post(WRITES as never, function (this: Locked, error: Error, _res: unknown, next: (err?: Error) => void) {
    this[RELEASE]?.();
    next(error);
  });

  schema.static('bulkWrite', async function (this: mongoose.Model<unknown>, ops: AnyBulkWriteOperation[], options?: mongoose.MongooseBulkWriteOptions) {
    const keys = ops
      .map((op) => {
        const filter = 'updateOne' in op ? op.updateOne.filter : 'replaceOne' in op ? op.replaceOne.filter : 'deleteOne' in op ? op.deleteOne.filter : undefined;
        return idKey(this.collection.collectionName, (filter as Record<string, unknown> | undefined)?.['_id']);
      })
      .filter((k): k is string => k !== null);
    const unlock = await mutex.acquire(keys);
    try {
      return await mongoose.Model.bulkWrite.call(this, ops, options);
    } finally {
      unlock();
    }
  });
}

mongoose.plugin(serializeWritesPlugin);
