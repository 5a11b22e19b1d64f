import type { Consumer, TopicPartitionOffsetAndMetadata } from 'kafkajs';

interface Waiting {
  offset: TopicPartitionOffsetAndMetadata;
  resolve: () => void;
  reject: (err: unknown) => void;
}

/**
 * A consumer's offset commits, sent to the group coordinator one request at a time: those asked for
 * in the same turn of the event loop together (the partitions of a fetch, whose runs one handler
 * call took, finish together), and those asked for while one is on its way together in the next.
 * kafkajs hands each partition's batch to its own worker, and each committed on its own: a broker
 * write per batch of every partition of every group. Each caller still resolves only once its own
 * offset is committed.
 */
export class CommitQueue {
  private waiting: Waiting[] = [];
  private sending = false;

  constructor(private readonly consumer: Pick<Consumer, 'commitOffsets'>) {}

  commit(offset: TopicPartitionOffsetAndMetadata): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.waiting.push({ offset, resolve, reject });
      if (this.sending) return;
      this.sending = true;
      setImmediate(() => void this.send());
    });
  }

  private async send(): Promise<void> {
    while (this.waiting.length > 0) {
      const batch = this.waiting;
      this.waiting = [];
      // One offset per partition: the furthest (a partition's batches are handled one after another).
      const furthest = new Map<string, TopicPartitionOffsetAndMetadata>();
      for (const { offset } of batch) {
        const key = `${offset.topic}\u0000${offset.partition}`;
        const seen = furthest.get(key);
        if (!seen || BigInt(offset.offset) > BigInt(seen.offset)) furthest.set(key, offset);
      }
      try {
        await this.consumer.commitOffsets([...furthest.values()]);
        for (const w of batch) w.resolve();
      } catch (err) {
        for (const w of batch) w.reject(err);
      }
    }
    this.sending = false;
  }
}
