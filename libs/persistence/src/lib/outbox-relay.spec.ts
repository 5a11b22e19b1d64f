import type { Model } from 'mongoose';
import type { EventPublisher, OutboundEvent } from '@firstmile/messaging';
import { outboxSignal, type OutboxFields } from './outbox';
import { OutboxRelay } from './outbox-relay';

const COLLECTION = 'relay_spec';
const event = (id: string) => ({ id, type: 'firstmile.harvest.lot.voided.v1', time: new Date().toISOString() }) as OutboundEvent;

/**
 * A collection in memory, as far as the relay reads and writes it. Pulls (`updateMany`) wait until
 * `releasePulls` is called, as they do on a busy store in a burst.
 */
function fakeCollection(docs: Map<string, OutboundEvent[]>) {
  let releasePulls!: () => void;
  const pullsReleased = new Promise<void>((r) => (releasePulls = r));
  const lean = (rows: Array<{ _id: string; outbox: OutboundEvent[] }>) => ({ lean: async () => rows, limit: (n: number) => ({ lean: async () => rows.slice(0, n) }) });
  const model = {
    collection: { collectionName: COLLECTION },
    find: (filter: { _id?: { $in: string[] }; outboxSize?: unknown }) => {
      const all = [...docs].filter(([, outbox]) => outbox.length > 0).map(([_id, outbox]) => ({ _id, outbox }));
      return lean(filter._id ? all.filter((d) => filter._id?.$in.includes(d._id)) : all);
    },
    updateMany: async () => {
      await pullsReleased;
      return { modifiedCount: 0 };
    },
    bulkWrite: async () => undefined,
  };
  return { model: model as unknown as Model<OutboxFields>, releasePulls };
}

describe('OutboxRelay', () => {
  it('publishes what a write handed over in a pass that scans, even when the scan only meets documents waiting for their pull', async () => {
    // A is published and its pull hangs; B is a new write. A scan of one document finds only A.
    const docs = new Map([['A', [event('a1')]]]);
    const { model, releasePulls } = fakeCollection(docs);
    const published: string[] = [];
    const publisher = { publish: async (events: OutboundEvent[]) => void published.push(...events.map((e) => e.id)) } as unknown as EventPublisher;
    const relay = new OutboxRelay([model], publisher, { pollMs: 3_600_000, batchSize: 1 });
    relay.onApplicationBootstrap(); // its first pass scans: A
    try {
      await waitUntil(() => published.includes('a1'));

      docs.set('B', [event('b1')]);
      outboxSignal.emit('staged', COLLECTION); // a write that named no document: the next pass scans
      outboxSignal.emit('staged', COLLECTION, ['B'], [[event('b1')]]);

      // Before, the scanning pass dropped B's hint and published nothing until A's pull was done.
      await waitUntil(() => published.includes('b1'));
      expect(published).toEqual(['a1', 'b1']);
    } finally {
      releasePulls();
      await relay.onApplicationShutdown();
    }
  });
});

async function waitUntil(check: () => boolean, timeoutMs = 2000): Promise<void> {
  for (const end = Date.now() + timeoutMs; !check(); ) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
}
