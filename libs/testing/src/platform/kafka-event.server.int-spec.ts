import { Catch, Controller, Module, type RpcExceptionFilter } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { APP_FILTER, NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import type { INestApplication } from '@nestjs/common';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { randomUUID } from 'node:crypto';
import { throwError } from 'rxjs';
import { deadLetterTopic, LotLoggedV1, LotVoidedV1, toHeaders, Topics } from '@firstmile/contracts';
import { plainToInstance } from 'class-transformer';
import { type BatchFailures, type Delivery, KafkaEnv, KafkaEventServer, type EventContext, MessagingModule, newEvent, OnEvent, OnEvents } from '@firstmile/messaging';
import { runEnv } from '../lib/infra';
import { TopicProbe } from '../lib/topic-probe';
import { waitFor } from '../lib/wait';

/** The service under test: records what it handled, and fails on purpose for reason "explode". */
@Controller()
class VoidedConsumer {
  static readonly seen: string[] = [];
  static readonly attempts = new Map<string, number[]>();

  @OnEvent(LotVoidedV1.type)
  onVoided(event: LotVoidedV1, ctx: EventContext) {
    VoidedConsumer.attempts.set(event.lotId, [...(VoidedConsumer.attempts.get(event.lotId) ?? []), ctx.attempt]);
    if (event.reason === 'explode' || (event.reason === 'explode-once' && ctx.attempt === 0)) throw new Error(`boom for ${event.lotId}`);
    VoidedConsumer.seen.push(event.lotId);
  }
}

/** The same events for a batch handler: records each call's lots, fails "explode-once" on first delivery. */
@Controller()
class VoidedBatchConsumer {
  static readonly calls: Array<Array<{ lotId: string; attempt: number }>> = [];

  @OnEvents(LotVoidedV1.type)
  async onVoided(batch: Array<Delivery<LotVoidedV1>>): Promise<BatchFailures<LotVoidedV1>> {
    VoidedBatchConsumer.calls.push(batch.map((d) => ({ lotId: d.event.lotId, attempt: d.ctx.attempt })));
    const failed: BatchFailures<LotVoidedV1> = new Map();
    for (const d of batch) if (d.event.reason === 'explode-once' && d.ctx.attempt === 0) failed.set(d, new Error(`boom for ${d.event.lotId}`));
    return failed;
  }
}

/** Fails like a driver with no store to talk to, twice per lot whose reason is "store-away". */
@Controller()
class StoreAwayConsumer {
  static readonly calls: Array<{ lotId: string; attempt: number; at: number }> = [];

  @OnEvent(LotVoidedV1.type)
  onVoided(event: LotVoidedV1, ctx: EventContext) {
    StoreAwayConsumer.calls.push({ lotId: event.lotId, attempt: ctx.attempt, at: Date.now() });
    const tries = StoreAwayConsumer.calls.filter((c) => c.lotId === event.lotId).length;
    if (event.reason === 'store-away' && tries <= 2) {
      throw Object.assign(new Error('Server selection timed out after 30000 ms'), { name: 'MongoServerSelectionError' });
    }
  }
}

@Catch()
class Rethrow implements RpcExceptionFilter {
  catch(exception: unknown) {
    return throwError(() => exception);
  }
}

const pickKnown = (raw: Record<string, unknown>) =>
  Object.fromEntries(Object.entries(raw).filter(([k]) => k in new KafkaEnv()));

const testModule = (service: string, controllers: Array<new (...args: never[]) => object>) => {
  @Module({
    imports: [
      ConfigModule.forRoot({
        isGlobal: true,
        ignoreEnvFile: true,
        // The run's broker, prefix and retry delays from the environment, defaults for the rest.
        validate: (raw) => plainToInstance(KafkaEnv, pickKnown(raw), { exposeDefaultValues: true }),
      }),
      MessagingModule.forRoot({ service }),
    ],
    controllers,
    providers: [{ provide: APP_FILTER, useClass: Rethrow }],
  })
  class TestModule {}
  return TestModule;
};

const start = async (service: string, controllers: Array<new (...args: never[]) => object> = [VoidedConsumer]) => {
  const app = await NestFactory.create(testModule(service, controllers), new FastifyAdapter(), { logger: ['error'] });
  app.connectMicroservice({ strategy: app.get(KafkaEventServer) });
  await app.startAllMicroservices();
  await app.init();
  await app.get(KafkaEventServer).joined;
  return app;
};

const voided = (lotId: string, reason: string) =>
  newEvent(LotVoidedV1.type, { lotId, cooperativeId: 'COOP-1', reason, voidedAt: new Date().toISOString() }, { source: 'test' });


describe('KafkaEventServer on a real broker', () => {
  let app: INestApplication;
  let producer: Producer;
  let probe: TopicProbe;
  const topic = TopicProbe.physical(Topics.harvestLots);
  const key = `LOT-${randomUUID()}`; // one key → one partition: ordering is what is under test

  const send = (value: string, headers: Record<string, string>) => producer.send({ topic, messages: [{ key, value, headers }] });

  beforeAll(async () => {
    app = await start('messaging-test');
    const kafka = new Kafka({ brokers: runEnv('KAFKA_BROKERS').split(','), logLevel: logLevel.NOTHING });
    producer = kafka.producer();
    await producer.connect();
    probe = await new TopicProbe().start([deadLetterTopic(Topics.harvestLots)]);
  });

  afterAll(async () => {
    await probe.stop();
    await producer.disconnect();
    await app.close();
  });

  it('parks a failing, a malformed and a contract-violating record in the DLT while later records keep flowing', async () => {
    // Other suites of the run write to the same topic: this one looks at its own lots only.
    const tag = randomUUID().slice(0, 8);
    const failing = voided(`LOT-FAIL-${tag}`, 'explode');
    const before = voided(`LOT-BEFORE-${tag}`, 'typo');
    const after = voided(`LOT-AFTER-${tag}`, 'typo');
    const { data: _d, ...envelope } = voided('LOT-BAD', 'x');

    await send(JSON.stringify(before.data), toHeaders(before));
    await send(JSON.stringify(failing.data), toHeaders(failing));
    await send('{"lotId": not json', toHeaders({ ...envelope, id: randomUUID() }));
    await send(JSON.stringify({ lotId: 'LOT-BAD', reason: 42 }), toHeaders({ ...envelope, id: randomUUID() }));
    await send(JSON.stringify(after.data), toHeaders(after));

    // The records behind the poison ones are handled without waiting for the retries.
    await waitFor(() => VoidedConsumer.seen.includes(`LOT-AFTER-${tag}`), { what: 'LOT-AFTER handled' });
    expect(VoidedConsumer.seen.filter((id) => id.endsWith(tag))).toEqual([`LOT-BEFORE-${tag}`, `LOT-AFTER-${tag}`]);

    const ours = (r: { key: string | null; headers: Record<string, string> }) =>
      r.key === key && r.headers['x-consumer-group'] === app.get(KafkaEventServer).groupId;
    const dead = await probe.expect(ours, { count: 3, what: 'three dead letters' });
    const byKind = Object.fromEntries(dead.map((r) => [r.headers['x-error-kind'], r]));
    expect(Object.keys(byKind).sort()).toEqual(['contract', 'handler', 'malformed']);

    const handler = byKind['handler'];
    expect(handler.headers['ce_id']).toBe(failing.id);
    expect(handler.headers['x-error']).toContain(`boom for LOT-FAIL-${tag}`);
    expect(handler.headers['x-original-topic']).toBe(Topics.harvestLots);
    expect(handler.headers['x-retry-attempt']).toBe('2');
    expect(handler.json).toEqual(failing.data);
    // First delivery, then once per retry topic (KAFKA_RETRY_DELAYS_MS has two delays in tests).
    expect(VoidedConsumer.attempts.get(`LOT-FAIL-${tag}`)).toEqual([0, 1, 2]);

    expect(byKind['malformed'].headers['x-error']).toContain('not JSON');
    expect(byKind['contract'].headers['x-error']).toContain('reason');
  });
});

describe('KafkaEventServer retry levels on a real broker', () => {
  let app: INestApplication;
  let producer: Producer;
  const topic = TopicProbe.physical(Topics.harvestLots);
  const delays = process.env['KAFKA_RETRY_DELAYS_MS'];

  beforeAll(async () => {
    // A long second delay: what waits it out must not hold a first retry back.
    process.env['KAFKA_RETRY_DELAYS_MS'] = '200,6000';
    app = await start('messaging-levels-test');
    process.env['KAFKA_RETRY_DELAYS_MS'] = delays;
    producer = new Kafka({ brokers: runEnv('KAFKA_BROKERS').split(','), logLevel: logLevel.NOTHING }).producer();
    await producer.connect();
  });

  afterAll(async () => {
    await producer.disconnect();
    await app.close();
  });

  it('retries a record at its first level while another waits out a longer delay at the second', async () => {
    const tag = randomUUID().slice(0, 8);
    const [slowLot, quickLot] = [`LOT-SLOW-${tag}`, `LOT-QUICK-${tag}`];
    const slow = voided(slowLot, 'explode');
    const quick = voided(quickLot, 'explode-once');
    await producer.send({ topic, messages: [{ key: slow.key, value: JSON.stringify(slow.data), headers: toHeaders(slow) }] });
    // The slow one failed twice: it now waits 6 s on its second retry topic.
    await waitFor(() => VoidedConsumer.attempts.get(slowLot)?.length === 2, { what: 'the slow record at its second retry' });
    const sent = Date.now();
    await producer.send({ topic, messages: [{ key: quick.key, value: JSON.stringify(quick.data), headers: toHeaders(quick) }] });

    await waitFor(() => VoidedConsumer.seen.includes(quickLot), { what: 'the quick record handled on its first retry', timeoutMs: 5_000 });
    expect(Date.now() - sent).toBeLessThan(4_000);
    expect(VoidedConsumer.attempts.get(quickLot)).toEqual([0, 1]);
    // Still waiting: it was not what the quick one was waiting for.
    expect(VoidedConsumer.attempts.get(slowLot)).toEqual([0, 1]);
  });
});

describe('KafkaEventServer batch handlers on a real broker', () => {
  let app: INestApplication;
  let producer: Producer;
  const topic = TopicProbe.physical(Topics.harvestLots);

  beforeAll(async () => {
    app = await start('messaging-batch-test', [VoidedBatchConsumer]);
    producer = new Kafka({ brokers: runEnv('KAFKA_BROKERS').split(','), logLevel: logLevel.NOTHING }).producer();
    await producer.connect();
  });

  afterAll(async () => {
    await producer.disconnect();
    await app.close();
  });

  it('hands a run of records over in partition order, several at a time, and retries only the one that failed', async () => {
    const tag = randomUUID().slice(0, 8);
    const key = `LOT-${tag}`; // one partition
    const lots = Array.from({ length: 40 }, (_, i) => `LOT-B${String(i).padStart(2, '0')}-${tag}`);
    const events = lots.map((lotId, i) => voided(lotId, i === 17 ? 'explode-once' : 'typo'));
    await producer.send({ topic, messages: events.map((e) => ({ key, value: JSON.stringify(e.data), headers: toHeaders(e) })) });

    const ours = () => VoidedBatchConsumer.calls.map((c) => c.filter((d) => d.lotId.endsWith(tag))).filter((c) => c.length > 0);
    await waitFor(() => ours().flat().length === 41, { what: '40 records handled and one retried' });
    const deliveries = ours().flat();
    // Every record once on first delivery, in the order sent; the failed one once more, on its own, as attempt 1.
    expect(deliveries.filter((d) => d.attempt === 0).map((d) => d.lotId)).toEqual(lots);
    expect(deliveries.filter((d) => d.attempt === 1)).toEqual([{ lotId: lots[17], attempt: 1 }]);
    expect(ours().find((c) => c[0].attempt === 1)).toHaveLength(1);
    // Batched: fewer calls than records.
    expect(ours().filter((c) => c[0].attempt === 0).length).toBeLessThan(40);
  });

  it('does not end a run at a record of a type it does not handle', async () => {
    const tag = randomUUID().slice(0, 8);
    const key = `LOT-${tag}`; // one partition
    const lots = Array.from({ length: 20 }, (_, i) => `LOT-S${String(i).padStart(2, '0')}-${tag}`);
    // Each voided lot followed by a logged one, which this consumer has no handler for.
    const events = lots.flatMap((lotId) => [voided(lotId, 'typo'), newEvent(LotLoggedV1.type, { lotId: `${lotId}-LOGGED` } as never, { source: 'test' })]);
    await producer.send({ topic, messages: events.map((e) => ({ key, value: JSON.stringify(e.data), headers: toHeaders(e) })) });

    const ours = () => VoidedBatchConsumer.calls.map((c) => c.filter((d) => d.lotId.endsWith(tag))).filter((c) => c.length > 0);
    await waitFor(() => ours().flat().length === 20, { what: '20 voided lots handled' });
    expect(ours().flat().map((d) => d.lotId)).toEqual(lots);
    // Runs of one each if the logged records cut them.
    expect(ours().length).toBeLessThan(10);
  });
});

describe('KafkaEventServer when the store does not answer, and with versions it does not know', () => {
  let app: INestApplication;
  let producer: Producer;
  let probe: TopicProbe;
  const topic = TopicProbe.physical(Topics.harvestLots);

  beforeAll(async () => {
    app = await start('messaging-store-away-test', [StoreAwayConsumer]);
    producer = new Kafka({ brokers: runEnv('KAFKA_BROKERS').split(','), logLevel: logLevel.NOTHING }).producer();
    await producer.connect();
    probe = await new TopicProbe().start([deadLetterTopic(Topics.harvestLots), `${Topics.harvestLots}.retry.1`]);
  });

  afterAll(async () => {
    await probe.stop();
    await producer.disconnect();
    await app.close();
  });

  it('holds the partition and tries the record again in place until the store answers: no retry hop, no dead letter, order kept', async () => {
    const tag = randomUUID().slice(0, 8);
    const key = `LOT-${tag}`;
    const away = voided(`LOT-AWAY-${tag}`, 'store-away');
    const next = voided(`LOT-NEXT-${tag}`, 'typo');
    // A later version of a known type: skipped and counted, not dead-lettered.
    const future = { ...voided(`LOT-V2-${tag}`, 'typo'), type: 'firstmile.harvest.lot.voided.v2' };
    await producer.send({ topic, messages: [away, future, next].map((e) => ({ key, value: JSON.stringify(e.data), headers: toHeaders(e as never) })) });

    await waitFor(() => StoreAwayConsumer.calls.some((c) => c.lotId === `LOT-NEXT-${tag}`), { what: 'the record behind the held one handled' });
    const ours = StoreAwayConsumer.calls.filter((c) => c.lotId.endsWith(tag));
    expect(ours.map((c) => [c.lotId, c.attempt])).toEqual([
      [`LOT-AWAY-${tag}`, 0],
      [`LOT-AWAY-${tag}`, 0],
      [`LOT-AWAY-${tag}`, 0],
      [`LOT-NEXT-${tag}`, 0],
    ]);
    // Held with a growing pause: 0.5 s, then 1 s.
    expect(ours[2].at - ours[0].at).toBeGreaterThanOrEqual(1_400);

    const metrics = await (await import('prom-client')).register.getSingleMetricAsString('firstmile_events_skipped_total');
    expect(metrics).toMatch(/firstmile_events_skipped_total\{family="firstmile.harvest.lot.voided",reason="unknown_version"\} [1-9]/);
    await new Promise((r) => setTimeout(r, 1_000));
    const mine = (r: { key: string | null; headers: Record<string, string> }) => r.key === key && r.headers['x-consumer-group'] === app.get(KafkaEventServer).groupId;
    expect(probe.records.filter(mine)).toEqual([]);
  });
});
