import type { TopicPartitionOffsetAndMetadata } from 'kafkajs';
import { CommitQueue } from './commit-queue';

/** A consumer whose commits wait until the test lets each one finish (or fail). */
function consumer() {
  const calls: Array<{ offsets: TopicPartitionOffsetAndMetadata[]; finish: (err?: Error) => void }> = [];
  return {
    calls,
    commitOffsets: (offsets: TopicPartitionOffsetAndMetadata[]) =>
      new Promise<void>((resolve, reject) => calls.push({ offsets, finish: (err) => (err ? reject(err) : resolve()) })),
  };
}
const at = (partition: number, offset: number) => ({ topic: 't', partition, offset: String(offset) });
const settled = () => new Promise((r) => setImmediate(r));

describe('CommitQueue', () => {
  it('sends the commits asked for in one turn together', async () => {
    const c = consumer();
    const q = new CommitQueue(c);
    const all = [q.commit(at(0, 5)), q.commit(at(3, 2)), q.commit(at(5, 8))];
    await settled();
    expect(c.calls.map((x) => x.offsets)).toEqual([[at(0, 5), at(3, 2), at(5, 8)]]);
    c.calls[0].finish();
    await expect(Promise.all(all)).resolves.toHaveLength(3);
  });

  it('sends the first commit at once and those asked meanwhile together, one offset per partition', async () => {
    const c = consumer();
    const q = new CommitQueue(c);
    const done: string[] = [];
    const first = q.commit(at(0, 5)).then(() => done.push('p0@5'));
    await settled();
    expect(c.calls.map((x) => x.offsets)).toEqual([[at(0, 5)]]);

    const next = [q.commit(at(1, 3)).then(() => done.push('p1@3')), q.commit(at(2, 9)).then(() => done.push('p2@9')), q.commit(at(1, 7)).then(() => done.push('p1@7'))];
    await settled();
    expect(c.calls).toHaveLength(1); // they wait for the one on its way
    expect(done).toEqual([]);

    c.calls[0].finish();
    await first;
    await settled();
    expect(done).toEqual(['p0@5']);
    expect(c.calls).toHaveLength(2);
    expect(c.calls[1].offsets).toEqual([at(1, 7), at(2, 9)]);

    c.calls[1].finish();
    await Promise.all(next);
    expect(done.sort()).toEqual(['p0@5', 'p1@3', 'p1@7', 'p2@9']);
  });

  it('fails the callers of a failed request only, and goes on with the next', async () => {
    const c = consumer();
    const q = new CommitQueue(c);
    const first = q.commit(at(0, 1));
    await settled();
    const second = q.commit(at(1, 2));
    c.calls[0].finish(new Error('coordinator moved'));
    await expect(first).rejects.toThrow('coordinator moved');
    await settled();
    expect(c.calls[1].offsets).toEqual([at(1, 2)]);
    c.calls[1].finish();
    await expect(second).resolves.toBeUndefined();

    // Idle again: the next commit is sent at once.
    const third = q.commit(at(0, 4));
    await settled();
    expect(c.calls).toHaveLength(3);
    c.calls[2].finish();
    await expect(third).resolves.toBeUndefined();
  });
});
