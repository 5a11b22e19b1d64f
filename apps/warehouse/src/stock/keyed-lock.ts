/**
 * Serializes async work per key within this process.
 *
 * Why: a position's change is read → decide (pure, stock-position.ts) → conditional write. The
 * platform already serializes single writes per document (FerretDB 1.x does not isolate concurrent
 * updates — see libs/persistence write-serializer); this lock keeps the whole sequence together so
 * concurrent commands for one sub-lot do not keep failing each other's version check. The version
 * check in the filter still guards other replicas on a real MongoDB.
 */
export class KeyedLock {
  private readonly tails = new Map<string, Promise<unknown>>();

  run<T>(key: string, work: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const result = previous.then(work, work);
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return result;
  }

  /** Keys with work queued or running (for tests and metrics). */
  get size(): number {
    return this.tails.size;
  }
}
