import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { type Admin, AssignerProtocol, Partitioners, type Producer } from 'kafkajs';
import mongoose from 'mongoose';
import {
  ALL_TOPICS,
  LotGradedV1,
  LotLoggedV1,
  OrderPlacedV1,
  OrderRoutedV1,
  ReserveStockV1,
  ShipmentCreatedV1,
  ShipmentStatusChangedV1,
  StockDispatchedV1,
  StockReceivedV1,
  StockReservedV1,
  type Topic,
  toHeaders,
  Topics,
} from '@firstmile/contracts';
import { REPO_ROOT, type ProbedRecord, runEnv, TopicProbe, waitFor } from '@firstmile/testing';
import { client, type ServiceName, startStack, type Stack } from './stack';

/**
 * Poison messages, end to end: the four services as processes on one stack. Hostile records are
 * produced straight onto every topic the services consume (and onto the first retry topic of
 * each), on one fixed partition, followed by a valid event on the same partition. Every poison
 * record must land on `<topic>.dlt` once for every consumer group that reads the topic, with the
 * error headers, and the valid record behind it must be applied. Then dead letters whose cause goes
 * away are replayed with the documented command (tools/dev/replay-dlt.mjs) and applied exactly once.
 */
const STACK = 'poison';
const WH = 'WH-LIXIAN-ORIGIN';
const SERVICES: ServiceName[] = ['harvest-intake', 'grading', 'warehouse', 'order-routing', 'insights'];

/** Who reads what (the @OnEvent handlers); the test checks it against what the broker reports. */
const READERS: Record<Topic, ServiceName[]> = {
  [Topics.harvestLots]: ['grading', 'insights'],
  [Topics.gradingLots]: ['grading', 'harvest-intake', 'warehouse', 'insights'],
  [Topics.warehouseStock]: ['grading', 'order-routing', 'insights'],
  [Topics.warehouseCommands]: ['warehouse'],
  [Topics.orders]: ['order-routing', 'insights'],
  [Topics.shipments]: ['grading', 'order-routing', 'insights'],
};
/** Per topic: a type every reader of the topic handles (for the contract breach), and one that belongs elsewhere. */
const HANDLED_BY_ALL: Record<Topic, string> = {
  [Topics.harvestLots]: LotLoggedV1.type,
  [Topics.gradingLots]: LotGradedV1.type,
  [Topics.warehouseStock]: StockReceivedV1.type,
  [Topics.warehouseCommands]: ReserveStockV1.type,
  [Topics.orders]: OrderRoutedV1.type,
  [Topics.shipments]: ShipmentStatusChangedV1.type,
};
const ELSEWHERE: Record<Topic, string> = {
  [Topics.harvestLots]: OrderPlacedV1.type,
  [Topics.gradingLots]: LotLoggedV1.type,
  [Topics.warehouseStock]: ReserveStockV1.type,
  [Topics.warehouseCommands]: StockReservedV1.type,
  [Topics.orders]: ShipmentCreatedV1.type,
  [Topics.shipments]: OrderRoutedV1.type,
};

interface Poison {
  kind: string;
  errorKind: 'malformed' | 'contract';
  error: RegExp;
  value: string | null;
  headers: Record<string, string>;
}

const envelope = (type: string, subject?: string) =>
  toHeaders({ id: randomUUID(), type, source: 'firstmile-e2e/poison', time: new Date().toISOString(), ...(subject ? { subject } : {}) });

