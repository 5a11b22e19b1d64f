import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { getConnectionToken } from '@nestjs/mongoose';
import { randomUUID } from 'node:crypto';
import type { Connection, mongo } from 'mongoose';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { LotGradedV1, LotLoggedV1, LotVoidedV1, parseEvent, toHeaders, Topics } from '@firstmile/contracts';
import { newEvent } from '@firstmile/messaging';
import { bearer, startApp, TopicProbe, waitFor } from '@firstmile/testing';
import { createApp } from './app';

type Json = Record<string, unknown>;

describe('harvest-intake against the real broker and store', () => {
  let app: NestFastifyApplication;
  let probe: TopicProbe;
  const ops = bearer({ role: 'ops', sub: 'ops-1' });

  const call = async (method: 'GET' | 'POST', url: string, headers: Record<string, string>, payload?: unknown) => {
    const res = await app.inject({ method, url, headers: { ...headers, ...(payload === undefined ? {} : { 'content-type': 'application/json' }) }, payload: payload as Json });
    return { status: res.statusCode, body: (res.body ? JSON.parse(res.body) : null) as Json, headers: res.headers };
  };

  /** A cooperative with one grower and one orchard, and its manager's headers. */
  const setUpCooperative = async (name: string) => {
    const coop = await call('POST', '/v1/cooperatives', ops, { name, county: 'CN-GS-LIXIAN', province: 'Gansu', location: { lat: 34.19, lon: 105.18 } });
    expect(coop.status).toBe(201);
    const id = coop.body['id'] as string;
    const manager = bearer({ role: 'coop_manager', coop: id, sub: `manager-${id}` });
    const grower = await call('POST', `/v1/cooperatives/${id}/growers`, manager, { name: 'Wang Jianguo', phone: '+86 138 0931 0001' });
    const orchard = await call('POST', `/v1/cooperatives/${id}/orchards`, manager, {
      growerId: grower.body['id'],
      name: 'South slope',
      areaMu: 12.5,
      location: { lat: 34.2, lon: 105.2 },
      produce: 'apple',
      variety: 'Fuji',
    });
    expect([grower.status, orchard.status]).toEqual([201, 201]);
    return { id, manager, growerId: grower.body['id'] as string, orchardId: orchard.body['id'] as string };
  };

  const lotBody = (c: { id: string; growerId: string; orchardId: string }, extra: Json = {}) => ({
    cooperativeId: c.id,
    growerId: c.growerId,
    orchardId: c.orchardId,
    produce: 'apple',
    variety: 'Fuji',
    harvestedAt: new Date(Date.now() - 3_600_000).toISOString(),
    quantityKg: 1250.5,
    crates: 60,
    originWarehouseId: 'WH-LIXIAN-ORIGIN',
    ...extra,
  });

  beforeAll(async () => {
    probe = await new TopicProbe().start([Topics.harvestLots]);
    app = await startApp(createApp);
  });

  afterAll(async () => {
    await app?.close();
    await probe.stop();
  });

  it('serves the whole cooperative → lot → void flow and publishes contract-valid CloudEvents', async () => {
    const c = await setUpCooperative('Happy path cooperative');
    const got = await call('GET', `/v1/cooperatives/${c.id}`, c.manager);
    expect(got.status).toBe(200);
    expect(got.body).toMatchObject({ id: c.id, county: 'CN-GS-LIXIAN', growers: [{ id: c.growerId }], orchards: [{ id: c.orchardId }] });

    const logged = await call('POST', '/v1/lots', c.manager, lotBody(c));
    expect(logged.status).toBe(201);
    expect(logged.body).toMatchObject({ status: 'logged', quantityKg: 1250.5, cooperativeId: c.id });
    const lotId = logged.body['id'] as string;

    const [record] = await probe.expect((r) => r.key === lotId && r.headers['ce_type'] === LotLoggedV1.type, { what: 'lot.logged' });
    expect(record.headers).toMatchObject({ ce_specversion: '1.0', ce_source: 'firstmile/harvest-intake', ce_subject: lotId, 'content-type': 'application/json' });
    expect(record.headers['ce_id']).toMatch(/^[0-9a-f-]{36}$/);
    const parsed = parseEvent(LotLoggedV1.type, record.json);
    expect(parsed.ok).toBe(true);
    expect(record.json).toMatchObject({ lotId, cooperative: { id: c.id, name: 'Happy path cooperative', county: 'CN-GS-LIXIAN' }, orchard: { id: c.orchardId, name: 'South slope' } });
    // The grower's phone never leaves the service.
    expect(record.value).not.toContain('0931');

    expect((await call('GET', `/v1/lots/${lotId}`, c.manager)).body).toMatchObject({ id: lotId, status: 'logged' });
    const list = await call('GET', `/v1/lots?status=logged&produce=apple&limit=10`, c.manager);
    expect(list.status).toBe(200);
    expect((list.body['items'] as Json[]).map((l) => l['id'])).toContain(lotId);

    const voided = await call('POST', `/v1/lots/${lotId}/void`, c.manager, { reason: 'Logged twice by mistake' });
    expect(voided.status).toBe(200);
    expect(voided.body).toMatchObject({ status: 'voided', voidReason: 'Logged twice by mistake' });
    await probe.expect((r) => r.key === lotId && r.headers['ce_type'] === LotVoidedV1.type, { what: 'lot.voided' });
    const again = await call('POST', `/v1/lots/${lotId}/void`, c.manager, { reason: 'again' });
    expect(again.status).toBe(409);
    expect(again.headers['content-type']).toContain('application/problem+json');
  });

  it('shows a lot graded while it was being voided as graded, with the void refused (grading decides which came first)', async () => {
    const c = await setUpCooperative('Race cooperative');
    const lotId = (await call('POST', '/v1/lots', c.manager, lotBody(c, { quantityKg: 100 }))).body['id'] as string;
    const voided = await call('POST', `/v1/lots/${lotId}/void`, c.manager, { reason: 'Logged twice by mistake' });
    expect(voided.body).toMatchObject({ status: 'voided' });
    // The grading line graded the lot before grading heard of the void: grading's outcome is
    // "graded", its stock is in the warehouse, and its lot.graded reaches this service after the void.
    const kafka = new Kafka({ clientId: 'test-grading', brokers: (process.env['KAFKA_BROKERS'] ?? '').split(','), logLevel: logLevel.NOTHING });
    const producer: Producer = kafka.producer();
    await producer.connect();
    try {
      const graded: LotGradedV1 = {
        lotId,
        cooperativeId: c.id,
        originWarehouseId: 'WH-LIXIAN-ORIGIN',
        produce: 'apple',
        variety: 'Fuji',
        standard: 'GB/T 10651-2008',
        lotQuantityKg: 100,
        cullKg: 10,
        gradedAt: new Date().toISOString(),
        subLots: [{ subLotId: `SL-${lotId}`, grade: 'premium', quantityKg: 90, brand: null, traceCode: `TC-${lotId}`, bestBefore: new Date(Date.now() + 30 * 86_400_000).toISOString() }],
      };
      const e = newEvent(LotGradedV1.type, graded, { source: 'test' });
      const message = { key: e.key, value: JSON.stringify(e.data), headers: toHeaders(e) };
      // Twice, as a redelivery would: the second changes nothing.
      await producer.send({ topic: TopicProbe.physical(e.topic), acks: -1, messages: [message, message] });
    } finally {
      await producer.disconnect();
    }
    const lot = await waitFor(
      async () => {
        const got = (await call('GET', `/v1/lots/${lotId}`, c.manager)).body;
        return got['status'] === 'graded' ? got : undefined;
      },
      { what: 'the lot graded', intervalMs: 200 },
    );
    expect(lot).toMatchObject({ status: 'graded', grading: { kgByGrade: { premium: 90 }, cullKg: 10 }, voidRefused: { reason: 'Logged twice by mistake' } });
    expect(lot).not.toHaveProperty('voidReason');
    expect(lot).not.toHaveProperty('voidedAt');
    const listed = async (status: string) => ((await call('GET', `/v1/lots?status=${status}&limit=500`, c.manager)).body['items'] as Json[]).map((l) => l['id']);
    expect(await listed('voided')).not.toContain(lotId);
    expect(await listed('graded')).toContain(lotId);
    expect((await call('POST', `/v1/lots/${lotId}/void`, c.manager, { reason: 'again' })).status).toBe(409);
  });

  it('pages through lots with a cursor, newest first', async () => {
    const c = await setUpCooperative('Paging cooperative');
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await call('POST', '/v1/lots', c.manager, lotBody(c, { quantityKg: 100 + i }))).body['id'] as string);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page = await call('GET', `/v1/lots?limit=2${cursor ? `&cursor=${cursor}` : ''}`, c.manager);
      seen.push(...(page.body['items'] as Json[]).map((l) => l['id'] as string));
      cursor = page.body['nextCursor'] as string | null;
    } while (cursor);
    expect(seen).toEqual([...ids].reverse()); // logged one after the other: newest first is the reverse
  });

  describe('rejects malformed and hostile requests with problem+json, storing and publishing nothing', () => {
    let c: Awaited<ReturnType<typeof setUpCooperative>>;
    let other: Awaited<ReturnType<typeof setUpCooperative>>;
    beforeAll(async () => {
      c = await setUpCooperative('Hostile input cooperative');
      other = await setUpCooperative('Neighbour cooperative');
    });

    const day = 86_400_000;
    const table: Array<[string, () => { body: unknown; headers?: Record<string, string> }, number]> = [
      ['unknown field', () => ({ body: lotBody(c, { colour: 'red' }) }), 400],
      ['missing cooperativeId', () => ({ body: { ...lotBody(c), cooperativeId: undefined } }), 400],
      ['missing quantityKg', () => ({ body: { ...lotBody(c), quantityKg: undefined } }), 400],
      ['quantity as a string', () => ({ body: lotBody(c, { quantityKg: '1000' }) }), 400],
      ['negative quantity', () => ({ body: lotBody(c, { quantityKg: -5 }) }), 400],
      ['zero quantity', () => ({ body: lotBody(c, { quantityKg: 0 }) }), 400],
      ['huge quantity', () => ({ body: lotBody(c, { quantityKg: 100000.001 }) }), 400],
      ['quantity with four decimals', () => ({ body: lotBody(c, { quantityKg: 10.1234 }) }), 400],
      ['quantity overflowing to Infinity', () => ({ body: JSON.stringify(lotBody(c, { quantityKg: 7 })).replace('"quantityKg":7', '"quantityKg":1e400') }), 400],
      ['future harvest', () => ({ body: lotBody(c, { harvestedAt: new Date(Date.now() + day).toISOString() }) }), 400],
      ['harvest older than 30 days', () => ({ body: lotBody(c, { harvestedAt: new Date(Date.now() - 31 * day).toISOString() }) }), 400],
      ['harvest not a date', () => ({ body: lotBody(c, { harvestedAt: 'yesterday' }) }), 400],
      ['harvest as a number', () => ({ body: lotBody(c, { harvestedAt: 1700000000 }) }), 400],
      ['unknown produce', () => ({ body: lotBody(c, { produce: 'durian' }) }), 400],
      ['produce with script', () => ({ body: lotBody(c, { produce: '<script>alert(1)</script>' }) }), 400],
      ['foreign grower', () => ({ body: lotBody(c, { growerId: other.growerId }) }), 400],
      ['foreign orchard', () => ({ body: lotBody(c, { orchardId: other.orchardId }) }), 400],
      ['unknown grower id', () => ({ body: lotBody(c, { growerId: 'GRW-NOPE' }) }), 400],
      ['another cooperative', () => ({ body: lotBody(other) }), 404],
      ['crates negative', () => ({ body: lotBody(c, { crates: -1 }) }), 400],
      ['crates fractional', () => ({ body: lotBody(c, { crates: 1.5 }) }), 400],
      ['warehouse id with spaces', () => ({ body: lotBody(c, { originWarehouseId: 'WH LIXIAN' }) }), 400],
      ['variety too long', () => ({ body: lotBody(c, { variety: 'x'.repeat(101) }) }), 400],
      ['notes too long', () => ({ body: lotBody(c, { notes: 'n'.repeat(1001) }) }), 400],
      ['deep object in variety', () => ({ body: lotBody(c, { variety: { a: { b: { c: { d: 1 } } } } }) }), 400],
      ['array body', () => ({ body: [lotBody(c)] }), 400],
      ['string body', () => ({ body: 'lot please' }), 400],
      ['prototype pollution', () => ({ body: JSON.parse(`{"__proto__":{"admin":true},"cooperativeId":"${c.id}"}`) as unknown }), 400],
      ['operator injection in id', () => ({ body: lotBody(c, { growerId: { $ne: null } }) }), 400],
      ['no token', () => ({ body: lotBody(c), headers: {} }), 401],
      ['garbage token', () => ({ body: lotBody(c), headers: { authorization: 'Bearer not.a.jwt' } }), 401],
      ['wrong role (buyer)', () => ({ body: lotBody(c), headers: bearer({ role: 'buyer', buyer: 'B1' }) }), 403],
      ['bad idempotency key', () => ({ body: lotBody(c), headers: { ...c.manager, 'idempotency-key': 'bad key with spaces' } }), 400],
      ['body over the 2 MiB limit', () => ({ body: JSON.stringify(lotBody(c, { notes: 'x'.repeat(2_200_000) })) }), 413],
    ];

    const cases = table.map(([name, build, status]) => ({ name, build, status }));

    it.each(cases)('$name → $status', async ({ build, status }) => {
      const { body, headers } = build();
      const before = probe.records.length;
      const res = await app.inject({
        method: 'POST',
        url: '/v1/lots',
        headers: { 'content-type': 'application/json', ...(headers ?? c.manager) },
        payload: typeof body === 'string' ? body : JSON.stringify(body),
      });
      expect(res.statusCode).toBe(status);
      expect(res.headers['content-type']).toContain('application/problem+json');
      const problem = JSON.parse(res.body) as Json;
      expect(problem).toMatchObject({ status, type: expect.stringMatching(/^urn:firstmile:problem:/), title: expect.any(String) });
      if (status === 400 && Array.isArray(problem['errors'])) expect((problem['errors'] as Json[]).length).toBeGreaterThan(0);
      // Nothing stored for this cooperative, nothing published.
      const lots = await call('GET', `/v1/lots?cooperativeId=${c.id}`, ops);
      expect(lots.body['items']).toEqual([]);
      await new Promise((r) => setTimeout(r, 50));
      expect(probe.records.slice(before).filter((r) => r.headers['ce_type'] === LotLoggedV1.type && (r.json as Json)['cooperative'] && ((r.json as { cooperative: Json }).cooperative['id'] === c.id))).toEqual([]);
    });

    it('has at least 30 cases', () => expect(cases.length).toBeGreaterThanOrEqual(30));
  });

  it('never lets one cooperative see or touch another one’s objects (BOLA)', async () => {
    const a = await setUpCooperative('Cooperative A');
    const b = await setUpCooperative('Cooperative B');
    const lotA = (await call('POST', '/v1/lots', a.manager, lotBody(a))).body['id'] as string;
    const lotB = (await call('POST', '/v1/lots', b.manager, lotBody(b))).body['id'] as string;
    const grower = { name: 'Intruder' };
    const orchard = (x: typeof a) => ({ growerId: x.growerId, name: 'x', areaMu: 1, location: { lat: 30, lon: 110 }, produce: 'apple', variety: 'Fuji' });

    for (const [me, them, theirLot, myLot] of [
      [a, b, lotB, lotA],
      [b, a, lotA, lotB],
    ] as const) {
      const attempts = [
        await call('GET', `/v1/cooperatives/${them.id}`, me.manager),
        await call('POST', `/v1/cooperatives/${them.id}/growers`, me.manager, grower),
        await call('POST', `/v1/cooperatives/${them.id}/orchards`, me.manager, orchard(them)),
        await call('GET', `/v1/lots/${theirLot}`, me.manager),
        await call('POST', `/v1/lots/${theirLot}/void`, me.manager, { reason: 'not mine' }),
        await call('POST', '/v1/lots', me.manager, lotBody(them)),
      ];
      // Exactly the answer a missing object gets: nothing to tell "exists" from "not yours".
      const missing = await call('GET', `/v1/lots/LOT-DOESNOTEXIST`, me.manager);
      for (const r of attempts) {
        expect(r.status).toBe(404);
        expect(r.body['title']).toBe(missing.body['title']);
      }
      const list = await call('GET', `/v1/lots?cooperativeId=${them.id}`, me.manager);
      expect(list.body['items']).toEqual([]);
      const own = await call('GET', '/v1/lots', me.manager);
      expect((own.body['items'] as Json[]).every((l) => l['cooperativeId'] === me.id)).toBe(true);
      expect((await call('GET', `/v1/lots/${myLot}`, me.manager)).status).toBe(200);
    }
    // Nothing changed on either side.
    expect((await call('GET', `/v1/lots/${lotA}`, ops)).body['status']).toBe('logged');
    expect((await call('GET', `/v1/cooperatives/${b.id}`, ops)).body['growers']).toHaveLength(1);
  });

  it('replays the first answer for the same Idempotency-Key, also after a restart', async () => {
    const c = await setUpCooperative('Idempotent cooperative');
    const key = randomUUID();
    const body = lotBody(c);
    const first = await call('POST', '/v1/lots', { ...c.manager, 'idempotency-key': key }, body);
    expect(first.status).toBe(201);

    await app.close();
    app = await startApp(createApp);

    const replay = await call('POST', '/v1/lots', { ...c.manager, 'idempotency-key': key }, body);
    expect(replay.status).toBe(201);
    expect(replay.body).toEqual(first.body);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    const different = await call('POST', '/v1/lots', { ...c.manager, 'idempotency-key': key }, { ...body, quantityKg: 1 });
    expect(different.status).toBe(422);
    const lots = await call('GET', `/v1/lots?cooperativeId=${c.id}`, ops);
    expect(lots.body['items']).toHaveLength(1);
    await waitFor(() => probe.records.filter((r) => r.key === first.body['id']).length === 1, { what: 'one lot.logged' });
  });

  // Issue 22.11: a replay skipped the handler's authorization (the path half is in order-routing's suite).
  it('replays an Idempotency-Key only to a caller of the same role and tenancy', async () => {
    const a = await setUpCooperative('Keyed cooperative A');
    const b = await setUpCooperative('Keyed cooperative B');
    // A manager's key, replayed by the same subject now managing another cooperative: the handler
    // would have answered 404, so the stored answer is not handed over.
    const sub = `moved-${randomUUID()}`;
    const managerKey = randomUUID();
    const asA = { ...bearer({ role: 'coop_manager', coop: a.id, sub }), 'idempotency-key': managerKey };
    const asB = { ...bearer({ role: 'coop_manager', coop: b.id, sub }), 'idempotency-key': managerKey };
    const created = await call('POST', `/v1/cooperatives/${a.id}/growers`, asA, { name: 'Sun Li', phone: '+86 138 0931 0777' });
    expect(created.status).toBe(201);
    const stolen = await call('POST', `/v1/cooperatives/${a.id}/growers`, asB, { name: 'Sun Li', phone: '+86 138 0931 0777' });
    expect(stolen.status).toBe(422);
    expect(stolen.headers['content-type']).toContain('application/problem+json');
    expect(JSON.stringify(stolen.body)).not.toContain(created.body['id'] as string);
  });

  it('creates one lot for concurrent requests with the same Idempotency-Key: its insert is the claim', async () => {
    const c = await setUpCooperative('Racing keys cooperative');
    const key = randomUUID();
    const body = lotBody(c);
    const answers = await Promise.all(Array.from({ length: 8 }, () => call('POST', '/v1/lots', { ...c.manager, 'idempotency-key': key }, body)));
    expect(answers.map((a) => a.status)).toEqual(Array(8).fill(201));
    expect(new Set(answers.map((a) => a.body['id'])).size).toBe(1);
    expect(answers.filter((a) => a.headers['idempotent-replayed'] !== 'true')).toHaveLength(1);
    for (const a of answers) expect(a.body).toEqual(answers[0].body);
    expect((await call('GET', `/v1/lots?cooperativeId=${c.id}`, ops)).body['items']).toHaveLength(1);
    // Nothing stored beside the lot: no claim, no answer.
    const keys = app.get<Connection>(getConnectionToken()).collection('idempotency_keys');
    expect(await keys.countDocuments({ 'body.id': answers[0].body['id'] })).toBe(0);
    await waitFor(() => probe.records.filter((r) => r.key === answers[0].body['id']).length === 1, { what: 'one lot.logged' });
  });
  it('group-commits concurrent POST /v1/lots: each answered for its own lot, a replayed key and a reused one in the same group only for themselves, fewer inserts and cooperative reads than requests', async () => {
    const c = await setUpCooperative('Group commit cooperative');
    const client = app.get<Connection>(getConnectionToken()).getClient();
    const inserts: number[] = [];
    let cooperativeReads = 0;
    const count = (e: mongo.CommandStartedEvent) => {
      if (e.commandName === 'insert' && e.command['insert'] === 'lots') inserts.push((e.command['documents'] as unknown[]).length);
      if (e.commandName === 'find' && e.command['find'] === 'cooperatives') cooperativeReads++;
    };
    const key = randomUUID();
    const keyed = lotBody(c, { quantityKg: 777 });
    const requests: Array<{ headers: Record<string, string>; body: ReturnType<typeof lotBody> }> = [
      ...Array.from({ length: 24 }, (_, i) => ({ headers: { ...c.manager, 'idempotency-key': randomUUID() }, body: lotBody(c, { quantityKg: 1000 + i }) })),
      // One key three times with its body (one lot, two replays) and once with another body (422).
      ...Array.from({ length: 3 }, () => ({ headers: { ...c.manager, 'idempotency-key': key }, body: keyed })),
      { headers: { ...c.manager, 'idempotency-key': key }, body: lotBody(c, { quantityKg: 778 }) },
      // No key: a lot of its own.
      { headers: c.manager, body: lotBody(c, { quantityKg: 999 }) },
    ];
    client.on('commandStarted', count);
    let answers: Array<Awaited<ReturnType<typeof call>>>;
    try {
      answers = await Promise.all(requests.map((r) => call('POST', '/v1/lots', r.headers, r.body)));
    } finally {
      client.off('commandStarted', count);
    }

    // Every distinct request: its own lot, as it asked for it.
    for (const [i, a] of answers.entries()) {
      if (requests[i].headers['idempotency-key'] === key) continue;
      expect(a.status).toBe(201);
      expect(a.body).toMatchObject({ status: 'logged', quantityKg: requests[i].body.quantityKg, cooperativeId: c.id });
    }
    const unkeyedOrFresh = answers.filter((_, i) => requests[i].headers['idempotency-key'] !== key);
    expect(new Set(unkeyedOrFresh.map((a) => a.body['id'])).size).toBe(25);
    // The shared key: whichever body came first holds it; the same body replays it, the other is 422.
    const keyedAnswers = answers.filter((_, i) => requests[i].headers['idempotency-key'] === key);
    const firstAnswer = keyedAnswers.find((a) => a.status === 201 && a.headers['idempotent-replayed'] !== 'true');
    expect(firstAnswer).toBeDefined();
    const winner = firstAnswer?.body['quantityKg'];
    for (const [i, a] of answers.entries()) {
      if (requests[i].headers['idempotency-key'] !== key || a === firstAnswer) continue;
      if (requests[i].body.quantityKg === winner) {
        expect(a.status).toBe(201);
        expect(a.headers['idempotent-replayed']).toBe('true');
        expect(a.body).toEqual(firstAnswer?.body);
      } else {
        expect(a.status).toBe(422);
        expect(a.headers['content-type']).toContain('application/problem+json');
        expect(a.body).toMatchObject({ status: 422 });
      }
    }

    // Stored and published once each: 25 lots and the keyed one.
    const created = [...unkeyedOrFresh, firstAnswer].map((a) => a?.body['id'] as string);
    const stored = await call('GET', `/v1/lots?cooperativeId=${c.id}&limit=100`, ops);
    expect((stored.body['items'] as Json[]).map((l) => l['id']).sort()).toEqual([...created].sort());
    await waitFor(() => created.every((id) => probe.records.some((r) => r.key === id && r.headers['ce_type'] === LotLoggedV1.type)), { what: 'every lot.logged' });
    for (const id of created) expect(probe.records.filter((r) => r.key === id && r.headers['ce_type'] === LotLoggedV1.type)).toHaveLength(1);
    // Written in groups: every lot of the burst went in fewer insert commands than there were lots.
    expect(inserts.reduce((a, b) => a + b, 0)).toBe(requests.length);
    expect(inserts.length).toBeLessThan(created.length);
    // And each request's cooperative was read together with the others' of the same moment.
    expect(cooperativeReads).toBeGreaterThan(0);
    expect(cooperativeReads).toBeLessThan(requests.length);
  });
});
