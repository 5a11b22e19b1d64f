/**
 * Routing steps in turn: a throughput choice (decisions of one process do not race each other for
 * the same sub-lots), not what keeps the orders right (that is each write's condition on `rev`).
 */

/**
 * Gathers keys into steps of a `Serial`: a key added while no step of this kind waits to start opens
 * one; keys added before it starts join it. `run` answers each key's failure; a key without one
 * resolves.
 */
export class Batches<K> {
  private open?: { keys: K[]; result: Promise<Map<K, unknown>> };

  constructor(
    private readonly serial: Serial,
    private readonly run: (keys: K[]) => Promise<Map<K, unknown>>,
  ) {}

  async add(key: K): Promise<void> {
    let batch = this.open;
    if (!batch) {
      const keys: K[] = [];
      const opened = {
        keys,
        result: this.serial.run(() => {
          if (this.open === opened) this.open = undefined;
          return this.run(keys);
        }),
      };
      this.open = batch = opened;
    }
    batch.keys.push(key);
    const failed = await batch.result;
    if (failed.has(key)) throw failed.get(key);
  }
}

/** Runs tasks one after another, each starting when the previous one settled. */
export class Serial {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(task: () => Promise<T>): Promise<T> {
    const result = this.tail.then(task);
    this.tail = result.catch(() => undefined);
    return result;
  }
}