/** The hostile records for one topic: none of them may hold the partition, all of them are parked. */
function poisons(topic: Topic): Poison[] {
  const type = HANDLED_BY_ALL[topic];
  return [
    // Headers that claim the record came from elsewhere must not send the dead letter to a topic that does not exist.
    { kind: 'not-json', errorKind: 'malformed', error: /not JSON/, value: '{"lotId": "LOT-1", oops', headers: { ...envelope(type), 'x-original-topic': 'nowhere', 'x-retry-attempt': 'many' } },
    { kind: 'json-without-headers', errorKind: 'malformed', error: /missing CloudEvents headers/, value: '{"hello":"world"}', headers: {} },
    { kind: 'unknown-type', errorKind: 'contract', error: /unknown event type firstmile\.nobody\.knows\.v1/, value: '{"hello":"world"}', headers: envelope('firstmile.nobody.knows.v1') },
    { kind: 'contract', errorKind: 'contract', error: / must /, value: JSON.stringify({ quantityKg: -1, note: 'breaks the contract' }), headers: envelope(type) },
    { kind: 'wrong-topic', errorKind: 'contract', error: new RegExp(`belongs on topic (?!${topic.replaceAll('.', '\\.')}\\b)`), value: '{"orderId":"ORD-1"}', headers: envelope(ELSEWHERE[topic]) },
    { kind: 'empty-value', errorKind: 'malformed', error: /not JSON/, value: '', headers: envelope(type) },
    { kind: 'tombstone', errorKind: 'malformed', error: /empty value/, value: null, headers: envelope(type) },
    { kind: 'bare-tombstone', errorKind: 'malformed', error: /missing CloudEvents headers/, value: null, headers: {} },
  ];
}

interface Injected extends Poison {
  topic: Topic;
  physicalTopic: string;
  partition: number;
  offset: string;
  key: string;
  attempt: '0' | '1';
}

const physical = (topic: string) => TopicProbe.physical(`${STACK}.${topic}`);
const iso = (msAgo = 0) => new Date(Date.now() - msAgo).toISOString();
const run = promisify(execFile);

/** The documented replay command, run as a user runs it. */
async function replay(dlt: string, ...args: string[]): Promise<string> {
  const { stdout } = await run(
    process.execPath,
    [path.join('tools', 'dev', 'replay-dlt.mjs'), dlt, '--brokers', runEnv('KAFKA_BROKERS'), '--prefix', physical(''), ...args],
    { cwd: REPO_ROOT, timeout: 30_000 },
  );
  return stdout;
}
const summary = (stdout: string) => {
  const m = /(\d+) (?:replayed|would be replayed)[^,]*, (\d+) already replayed, (\d+) left out/.exec(stdout);
  if (!m) throw new Error(`no summary in: ${stdout}`);
  return { replayed: Number(m[1]), already: Number(m[2]), leftOut: Number(m[3]) };
};

