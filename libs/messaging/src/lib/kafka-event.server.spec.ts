import type { Consumer, EachBatchPayload, EachMessagePayload, Kafka, KafkaMessage } from 'kafkajs';
import { toHeaders } from '@firstmile/contracts';
import { batchPattern } from './on-event.decorator';
import { newEvent } from './outbound-event';
import { CONSUMER_RESTART_MS, isTransient, KafkaEventServer } from './kafka-event.server';
import type { EventPublisher } from './event-publisher';
import type { MessagingOptions } from './messaging.options';
import type { TopicAdmin } from './topic-admin';

/** A kafkajs consumer as far as the server uses it: its listeners can be fired by the test. */
class FakeConsumer {
  readonly events = { CRASH: 'consumer.crash', GROUP_JOIN: 'consumer.group_join' };
  readonly listeners = new Map<string, Array<(e: unknown) => void>>();
  subscribed: string[] = [];
  running = false;
  disconnected = false;
  constructor(readonly groupId: string) {}
  on(event: string, listener: (e: unknown) => void) {
    this.listeners.set(event, [...(this.listeners.get(event) ?? []), listener]);
    return () => undefined;
  }
  fire(event: string, payload: unknown) {
    for (const l of this.listeners.get(event) ?? []) l({ payload });
  }
  connected = false;
  async connect() {
    this.connected = true;
  }
  async subscribe({ topics }: { topics: string[] }) {
    this.subscribed = topics;
  }
  async run() {
    this.running = true;
    this.fire(this.events.GROUP_JOIN, {});
  }
  async disconnect() {
    this.disconnected = true;
  }
}

describe('KafkaEventServer: a consumer kafkajs gives up on', () => {
  let created: FakeConsumer[];
  let server: KafkaEventServer;

  beforeEach(() => {
    jest.useFakeTimers();
    created = [];
    const kafka = { consumer: ({ groupId }: { groupId: string }) => created[created.push(new FakeConsumer(groupId)) - 1] } as unknown as Kafka;
    const options = { service: 'grading', topicPrefix: '', concurrency: 1, sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 15_000 } as MessagingOptions;
    const topics = { physical: (t: string) => `p.${t}` } as unknown as TopicAdmin;
    server = new KafkaEventServer(kafka, options, {} as EventPublisher, topics);
  });

  afterEach(() => jest.useRealTimers());

  const start = () =>
    server['consume']('grading.harvest.lots', ['harvest.lots'], () => ({ eachMessage: async () => undefined }), { maxWaitTimeInMs: 250, minBytes: 1 });
  const crash = (c: FakeConsumer, restart: boolean) => c.fire(c.events.CRASH, { error: new Error('The coordinator is not aware of this member'), groupId: c.groupId, restart });

  it('is replaced by a new consumer of the same group and topics', async () => {
    await start();
    crash(created[0], false);
    expect(created).toHaveLength(1); // not at once: after a wait
    await jest.advanceTimersByTimeAsync(CONSUMER_RESTART_MS);
    expect(created).toHaveLength(2);
    expect(created[1]).toMatchObject({ groupId: 'grading.harvest.lots', subscribed: ['p.harvest.lots'], running: true });
    expect(server.unwrap<Consumer[]>()).toEqual([created[1]]);
  });

  it('is left to kafkajs when kafkajs restarts it itself', async () => {
    await start();
    crash(created[0], true);
    await jest.advanceTimersByTimeAsync(10 * CONSUMER_RESTART_MS);
    expect(created).toHaveLength(1);
  });

  it('is tried again, waiting longer each time, while the new one cannot start', async () => {
    await start();
    let failures = 2;
    const connect = FakeConsumer.prototype.connect;
    jest.spyOn(FakeConsumer.prototype, 'connect').mockImplementation(async function (this: FakeConsumer) {
      if (failures-- > 0) throw new Error('connect ECONNREFUSED');
      return connect.call(this);
    });
    crash(created[0], false);
    await jest.advanceTimersByTimeAsync(CONSUMER_RESTART_MS); // first try: fails
    await jest.advanceTimersByTimeAsync(2 * CONSUMER_RESTART_MS); // second: fails
    expect(created.filter((c) => c.running)).toHaveLength(1); // only the first, crashed one ran
    await jest.advanceTimersByTimeAsync(4 * CONSUMER_RESTART_MS); // third: runs
    expect(created).toHaveLength(4);
    expect(created[3].running).toBe(true);
    expect(created[1].disconnected && created[2].disconnected).toBe(true);
    expect(server.unwrap<Consumer[]>()).toEqual([created[3]]);
  });

  it('is not replaced once the server is closing', async () => {
    await start();
    await server.close();
    crash(created[0], false);
    await jest.advanceTimersByTimeAsync(10 * CONSUMER_RESTART_MS);
    expect(created).toHaveLength(1);
  });
});

