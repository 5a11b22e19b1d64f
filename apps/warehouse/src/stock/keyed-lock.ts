/**
 * Serializes async work per key within this process.
 *
 * Why: a position's change is read → decide (pure, stock-position.ts) → conditional write. Every
 * document write is atomic on both stores, and the version in the write's filter is what keeps
 * concurrent writers (other replicas) correct. This lock is a throughput choice, not a correctness
 * one: it keeps one process's concurrent commands for one sub-lot from failing each other's
 * version check and re-reading.
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
