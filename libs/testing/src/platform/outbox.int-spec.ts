import { Controller, type INestApplication, Injectable, Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { NestFactory } from '@nestjs/core';
import { InjectModel, MongooseModule, Prop, Schema, SchemaFactory } from '@nestjs/mongoose';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { plainToInstance } from 'class-transformer';
import mongoose, { type Connection, type Model, type mongo } from 'mongoose';
import { getConnectionToken } from '@nestjs/mongoose';
import { LotVoidedV1, Topics } from '@firstmile/contracts';
import { EventPublisher, type EventContext, KafkaEnv, KafkaEventServer, MessagingModule, newEvent, OnEvent } from '@firstmile/messaging';
import {
  appliedEventsPlugin,
  databaseName,
  GroupCommit,
  initialOutbox,
  MongoEnv,
  MongoModule,
  notYetApplied,
  outboxPlugin,
  type OutboxFields,
  OutboxRelay,
  OutboxRelayModule,
  outboxSignal,
  storedEvents,
  withApplied,
  withEvents,
} from '@firstmile/persistence';
import { runEnv } from '../lib/infra';
import { TopicProbe } from '../lib/topic-probe';
import { waitFor } from '../lib/wait';

/** An aggregate that stages events, and a counter that absorbs them exactly once. */
@Schema({ collection: 'aggregates', versionKey: false })
class Aggregate implements OutboxFields {
  @Prop({ type: String }) _id!: string;
  @Prop() count!: number;
  appliedEvents?: string[];
  outbox!: OutboxFields['outbox'];
  outboxSize!: number;
}
const AggregateSchema = SchemaFactory.createForClass(Aggregate).plugin(outboxPlugin).plugin(appliedEventsPlugin);

@Injectable()
@Controller()
class CountingConsumer {
  constructor(@InjectModel(Aggregate.name) private readonly model: Model<Aggregate>) {}

  @OnEvent(LotVoidedV1.type)
  async onVoided(event: LotVoidedV1, ctx: EventContext) {
    await this.model.updateOne(
      { _id: `counter-${event.lotId}`, ...notYetApplied(ctx.eventId) },
      withApplied<Aggregate>({ $inc: { count: 1 } }, ctx.eventId),
    );
  }
}

const env = (raw: Record<string, unknown>) => {
  const known = (o: object) => Object.fromEntries(Object.entries(raw).filter(([k]) => k in o));
  return { ...plainToInstance(KafkaEnv, known(new KafkaEnv()), { exposeDefaultValues: true }), ...plainToInstance(MongoEnv, known(new MongoEnv()), { exposeDefaultValues: true }) };
};
const models = MongooseModule.forFeature([{ name: Aggregate.name, schema: AggregateSchema }]);

@Module({
  imports: [
    ConfigModule.forRoot({ isGlobal: true, ignoreEnvFile: true, validate: env }),
    MongoModule.forRoot({ database: 'outbox_test' }),
    MessagingModule.forRoot({ service: 'outbox-test' }),
    models,
    // Scans only at start and when asked (drain): what is published in between came from hints.
    OutboxRelayModule.forModels([Aggregate.name], [models], { pollMs: 3_600_000, batchSize: 200 }),
  ],
  controllers: [CountingConsumer],
})
class TestModule {}

describe('transactional outbox and idempotent consumers on the real broker and store', () => {
  let app: INestApplication | undefined;
  let probe: TopicProbe;
  const lotId = `LOT-${Date.now().toString(36)}`;
  const voided = (reason: string) =>
    newEvent(LotVoidedV1.type, { lotId, cooperativeId: 'COOP-1', reason, voidedAt: new Date().toISOString() }, { source: 'test' });

  const start = async () => {
    const nest = await NestFactory.create(TestModule, new FastifyAdapter(), { logger: ['error'] });
    nest.connectMicroservice({ strategy: nest.get(KafkaEventServer) });
    await nest.startAllMicroservices();
    await nest.init();
    await nest.get(KafkaEventServer).joined;
    return nest;
  };
  const live = () => {
    if (!app) throw new Error('app not started');
    return app;
  };
  const model = () => live().get<Model<Aggregate>>(`${Aggregate.name}Model`);
  const copiesOf = (id: string) => probe.records.filter((r) => r.headers['ce_id'] === id).length;

  beforeAll(async () => {
    probe = await new TopicProbe().start([Topics.harvestLots]);
  });

  afterAll(async () => {
    await app?.close();
    await probe.stop();
  });

  it('publishes what a crashed writer staged, once, when the relay comes back', async () => {
    // The state change and its event were written; the process died before the relay ran.
    const staged = voided('staged before the crash');
    const conn = await mongoose
      .createConnection(runEnv('MONGO_URL'), { dbName: databaseName(process.env['MONGO_DB_PREFIX'] ?? '', 'outbox_test') })
      .asPromise();
    await conn.model(Aggregate.name, AggregateSchema).create({ _id: `counter-${lotId}`, count: 0, ...initialOutbox([staged]) });
    await conn.close();
    expect(copiesOf(staged.id)).toBe(0);

    app = await start();
    await probe.expect((r) => r.headers['ce_id'] === staged.id, { what: 'the staged event on the topic' });
    await waitFor(async () => (await model().findById(`counter-${lotId}`).lean())?.outboxSize === 0, { what: 'outbox emptied' });
    await waitFor(async () => (await model().findById(`counter-${lotId}`).lean())?.count === 1, { what: 'event applied' });
    // Give a second (wrong) publication time to show up before asserting there is none.
    await app.get(OutboxRelay).drain();
    expect(copiesOf(staged.id)).toBe(1);
    expect(probe.records.find((r) => r.headers['ce_id'] === staged.id)?.headers).toMatchObject({
      ce_type: LotVoidedV1.type,
      ce_specversion: '1.0',
      ce_source: 'test',
      ce_subject: lotId,
      'content-type': 'application/json',
    });
  });

  it('applies an event once even when the relay published it twice (crash after publish, before the pull)', async () => {
    const twice = voided('published twice');
    await model().updateOne({ _id: `counter-${lotId}` }, { $push: { outbox: twice }, $inc: { outboxSize: 1 } });
    // Simulate the crash window: the event is on the topic but still in the outbox...
    await live().get(EventPublisher).publish([twice]);
    // ...so the relay publishes it again when it next runs.
    await live().get(OutboxRelay).drain();

    await probe.expect((r) => r.headers['ce_id'] === twice.id, { count: 2, what: 'two copies of the event' });
    await waitFor(async () => (await model().findById(`counter-${lotId}`).lean())?.appliedEvents?.includes(twice.id), { what: 'applied' });
    // Let the second copy be consumed too: the relay's next event acts as a barrier on the same partition.
    const barrier = voided('barrier');
    await model().updateOne({ _id: `counter-${lotId}` }, { $push: { outbox: barrier }, $inc: { outboxSize: 1 } });
    await waitFor(async () => (await model().findById(`counter-${lotId}`).lean())?.appliedEvents?.includes(barrier.id), { what: 'barrier applied' });

    const counter = await model().findById(`counter-${lotId}`).lean<Aggregate & { appliedEvents: string[] }>();
    expect(counter?.count).toBe(3); // staged + twice (once) + barrier
    expect(counter?.appliedEvents.filter((id) => id === twice.id)).toHaveLength(1);
  });

  it('publishes what a write of this process staged at once, and what another process staged at its next scan', async () => {
    const mine = voided('staged by this process');
    await model().create({ _id: `mine-${lotId}`, count: 0, ...initialOutbox([mine]) });
    await probe.expect((r) => r.headers['ce_id'] === mine.id, { what: 'the event this process staged' });
    // Published as the insert handed it over, without reading the document back: the pull must
    // still match the stored entry exactly.
    await waitFor(async () => (await model().findById(`mine-${lotId}`).lean())?.outboxSize === 0, { what: 'the insert\'s outbox emptied' });
    expect(await model().findById(`mine-${lotId}`).lean()).toMatchObject({ outbox: [] });

    // Written past this process's models (another replica, or the mongo shell): no hint, no scan
    // for an hour — so it stays until the relay is asked to scan.
    const theirs = voided('staged by another process');
    await model().collection.insertOne({ _id: `theirs-${lotId}` as never, count: 0, ...initialOutbox([theirs]) });
    const kick = voided('a later write of this process');
    await model().updateOne({ _id: `mine-${lotId}` }, { $push: { outbox: kick }, $inc: { outboxSize: 1 } });
    await probe.expect((r) => r.headers['ce_id'] === kick.id, { what: 'the later event, from its hint' });
    await new Promise((r) => setTimeout(r, 500)); // same key, same partition: a scan's copy would be here by now
    expect(copiesOf(theirs.id)).toBe(0);
    await live().get(OutboxRelay).drain();
    await probe.expect((r) => r.headers['ce_id'] === theirs.id, { what: 'the other process\'s event, from the scan' });
  });

  it('publishes each of a busy document\'s events once and in order, while earlier ones still wait for their pull', async () => {
    const id = `busy-${lotId}`;
    await model().create({ _id: id, count: 0, ...initialOutbox([]) });
    const events = Array.from({ length: 60 }, (_, i) => voided(`busy ${i}`));
    // Each write wakes the relay: its passes read the document again while the pulls of what they
    // published before are still under way.
    for (const e of events) await model().updateOne({ _id: id }, { $push: { outbox: e }, $inc: { outboxSize: 1 } });
    await live().get(OutboxRelay).drain();
    expect(await model().findById(id).lean()).toMatchObject({ outbox: [], outboxSize: 0 });
    await probe.expect((r) => r.headers['ce_id'] === events[59].id, { what: 'the last event' });
    await new Promise((r) => setTimeout(r, 500)); // same key, same partition: a second copy would be here by now
    const published = probe.records.map((r) => r.headers['ce_id']).filter((ceId) => events.some((e) => e.id === ceId));
    expect(published).toEqual(events.map((e) => e.id));
  });

  it('publishes what an update handed over with the outbox it left, without reading it back, once and in order', async () => {
    const id = `handed-${lotId}`;
    const first = voided('handed 1');
    // Staged by another process: no hint, so nothing is published until the update's.
    await model().collection.insertOne({ _id: id as never, count: 0, ...initialOutbox([first]) });
    const read = await model().findById(id, { outboxSize: 0 }).lean<Aggregate>();
    const more = [voided('handed 2'), voided('handed 3')];
    // A bulk write runs no middleware: the writer hands the outbox over itself (as OrdersRepository does).
    await model().bulkWrite([{ updateOne: { filter: { _id: id }, update: withEvents<Aggregate>({ $inc: { count: 0 } }, more) as never } }]);
    // The entries as the update stored them, field for field and in order: what a $pullAll must match.
    const stored = (await model().collection.findOne({ _id: id as never }))?.['outbox'] as unknown[];
    expect(JSON.stringify(stored.slice(1))).toBe(JSON.stringify(storedEvents(model(), more)));
    outboxSignal.emit('staged', model().collection.collectionName, [id], [[...(read?.outbox ?? []), ...storedEvents(model(), more)]]);
    await waitFor(async () => (await model().findById(id).lean())?.outboxSize === 0, { what: 'the handed-over outbox emptied' });
    expect(await model().findById(id).lean()).toMatchObject({ outbox: [], outboxSize: 0 });
    await probe.expect((r) => r.headers['ce_id'] === more[1].id, { what: 'the last event' });
    await new Promise((r) => setTimeout(r, 500));
    const published = probe.records.map((r) => r.headers['ce_id']).filter((ceId) => [first, ...more].some((e) => e.id === ceId));
    expect(published).toEqual([first, ...more].map((e) => e.id));
  });

  it('publishes what a group commit inserted as its insertMany handed it over, also beside a refused duplicate', async () => {
    const group = new GroupCommit(model(), { lingerMs: 50, maxDocs: 100, concurrency: 1 });
    const docs = Array.from({ length: 5 }, (_, i) => ({ id: `group-${lotId}-${i}`, event: voided(`group ${i}`) }));
    const duplicate = voided('a duplicate of the first, never stored');
    // Every command the relay sends to the collection while it publishes the group.
    const client = live().get<Connection>(getConnectionToken()).getClient();
    const commands: string[] = [];
    const count = (e: mongo.CommandStartedEvent) => {
      if (e.command[e.commandName] === 'aggregates') commands.push(e.commandName);
    };
    client.on('commandStarted', count);
    try {
      const answers = await Promise.all([
        ...docs.map((d) => group.insert({ _id: d.id, count: 0, ...initialOutbox([d.event]) })),
        group.insert({ _id: docs[0].id, count: 0, ...initialOutbox([duplicate]) }),
      ]);
      expect(answers).toEqual([true, true, true, true, true, false]);
      await probe.expect((r) => docs.some((d) => d.event.id === r.headers['ce_id']), { count: 5, what: 'the group\'s 5 events' });
      await waitFor(async () => (await model().countDocuments({ _id: { $in: docs.map((d) => d.id) }, outboxSize: 0 })) === 5, { what: 'the group\'s outboxes emptied' });
    } finally {
      client.off('commandStarted', count);
    }
    // One insert for the six; the relay read none of them back (the rest: the pulls and this test's counts).
    expect(commands.filter((c) => c === 'insert')).toEqual(['insert']);
    expect(commands.filter((c) => c === 'find')).toEqual([]);
    expect(await model().find({ _id: { $in: docs.map((d) => d.id) } }).sort({ _id: 1 }).lean()).toEqual(
      docs.map((d) => expect.objectContaining({ _id: d.id, outbox: [], outboxSize: 0 })),
    );
    await new Promise((r) => setTimeout(r, 500)); // a copy, or the refused duplicate's event, would be here by now
    expect(docs.map((d) => copiesOf(d.event.id))).toEqual([1, 1, 1, 1, 1]);
    expect(copiesOf(duplicate.id)).toBe(0);
  });

  it('keeps every outbox exact when two relays (two replicas) publish and pull the same documents while more is staged', async () => {
    const ids = Array.from({ length: 40 }, (_, i) => `race-${lotId}-${i}`);
    const staged: string[] = [];
    const stage = (reason: string) => {
      const e = voided(reason);
      staged.push(e.id);
      return e;
    };
    // Written past this process's models: only the relays' scans find them.
    await model().collection.insertMany(ids.map((_id, i) => ({ _id: _id as never, count: 0, ...initialOutbox([stage(`race ${i}`)]) })));
    const other = new OutboxRelay([model() as never], live().get(EventPublisher), { pollMs: 3_600_000, batchSize: 200 });
    const mine = live().get(OutboxRelay);
    // Both relays drain while each document gets one more event: pulls race pulls and pushes.
    await Promise.all([
      mine.drain(),
      other.drain(),
      ...ids.map((_id, i) => model().collection.updateOne({ _id: _id as never }, { $push: { outbox: stage(`race more ${i}`) as never }, $inc: { outboxSize: 1 } })),
      mine.drain(),
      other.drain(),
    ]);
    for (const relay of [mine, other, mine]) await relay.drain();
    const docs = await model().find({ _id: { $in: ids } }).lean();
    expect(docs.map((d) => [d.outbox.length, d.outboxSize])).toEqual(ids.map(() => [0, 0]));
    // Nothing emptied that was not published; twice is allowed (consumers dedupe by event id).
    await waitFor(() => staged.every((id) => copiesOf(id) > 0), { what: 'every staged event on the topic, at least once' });
  });

  it('drains a backlog across many aggregates at once (one relay pass touches 150 documents)', async () => {
    const staged = Array.from({ length: 150 }, (_, i) => ({ id: `bulk-${lotId}-${i}`, event: voided(`backlog ${i}`) }));
    await model().insertMany(staged.map(({ id, event }) => ({ _id: id, count: 0, ...initialOutbox([event]) })));
    await live().get(OutboxRelay).drain();
    await waitFor(async () => (await model().countDocuments({ _id: { $in: staged.map((s) => s.id) }, outboxSize: { $gt: 0 } })) === 0, {
      what: 'every outbox emptied',
      timeoutMs: 60_000,
    });
    await probe.expect((r) => staged.some((s) => s.event.id === r.headers['ce_id']), { count: 150, what: '150 events published' });
  });
});