describe('KafkaEventServer: what its fetches wait for', () => {
  it('waits for KAFKA_FETCH_MIN_BYTES on the main topics, and for any record on the retry topics', async () => {
    const configs: Array<{ groupId: string; minBytes?: number; maxWaitTimeInMs?: number }> = [];
    const kafka = {
      consumer: (config: { groupId: string }) => {
        configs.push(config);
        return new FakeConsumer(config.groupId);
      },
    } as unknown as Kafka;
    const options = { service: 'insights', topicPrefix: '', concurrency: 1, sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 15_000, retryDelaysMs: [1000], fetchMinBytes: 262_144 } as MessagingOptions;
    const topics = { physical: (t: string) => t, ensure: async () => undefined } as unknown as TopicAdmin;
    const server = new KafkaEventServer(kafka, options, {} as EventPublisher, topics);
    server.addHandler(batchPattern('firstmile.harvest.lot.logged.v1'), (async () => new Map()) as never, true);
    await new Promise<void>((resolve, reject) => server.listen((err) => (err ? reject(err) : resolve())));
    await server.joined;
    await server.close();
    expect(configs.map(({ groupId, minBytes, maxWaitTimeInMs }) => ({ groupId, minBytes, maxWaitTimeInMs }))).toEqual([
      { groupId: 'insights.harvest.lots', minBytes: 262_144, maxWaitTimeInMs: 250 },
      { groupId: 'insights.retry.1', minBytes: 1, maxWaitTimeInMs: 1000 },
    ]);
  });
});

describe('isTransient: the store did not answer', () => {
  const withCode = (message: string, code: string, name = 'Error') => Object.assign(new Error(message), { code, name });

  it.each([
    ['a refused connection', withCode('connect ECONNREFUSED 127.0.0.1:27017', 'ECONNREFUSED', 'MongoNetworkError')],
    ['no server to select', Object.assign(new Error('Server selection timed out after 10000 ms'), { name: 'MongoServerSelectionError' })],
    ['mongoose buffering', new Error('Operation `lots.findOne()` buffering timed out after 10000ms')],
    // The store stopped while a command was on its way (FerretDB stopped for 90 s in the chaos run):
    // Node's own socket error, not wrapped by the driver.
    ['a write to a socket the store closed', withCode('This socket has been ended by the other party', 'EPIPE')],
    ['a connection reset, by its code alone', withCode('read failed', 'ECONNRESET')],
    ['a network error as the cause', Object.assign(new Error('bulk write failed'), { cause: withCode('socket hang up', 'EPIPE') })],
  ])('%s', (_, err) => expect(isTransient(err)).toBe(true));

  it.each([
    ['a duplicate key', Object.assign(new Error('E11000 duplicate key error'), { name: 'MongoServerError', code: 11000 })],
    ['a handler that refuses the work', new Error('lot LOT-1 is not known')],
    ['a validation error', Object.assign(new Error('quantityKg must be positive'), { name: 'ValidationError' })],
  ])('not %s', (_, err) => expect(isTransient(err)).toBe(false));
});

