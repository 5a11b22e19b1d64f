/**
 * Serializes async work per key within this process.
 *
 * Why: FerretDB 1.x applies an update by querying the document, changing it in memory and writing
 * it back, with no lock in between (internal/handler/msg_update.go → common.UpdateDocument). Two
 * concurrent updates of one document lose one of them — measured on the shared store: 100
 * concurrent `$inc` of one field ended at 3, and a version compare-and-set let 30 writers "win"
 * 19 increments. So every writer of a stock position in this process (consumers, sweeps, HTTP and
 * the outbox relay) goes through this lock; the version check in the filter still guards other
 * replicas on a real MongoDB, where single-document updates are atomic.
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