describe('poison messages on every topic, and replaying dead letters', () => {
  let stack: Stack;
  let admin: Admin;
  let producer: Producer;
  let probe: TopicProbe;
  let db: mongoose.Connection;
  const injected: Injected[] = [];
  // The service's name on the broker: `x-consumer-group` of what it parks; its groups are `<name>.<topic>` and `<name>.retry.<n>`.
  const groupOf = (service: ServiceName) => physical(service);
  const tag = randomUUID().slice(0, 8).toUpperCase();

  const ops = () => client(stack, { role: 'ops', sub: 'ops-poison' });
  const line = () => client(stack, { role: 'grading_line', warehouses: [WH], sub: 'line-poison' });

  const send = async (topic: string, partition: number, key: string, value: string | null, headers: Record<string, string>) => {
    const [meta] = await producer.send({ topic: physical(topic), acks: -1, messages: [{ partition, key, value, headers }] });
    return (meta.baseOffset ?? meta.offset) as string;
  };
  const sendEvent = (topic: Topic, partition: number, type: string, key: string, data: object) => send(topic, partition, key, JSON.stringify(data), envelope(type, key));

  /** The partition the services' producer (kafkajs's default partitioner) puts a key on. */
  const partitionOf = async (topic: Topic, key: string) => {
    const { topics } = await admin.fetchTopicMetadata({ topics: [physical(topic)] });
    return Partitioners.DefaultPartitioner()({ topic: physical(topic), partitionMetadata: topics[0].partitions, message: { key, value: null } });
  };

  /** Σ of a counter over a service's /metrics lines carrying every given label. */
  const metric = async (service: ServiceName, name: string, labels: Record<string, string>) => {
    const text = await (await fetch(stack.url(service, '/metrics'))).text();
    return text
      .split('\n')
      .filter((l) => l.startsWith(`${name}{`) && Object.entries(labels).every(([k, v]) => l.includes(`${k}="${v}"`)))
      .reduce((sum, l) => sum + Number(l.split(' ').pop()), 0);
  };
  const committed = async (group: string, topic: string, partition: number) => {
    const [t] = await admin.fetchOffsets({ groupId: group, topics: [physical(topic)] });
    return BigInt(t.partitions.find((p) => p.partition === partition)?.offset ?? '-1');
  };
  const deadLetters = (predicate: (r: ProbedRecord) => boolean = () => true) => probe.records.filter((r) => r.topic.endsWith('.dlt') && predicate(r));

  beforeAll(async () => {
    stack = await startStack(STACK);
    const kafka = TopicProbe.kafka();
    admin = kafka.admin();
    await admin.connect();
    producer = kafka.producer({ allowAutoTopicCreation: false, createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    probe = await new TopicProbe().start([...ALL_TOPICS.map((t) => `${STACK}.${t}.dlt`), `${STACK}.${Topics.shipments}`, `${STACK}.${Topics.gradingLots}`]);
    db = await mongoose.createConnection(runEnv('MONGO_URL')).asPromise();
  });

  afterAll(async () => {
    await probe?.stop();
    await producer?.disconnect();
    await admin?.disconnect();
    await db?.close();
    await stack?.stop();
  });

  // The real lot, graded through the services, whose sub-lots the valid events below talk about.
  let lotId = '';
  let subLots: Array<{ id: string; grade: string; quantityKg: number; traceCode: string }> = [];

  it('parks every poison record of every topic for every group that reads it, and the partition keeps flowing', async () => {
    // Which group reads which topic, as the broker has it (one member per group: it holds every partition).
    const readers = await waitFor(
      async () => {
        const main = ALL_TOPICS.flatMap((t) => READERS[t].map((s) => `${groupOf(s)}.${t}`));
        const described = await admin.describeGroups([...main, ...SERVICES.map((s) => `${groupOf(s)}.retry.1`)]);
        const map = new Map<string, string[]>();
        for (const g of described.groups) {
          if (g.state !== 'Stable' || g.members.length === 0) return undefined;
          for (const m of g.members) {
            for (const t of Object.keys(AssignerProtocol.MemberAssignment.decode(m.memberAssignment)?.assignment ?? {})) {
              map.set(t, [...(map.get(t) ?? []), g.groupId].sort());
            }
          }
        }
        return map;
      },
      { what: 'every consumer group stable' },
    );
    for (const topic of ALL_TOPICS) {
      expect(readers.get(physical(topic))).toEqual(READERS[topic].map((s) => `${groupOf(s)}.${topic}`).sort());
      expect(readers.get(physical(`${topic}.retry.1`))).toEqual(READERS[topic].map((s) => `${groupOf(s)}.retry.1`).sort());
    }
    expect([...readers.keys()].filter((t) => !t.includes('.retry.')).sort()).toEqual(ALL_TOPICS.map(physical).sort());

    // A real lot: harvest-intake logs it, grading hears of it.
    const coop = await ops().post<{ id: string }>('harvest-intake', '/v1/cooperatives', { name: 'Lixian Poison Test Cooperative', county: 'CN-GS-LIXIAN', province: 'Gansu', location: { lat: 34.19, lon: 105.18 } });
    const manager = client(stack, { role: 'coop_manager', coop: coop.body.id, sub: 'manager-poison' });
    const grower = await manager.post<{ id: string }>('harvest-intake', `/v1/cooperatives/${coop.body.id}/growers`, { name: 'Li Wei', phone: '+86 138 0931 0002' });
    const orchard = await manager.post<{ id: string }>('harvest-intake', `/v1/cooperatives/${coop.body.id}/orchards`, {
      growerId: grower.body.id, name: 'North terrace', areaMu: 6, location: { lat: 34.15, lon: 105.1 }, produce: 'apple', variety: 'Fuji',
    });
    const lot = await manager.post<{ id: string }>(
      'harvest-intake',
      '/v1/lots',
      { cooperativeId: coop.body.id, growerId: grower.body.id, orchardId: orchard.body.id, produce: 'apple', variety: 'Fuji', harvestedAt: iso(86_400_000), quantityKg: 500, originWarehouseId: WH },
      { 'idempotency-key': randomUUID() },
    );
    expect([coop.status, grower.status, orchard.status, lot.status]).toEqual([201, 201, 201, 201]);
    lotId = lot.body.id;
    await waitFor(async () => (await line().get('grading', `/v1/lots/${lotId}/grading`)).status === 200, { what: 'grading to know the lot' });

    // One fixed partition per topic; grading.lots takes the real lot's, where grading will publish its grading.
    const partitions = Object.fromEntries(ALL_TOPICS.map((t, i) => [t, (i * 5 + 1) % 6])) as Record<Topic, number>;
    partitions[Topics.gradingLots] = await partitionOf(Topics.gradingLots, lotId);

    // The poison: every kind on every topic and on its first retry topic, all on the topic's partition.
    for (const topic of ALL_TOPICS) {
      for (const [onTopic, attempt] of [[topic, '0'], [`${topic}.retry.1`, '1']] as const) {
        for (const p of poisons(topic)) {
          const key = `POISON-${tag}-${topic}-${attempt}-${p.kind}`;
          const offset = await send(onTopic, partitions[topic], key, p.value, p.headers);
          injected.push({ ...p, topic, physicalTopic: physical(onTopic), partition: partitions[topic], offset, key, attempt });
        }
      }
    }

    // Then one valid event per topic, on the same partition, each with an effect to look for.
    const valid = new Map<Topic, string>();
    const loggedLot = `LOT-PZN-${tag}`;
    valid.set(
      Topics.harvestLots,
      await sendEvent(Topics.harvestLots, partitions[Topics.harvestLots], LotLoggedV1.type, loggedLot, {
        lotId: loggedLot,
        cooperative: { id: coop.body.id, name: 'Lixian Poison Test Cooperative', county: 'CN-GS-LIXIAN', province: 'Gansu' },
        growerId: grower.body.id,
        orchard: { id: orchard.body.id, name: 'North terrace', location: { lat: 34.15, lon: 105.1 } },
        produce: 'apple',
        variety: 'Fuji',
        harvestedAt: iso(86_400_000),
        quantityKg: 300,
        originWarehouseId: WH,
        loggedAt: iso(),
      } satisfies LotLoggedV1),
    );
    // grading.lots: grading's own lot.graded, published by the service on the partition of the poison.
    const graded = await line().post<{ subLots: Array<{ id: string; grade: string; quantityKg: number; traceCode: string }> }>('grading', `/v1/lots/${lotId}/grading`, {
      bands: [{ grade: 'premium', quantityKg: 200 }, { grade: 'grade_1', quantityKg: 250 }],
    });
    expect(graded.status).toBe(201);
    subLots = graded.body.subLots;
    const [gradedRecord] = await probe.expect((r) => r.topic === physical(Topics.gradingLots) && r.key === lotId, { what: 'lot.graded on grading.lots' });
    expect(gradedRecord.partition).toBe(partitions[Topics.gradingLots]);
    const lastPoison = (onTopic: string) => injected.filter((i) => i.physicalTopic === physical(onTopic)).at(-1)?.offset ?? 'none';
    expect(BigInt(gradedRecord.offset)).toBeGreaterThan(BigInt(lastPoison(Topics.gradingLots)));
    valid.set(Topics.gradingLots, gradedRecord.offset);

    // The warehouse holds the graded stock (grading.lots → warehouse).
    const operatorStock = async () =>
      (await ops().get<{ items: Array<{ subLotId: string; lotId: string; onHandKg: number; reservedKg: number }> }>('warehouse', `/v1/warehouses/${WH}/stock?produce=apple`)).body.items.filter((i) => i.lotId === lotId);
    const stocked = await waitFor(async () => ((await operatorStock()).length === 2 ? operatorStock() : undefined), { what: 'graded stock at the warehouse' });
    expect(Object.fromEntries(stocked.map((s) => [s.subLotId, s.onHandKg]))).toEqual(Object.fromEntries(subLots.map((s) => [s.id, s.quantityKg])));
    const [first] = subLots;
    const dcXian = { lat: 34.34, lon: 108.94 };
    const item = (warehouseId: string, location: { lat: number; lon: number }, onHandKg: number, reservedKg: number, version: number) => ({
      warehouseId, warehouseLocation: location, subLotId: first.id, lotId, produce: 'apple', variety: 'Fuji', grade: first.grade, brand: null,
      traceCode: first.traceCode, bestBefore: new Date(Date.now() + 60 * 86_400_000).toISOString(), stock: { onHandKg, reservedKg, availableKg: onHandKg - reservedKg, version },
    });
    const transferId = `TR-PZN-${tag}`;
    valid.set(
      Topics.warehouseStock,
      await sendEvent(Topics.warehouseStock, partitions[Topics.warehouseStock], StockReceivedV1.type, first.id, {
        ...item('DC-XIAN', dcXian, 10, 0, 1), quantityKg: 10, via: 'transfer', transferId, receivedAt: iso(),
      } satisfies StockReceivedV1),
    );
    const orderId = `ORD-PZN-${tag}`;
    const shipmentId = `SHP-PZN-${tag}`;
    valid.set(
      Topics.warehouseCommands,
      await sendEvent(Topics.warehouseCommands, partitions[Topics.warehouseCommands], ReserveStockV1.type, first.id, {
        reservationId: `RES-PZN-${tag}`, orderId, warehouseId: WH, subLotId: first.id, quantityKg: 10, mustLastUntil: new Date(Date.now() + 3 * 86_400_000).toISOString(), requestedAt: iso(),
      } satisfies ReserveStockV1),
    );
    const destination = { city: "Xi'an", location: dcXian };
    valid.set(
      Topics.orders,
      await sendEvent(Topics.orders, partitions[Topics.orders], OrderRoutedV1.type, orderId, {
        orderId, buyerId: 'BUYER-PZN', destination, placedAt: iso(60_000), routedAt: iso(),
        allocations: [{ line: 0, warehouseId: WH, subLotId: first.id, quantityKg: 10, reservationId: `RES-PZN-${tag}`, shipmentId, warehouseLocation: { lat: 34.19, lon: 105.18 } }],
      } satisfies OrderRoutedV1),
    );
    const inTransitAt = iso(1000);
    valid.set(
      Topics.shipments,
      await sendEvent(Topics.shipments, partitions[Topics.shipments], ShipmentStatusChangedV1.type, shipmentId, {
        shipmentId, orderId, warehouseId: WH, status: 'in_transit', subLotIds: [first.id], at: inTransitAt, location: { name: 'Tianshui hub', location: { lat: 34.58, lon: 105.72 } },
      } satisfies ShipmentStatusChangedV1),
    );

    // Every valid record was applied — each topic's effect, seen through the services.
    // harvest.lots → grading
    expect((await waitFor(async () => { const r = await line().get<{ status: string }>('grading', `/v1/lots/${loggedLot}/grading`); return r.status === 200 ? r.body : undefined; }, { what: 'grading knows the logged lot' })).status).toBe('pending');
    // grading.lots → harvest-intake and grading (the warehouse's is above)
    await waitFor(async () => (await manager.get<{ status: string }>('harvest-intake', `/v1/lots/${lotId}`)).body.status === 'graded', { what: 'harvest-intake records the grading' });
    await waitFor(async () => (await client(stack, null).get('grading', `/v1/provenance/${first.traceCode}`)).status === 200, { what: 'grading confirms the trace code' });
    // warehouse.stock → order-routing (its stock view) and grading (the journey)
    // order-routing's own database (`<prefix>firstmile_orders`, the stack's prefix inside the run's).
    const views = db.useDb(`${runEnv('MONGO_DB_PREFIX')}${STACK}_firstmile_orders`).collection('stock_positions');
    const view = await waitFor(() => views.findOne({ _id: `DC-XIAN|${first.id}` as never }), { what: "order-routing's stock view of the transfer" });
    expect(view).toMatchObject({ onHandKg: 10, version: 1 });
    type Journey = { journey: Array<{ step: string; place: { warehouseId?: string; name?: string } }> };
    const journey = async () => (await client(stack, null).get<Journey>('grading', `/v1/provenance/${first.traceCode}`)).body.journey;
    await waitFor(async () => (await journey()).some((j) => j.step === 'received' && j.place.warehouseId === 'DC-XIAN'), { what: 'the transfer in the journey' });
    // warehouse.commands → warehouse
    await waitFor(async () => (await operatorStock()).find((s) => s.subLotId === first.id)?.reservedKg === 10, { what: 'the reservation held' });
    // orders → order-routing
    const shipment = await waitFor(async () => { const r = await client(stack, { role: 'logistics_operator', sub: 'lo-poison' }).get<{ status: string }>('order-routing', `/v1/shipments/${shipmentId}`); return r.status === 200 ? r.body : undefined; }, { what: 'the shipment created' });
    expect(shipment.status).toBe('created');
    // shipments → grading
    await waitFor(async () => (await journey()).some((j) => j.step === 'in_transit'), { what: 'in transit in the journey' });

    // Every group moved past the valid record of every topic it reads (commit follows the effect),
    // and every retry group past the poison on the retry topic.
    for (const topic of ALL_TOPICS) {
      for (const service of READERS[topic]) {
        await waitFor(async () => (await committed(`${groupOf(service)}.${topic}`, topic, partitions[topic])) > BigInt(valid.get(topic) ?? 'none'), { what: `${service} past the valid record on ${topic}` });
        await waitFor(async () => (await committed(`${groupOf(service)}.retry.1`, `${topic}.retry.1`, partitions[topic])) > BigInt(lastPoison(`${topic}.retry.1`)), {
          what: `${service} past the poison on ${topic}.retry.1`,
        });
      }
    }

    // The dead letters: each poison record once per reader, with the error and where it came from.
    const expected = injected.reduce((n, i) => n + READERS[i.topic].length, 0);
    const ours = (r: ProbedRecord) => r.key?.startsWith(`POISON-${tag}-`) === true;
    await waitFor(() => deadLetters(ours).length >= expected, { what: `${expected} dead letters`, timeoutMs: 20_000 });
    for (const p of injected) {
      const dead = deadLetters((r) => r.key === p.key);
      expect({ key: p.key, groups: dead.map((r) => r.headers['x-consumer-group']).sort() }).toEqual({ key: p.key, groups: READERS[p.topic].map(groupOf).sort() });
      for (const r of dead) {
        expect(r.topic).toBe(physical(`${p.topic}.dlt`));
        expect({ key: p.key, kind: r.headers['x-error-kind'], error: r.headers['x-error'] }).toEqual({ key: p.key, kind: p.errorKind, error: expect.stringMatching(p.error) });
        expect(r.headers).toMatchObject({
          'x-original-topic': p.topic,
          'x-original-physical-topic': p.physicalTopic,
          'x-original-partition': String(p.partition),
          'x-original-offset': p.offset,
          'x-retry-attempt': p.attempt,
        });
        expect(Number.isNaN(Date.parse(r.headers['x-failed-at']))).toBe(false);
        expect(r.value).toBe(p.value);
        for (const h of ['ce_id', 'ce_type', 'ce_source']) expect(r.headers[h]).toBe(p.headers[h]);
      }
    }
    // Nothing else was parked: the valid events went through.
    expect(deadLetters()).toHaveLength(expected);
    let counted = 0;
    for (const s of SERVICES) counted += await metric(s, 'firstmile_events_dead_lettered_total', {});
    expect(counted).toBe(expected);
    process.stderr.write(
      `[poison] ${ALL_TOPICS.length} topics (+ ${ALL_TOPICS.length} retry topics), ${injected.length} poison records, ${expected} dead letters, ${valid.size} valid records applied after them\n`,
    );
  });

  it('replays dead letters after the cause is fixed with the documented command: applied exactly once', async () => {
    expect(subLots.length).toBeGreaterThan(0);
    const [, second] = subLots;
    const deadBefore = deadLetters().length;

    // (1) Retries exhausted: a dispatch overtakes the order.routed that creates its shipment.
    const shipmentId = `SHP-RPL-${tag}`;
    const orderId = `ORD-RPL-${tag}`;
    const dispatchedItem = {
      warehouseId: WH, warehouseLocation: { lat: 34.19, lon: 105.18 }, subLotId: second.id, lotId, produce: 'apple', variety: 'Fuji', grade: second.grade, brand: null,
      traceCode: second.traceCode, bestBefore: new Date(Date.now() + 60 * 86_400_000).toISOString(), stock: { onHandKg: 0, reservedKg: 0, availableKg: 0, version: 0 },
      reservationId: `RES-RPL-${tag}`, quantityKg: 5,
    };
    const dispatch = envelope(StockDispatchedV1.type, shipmentId);
    await producer.send({
      topic: physical(Topics.warehouseStock),
      acks: -1,
      messages: [{ key: shipmentId, value: JSON.stringify({ shipmentId, orderId, warehouseId: WH, items: [dispatchedItem], dispatchedAt: iso() } satisfies StockDispatchedV1), headers: dispatch }],
    });
    // (2) Not retryable: a lot graded at an origin warehouse nobody has created yet.
    const newWarehouse = `WH-PZN-${tag}`;
    const strayLot = `LOT-RPL-${tag}`;
    const straySubLot = `SUB-RPL-${tag}`;
    const stray = envelope(LotGradedV1.type, strayLot);
    await producer.send({
      topic: physical(Topics.gradingLots),
      acks: -1,
      messages: [{
        key: strayLot,
        headers: stray,
        value: JSON.stringify({
          lotId: strayLot, cooperativeId: 'COOP-RPL', originWarehouseId: newWarehouse, produce: 'apple', variety: 'Fuji', standard: 'GB/T 10651-2008', lotQuantityKg: 60, cullKg: 10, gradedAt: iso(),
          subLots: [{ subLotId: straySubLot, grade: 'grade_1', quantityKg: 50, brand: null, traceCode: `TC${tag}`.slice(0, 12), bestBefore: new Date(Date.now() + 60 * 86_400_000).toISOString() }],
        } satisfies LotGradedV1),
      }],
    });

    const [parkedDispatch] = await probe.expect((r) => r.topic.endsWith('.dlt') && r.headers['ce_id'] === dispatch['ce_id'], { what: 'the dispatch parked' });
    expect(parkedDispatch.headers).toMatchObject({ 'x-error-kind': 'handler', 'x-retry-attempt': '2', 'x-consumer-group': groupOf('order-routing') });
    expect(parkedDispatch.headers['x-error']).toContain(`shipment ${shipmentId} is not known yet`);
    const [parkedLot] = await probe.expect((r) => r.topic.endsWith('.dlt') && r.headers['ce_id'] === stray['ce_id'], { what: 'the stray lot parked' });
    expect(parkedLot.headers).toMatchObject({ 'x-error-kind': 'handler', 'x-retry-attempt': '0', 'x-consumer-group': groupOf('warehouse') });
    expect(parkedLot.headers['x-error']).toContain(`unknown origin warehouse ${newWarehouse}`);
    // Only the group that failed parked it, and only the group that failed took up its retries:
    // grading handled the dispatch once, on first delivery.
    expect(deadLetters().length).toBe(deadBefore + 2);
    const graded = { type: StockDispatchedV1.type, topic: Topics.warehouseStock };
    expect(await metric('grading', 'firstmile_events_consumed_total', graded)).toBe(1);

    // A dry run lists them and changes nothing.
    const dry = await replay(`${Topics.warehouseStock}.dlt`, '--group', 'order-routing', '--type', StockDispatchedV1.type);
    expect(summary(dry)).toMatchObject({ replayed: 1, already: 0 });
    expect(dry).toContain(`would replay ${parkedDispatch.partition}/${parkedDispatch.offset} ${StockDispatchedV1.type} ${dispatch['ce_id']}`);

    // The fixes: the order.routed that creates the shipment arrives; ops creates the warehouse.
    await sendEvent(Topics.orders, 0, OrderRoutedV1.type, orderId, {
      orderId, buyerId: 'BUYER-PZN', destination: { city: "Xi'an", location: { lat: 34.34, lon: 108.94 } }, placedAt: iso(60_000), routedAt: iso(),
      allocations: [{ line: 0, warehouseId: WH, subLotId: second.id, quantityKg: 5, reservationId: `RES-RPL-${tag}`, shipmentId, warehouseLocation: { lat: 34.19, lon: 105.18 } }],
    } satisfies OrderRoutedV1);
    const logistics = client(stack, { role: 'logistics_operator', sub: 'lo-poison' });
    type Shipment = { status: string; events: Array<{ status: string }> };
    const shipment = async () => (await logistics.get<Shipment>('order-routing', `/v1/shipments/${shipmentId}`)).body;
    await waitFor(async () => (await shipment())?.status === 'created', { what: 'the shipment created' });
    const created = await ops().post('warehouse', '/v1/warehouses', { id: newWarehouse, name: 'Poison test origin warehouse', kind: 'origin', city: 'Lixian', county: 'CN-GS-LIXIAN', location: { lat: 34.2, lon: 105.2 } }, { 'idempotency-key': randomUUID() });
    expect(created.status).toBe(201);

    // Replay, as the runbook says: each one, selected by group and type / by id.
    const dispatchDlt = `${Topics.warehouseStock}.dlt`;
    const lotDlt = `${Topics.gradingLots}.dlt`;
    expect(summary(await replay(dispatchDlt, '--group', 'order-routing', '--type', StockDispatchedV1.type, '--apply'))).toMatchObject({ replayed: 1, already: 0 });
    expect(summary(await replay(lotDlt, '--id', stray['ce_id'], '--apply'))).toMatchObject({ replayed: 1, already: 0, leftOut: deadLetters((r) => r.topic === physical(lotDlt)).length - 1 });

    const dispatchedEvents = () =>
      probe.ofType(ShipmentStatusChangedV1.type).filter((r) => r.key === shipmentId && (r.json as ShipmentStatusChangedV1 | null)?.status === 'dispatched');
    await waitFor(async () => (await shipment()).status === 'dispatched', { what: 'the replayed dispatch applied' });
    await waitFor(() => dispatchedEvents().length === 1, { what: 'shipment.status-changed (dispatched) published' });
    const stockAt = async () =>
      (await ops().get<{ items: Array<{ subLotId: string; onHandKg: number }> }>('warehouse', `/v1/warehouses/${newWarehouse}/stock`)).body.items;
    const ledgerAt = async () =>
      (await ops().get<{ items: Array<{ subLotId: string; lotId: string; kind: string; onHandDeltaKg: number }> }>('warehouse', `/v1/warehouses/${newWarehouse}/ledger`)).body.items;
    await waitFor(async () => (await stockAt()).length === 1, { what: 'the replayed lot received' });
    expect(await stockAt()).toEqual([expect.objectContaining({ subLotId: straySubLot, onHandKg: 50 })]);

    // Running the command again replays nothing: it remembers what it replayed.
    expect(summary(await replay(dispatchDlt, '--group', 'order-routing', '--type', StockDispatchedV1.type, '--apply'))).toMatchObject({ replayed: 0, already: 1 });
    expect(summary(await replay(lotDlt, '--id', stray['ce_id'], '--apply'))).toMatchObject({ replayed: 0, already: 1 });

    // Forced again (--again), the idempotent consumers apply nothing twice.
    const routingConsumed = { type: StockDispatchedV1.type, topic: Topics.warehouseStock };
    const warehouseConsumed = { type: LotGradedV1.type, topic: Topics.gradingLots };
    const before = { routing: await metric('order-routing', 'firstmile_events_consumed_total', routingConsumed), warehouse: await metric('warehouse', 'firstmile_events_consumed_total', warehouseConsumed) };
    expect(summary(await replay(dispatchDlt, '--group', 'order-routing', '--type', StockDispatchedV1.type, '--apply', '--again'))).toMatchObject({ replayed: 1 });
    expect(summary(await replay(lotDlt, '--id', stray['ce_id'], '--apply', '--again'))).toMatchObject({ replayed: 1 });
    await waitFor(async () => (await metric('order-routing', 'firstmile_events_consumed_total', routingConsumed)) === before.routing + 1, { what: 'order-routing handled the second replay' });
    await waitFor(async () => (await metric('warehouse', 'firstmile_events_consumed_total', warehouseConsumed)) === before.warehouse + 1, { what: 'warehouse handled the second replay' });
    expect((await shipment()).events.filter((e) => e.status === 'dispatched')).toHaveLength(1);
    expect(await stockAt()).toEqual([expect.objectContaining({ subLotId: straySubLot, onHandKg: 50 })]);
    expect(await ledgerAt()).toEqual([expect.objectContaining({ subLotId: straySubLot, lotId: strayLot, kind: 'received', onHandDeltaKg: 50 })]);
    expect(dispatchedEvents()).toHaveLength(1);
    // Replays are addressed to the group that parked them: grading never saw the dispatch again,
    // and nothing was parked anew.
    expect(await metric('grading', 'firstmile_events_consumed_total', graded)).toBe(1);
    expect(deadLetters().length).toBe(deadBefore + 2);
    process.stderr.write(`[poison] replayed 2 dead letters (then 0 on the second run, 2 forced with --again): applied once each\n`);
  });
});