describe('KafkaEventServer: a handler that works longer than the session timeout', () => {
  const type = 'firstmile.harvest.lot.voided.v1' as const;
  const envelope = newEvent(
    type,
    { lotId: 'LOT-7K3QH9WZ2M', cooperativeId: 'COOP-2B7XQ9KD1M', reason: 'Logged twice by mistake', voidedAt: '2026-10-20T09:30:00.000Z' },
    { source: 'test' },
  );
  const message = {
    offset: '7',
    key: null,
    value: Buffer.from(JSON.stringify(envelope.data)),
    headers: toHeaders(envelope),
    timestamp: String(Date.now()),
  } as unknown as KafkaMessage;
  let server: KafkaEventServer;
  let finish: () => void;
  const heartbeat = jest.fn(async () => undefined);
  const commits: unknown[] = [];
  const consumer = { commitOffsets: async (offsets: unknown[]) => void commits.push(...offsets) } as unknown as Consumer;

  beforeEach(() => {
    jest.useFakeTimers();
    heartbeat.mockClear();
    commits.length = 0;
    const options = { service: 'grading', topicPrefix: '', concurrency: 1, sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 15_000 } as MessagingOptions;
    const topics = { physical: (t: string) => t, logical: (t: string) => t } as unknown as TopicAdmin;
    server = new KafkaEventServer({} as Kafka, options, {} as EventPublisher, topics);
    // A store write queued behind others, or waiting out its server selection: done when the test says.
    const slow = async () => new Promise<void>((resolve) => (finish = resolve));
    server.addHandler(batchPattern(type), slow as never, true);
  });

  afterEach(() => jest.useRealTimers());

  const payload = () =>
    ({ batch: { topic: 'harvest.lots', partition: 0, messages: [message] }, heartbeat, isRunning: () => true, isStale: () => false }) as unknown as EachBatchPayload;

  it('keeps heartbeating while a batch is handled, and stops once it is committed', async () => {
    const delivered = server['deliverBatch'](consumer, payload());
    await jest.advanceTimersByTimeAsync(12_000);
    // kafkajs would have dropped the member after 10 s without one.
    expect(heartbeat.mock.calls.length).toBeGreaterThanOrEqual(11);
    finish();
    await delivered;
    expect(commits).toEqual([{ topic: 'harvest.lots', partition: 0, offset: '8' }]);
    const sent = heartbeat.mock.calls.length;
    await jest.advanceTimersByTimeAsync(5000);
    expect(heartbeat).toHaveBeenCalledTimes(sent);
  });

  it('keeps heartbeating while a retried record is handled', async () => {
    const handled = server['deliver'](consumer, { topic: 'harvest.lots.retry.1', partition: 0, message, heartbeat } as unknown as EachMessagePayload, 1);
    await jest.advanceTimersByTimeAsync(12_000);
    expect(heartbeat.mock.calls.length).toBeGreaterThanOrEqual(11);
    finish();
    await handled;
    const sent = heartbeat.mock.calls.length;
    await jest.advanceTimersByTimeAsync(5000);
    expect(heartbeat).toHaveBeenCalledTimes(sent);
  });

  it('lets a refused heartbeat (a rebalance under way) pass: the batch is finished and committed, as kafkajs would', async () => {
    const delivered = server['deliverBatch'](consumer, payload());
    await jest.advanceTimersByTimeAsync(1500);
    heartbeat.mockRejectedValue(new Error('The group is rebalancing, so a rejoin is needed'));
    const before = heartbeat.mock.calls.length;
    await jest.advanceTimersByTimeAsync(3000);
    expect(heartbeat.mock.calls.length).toBeGreaterThanOrEqual(before + 2);
    finish();
    await delivered;
    expect(commits).toEqual([{ topic: 'harvest.lots', partition: 0, offset: '8' }]);
    heartbeat.mockReset();
  });
});

describe('KafkaEventServer: the partitions of one fetch', () => {
  const type = 'firstmile.harvest.lot.voided.v1' as const;
  const record = (offset: string, lotId: string) => {
    const envelope = newEvent(
      type,
      { lotId, cooperativeId: 'COOP-2B7XQ9KD1M', reason: 'Logged twice by mistake', voidedAt: '2026-10-20T09:30:00.000Z' },
      { source: 'test' },
    );
    return { offset, key: null, value: Buffer.from(JSON.stringify(envelope.data)), headers: toHeaders(envelope), timestamp: String(Date.now()) } as unknown as KafkaMessage;
  };
  const payload = (partition: number, ...messages: KafkaMessage[]) =>
    ({ batch: { topic: 'harvest.lots', partition, messages }, heartbeat: async () => undefined, isRunning: () => true, isStale: () => false }) as unknown as EachBatchPayload;
  let server: KafkaEventServer;
  let calls: string[][];
  let refuse: Set<string>;
  const commits: unknown[] = [];
  const forwarded: unknown[] = [];
  const consumer = { commitOffsets: async (offsets: unknown[]) => void commits.push(...offsets) } as unknown as Consumer;

  beforeEach(() => {
    calls = [];
    refuse = new Set();
    commits.length = 0;
    forwarded.length = 0;
    const options = { service: 'grading', topicPrefix: '', concurrency: 6, sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 15_000, retryDelaysMs: [1000] } as MessagingOptions;
    const topics = { physical: (t: string) => t, logical: (t: string) => t } as unknown as TopicAdmin;
    const publisher = { forward: async (topic: string, message: { headers: Record<string, string> }) => void forwarded.push({ topic, attempt: message.headers['x-retry-attempt'] }) };
    server = new KafkaEventServer({} as Kafka, options, publisher as unknown as EventPublisher, topics);
    const handler = async (batch: Array<{ event: { lotId: string } }>) => {
      calls.push(batch.map((d) => d.event.lotId));
      return new Map(batch.filter((d) => refuse.has(d.event.lotId)).map((d) => [d, new Error(`lot ${d.event.lotId} is not known`)]));
    };
    server.addHandler(batchPattern(type), handler as never, true);
  });

  it('hands the runs handed over together to their handler in one call, and commits each partition', async () => {
    await Promise.all([
      server['deliverBatch'](consumer, payload(0, record('7', 'LOT-AAAAAAAAA1'), record('8', 'LOT-AAAAAAAAA2'))),
      server['deliverBatch'](consumer, payload(3, record('41', 'LOT-BBBBBBBBB1'))),
    ]);
    expect(calls).toHaveLength(1);
    // Each partition's records keep their order; the partitions' order among them is not defined.
    expect(calls[0].filter((id) => id.startsWith('LOT-A'))).toEqual(['LOT-AAAAAAAAA1', 'LOT-AAAAAAAAA2']);
    expect(calls[0]).toHaveLength(3);
    expect(calls[0]).toContain('LOT-BBBBBBBBB1');
    expect(commits).toEqual(
      expect.arrayContaining([
        { topic: 'harvest.lots', partition: 0, offset: '9' },
        { topic: 'harvest.lots', partition: 3, offset: '42' },
      ]),
    );
  });

  it('retries only the deliveries the call failed, and a run handed over later gets a call of its own', async () => {
    refuse.add('LOT-BBBBBBBBB1');
    await Promise.all([
      server['deliverBatch'](consumer, payload(0, record('7', 'LOT-AAAAAAAAA1'))),
      server['deliverBatch'](consumer, payload(3, record('41', 'LOT-BBBBBBBBB1'))),
    ]);
    expect(forwarded).toEqual([{ topic: 'harvest.lots.retry.1', attempt: '1' }]);
    await server['deliverBatch'](consumer, payload(0, record('8', 'LOT-AAAAAAAAA2')));
    expect(calls.map((c) => [...c].sort())).toEqual([['LOT-AAAAAAAAA1', 'LOT-BBBBBBBBB1'], ['LOT-AAAAAAAAA2']]);
  });
});
