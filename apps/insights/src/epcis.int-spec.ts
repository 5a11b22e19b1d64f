import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { Producer } from 'kafkajs';
import { type EventPayload, type EventType } from '@firstmile/contracts';
import { DEV_COMPANY_PREFIX, digitalLink, gtinFor } from '@firstmile/gs1';
import { newEvent, type OutboundEvent } from '@firstmile/messaging';
import { bearer, startApp, TopicProbe, waitFor } from '@firstmile/testing';
import { createApp } from './app';
import { lotChain } from './epcis/chain.testing';
import { expandOffline, schemaErrors } from './epcis/standard/conformance.testing';

const BASE = 'http://127.0.0.1:3100';
const ops = bearer({ role: 'ops' });

interface QueryDocument {
  '@context': unknown;
  type: string;
  epcisBody: { queryResults: { queryName: string; resultsBody: { eventList: Record<string, unknown>[] } } };
}

type Chain = ReturnType<typeof lotChain>;

/** The chain's source events as their producers would publish them (CloudEvents ids fixed here, so they can be sent again). */
function sourceEvents(chain: Chain): OutboundEvent[] {
  const e = chain.events;
  const ev = <T extends EventType>(type: T, payload: EventPayload<T>) =>
    newEvent(type, payload, { source: 'test' });
  return [
    ev('firstmile.harvest.lot.logged.v1', e.logged),
    ev('firstmile.grading.lot.graded.v1', e.graded),
    ev('firstmile.warehouse.stock.received.v1', e.received),
    ev('firstmile.warehouse.stock.received.v1', e.receivedGrade1),
    ev('firstmile.warehouse.transfer.dispatched.v1', e.transferDispatched),
    ev('firstmile.warehouse.transfer.received.v1', e.transferReceived),
    ev('firstmile.warehouse.stock.received.v1', e.receivedViaTransfer),
    ev('firstmile.shipments.shipment.created.v1', e.shipmentCreated),
    ev('firstmile.warehouse.stock.dispatched.v1', e.stockDispatched),
    ev('firstmile.shipments.shipment.status-changed.v1', e.inTransit),
    ev('firstmile.shipments.shipment.status-changed.v1', e.delivered),
  ];
}

const premiumUri = (chain: Chain) =>
  digitalLink(
    BASE,
    gtinFor({ produce: 'apple', gradeRank: 0, brand: chain.premium.brand }),
    chain.premium.traceCode,
  );
const lotUri = (chain: Chain) =>
  digitalLink(
    BASE,
    gtinFor({ produce: 'apple', gradeRank: 9, brand: null }, { companyPrefix: DEV_COMPANY_PREFIX }),
    chain.lotId,
  );

describe('insights: EPCIS 2.0 from the topics', () => {
  let app: NestFastifyApplication;
  let producer: Producer;

  beforeAll(async () => {
    // Retries long enough that events read before the facts they need (another topic) wait for them.
    app = await startApp(createApp, { KAFKA_RETRY_DELAYS_MS: '300,1500,5000' });
    producer = await TopicProbe.producer();
  });

  afterAll(async () => {
    await producer?.disconnect();
    await app?.close();
  });

  const send = (events: OutboundEvent[]) => TopicProbe.publish(producer, events);
  const get = (url: string, headers: Record<string, string> = ops) =>
    app.inject({ method: 'GET', url, headers });
  const chainQuery = (chain: Chain) =>
    `/epcis/events?MATCH_anyEPC=${encodeURIComponent(`${lotUri(chain)},${premiumUri(chain)}`)}`;
  const eventsOf = (body: string) =>
    (JSON.parse(body) as QueryDocument).epcisBody.queryResults.resultsBody.eventList;
  async function settled(url: string, count: number): Promise<Record<string, unknown>[]> {
    return waitFor(
      async () => {
        const list = eventsOf((await get(url)).body);
        return list.length >= count ? list : undefined;
      },
      { timeoutMs: 60_000, what: `${count} EPCIS events at ${url}` },
    );
  }

  it('answers a sub-lot’s whole chain, harvest → delivery, from one MATCH_anyEPC query in time order, valid against GS1’s schema and expandable offline', async () => {
    const chain = lotChain();
    await send(sourceEvents(chain));
    await settled(chainQuery(chain), 7);

    const res = await get(chainQuery(chain));
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('application/ld+json');
    expect(res.headers['gs1-epcis-version']).toBe('2.0.0');
    const doc = JSON.parse(res.body) as QueryDocument;
    expect(schemaErrors(doc)).toEqual([]);
    await expect(expandOffline(doc)).resolves.toHaveLength(1);

    const events = doc.epcisBody.queryResults.resultsBody.eventList;
    expect(events.map((e) => [e['type'], e['bizStep']])).toEqual([
      ['ObjectEvent', 'commissioning'], // harvest at the orchard
      ['TransformationEvent', 'commissioning'], // grading: the lot in, sub-lots and cull out
      ['ObjectEvent', 'receiving'], // at the origin warehouse
      ['ObjectEvent', 'shipping'], // transfer out
      ['ObjectEvent', 'receiving'], // transfer in at Hangzhou
      ['ObjectEvent', 'shipping'], // dispatched for the order
      ['ObjectEvent', 'arriving'], // delivered
    ]);
    const times = events.map((e) => Date.parse(String(e['eventTime'])));
    expect([...times].sort((a, b) => a - b)).toEqual(times);
    expect(events[6]['quantityList']).toEqual([{ epcClass: premiumUri(chain), quantity: 20, uom: 'KGM' }]);

    // Filters narrow the same chain: every receiving; the transformation alone; a time window.
    expect(eventsOf((await get(`${chainQuery(chain)}&EQ_bizStep=receiving`)).body)).toHaveLength(2);
    expect(
      eventsOf(
        (
          await get(
            `${chainQuery(chain)}&EQ_bizStep=${encodeURIComponent('https://ref.gs1.org/cbv/BizStep-receiving')}`,
          )
        ).body,
      ),
    ).toHaveLength(2);
    expect(eventsOf((await get(`${chainQuery(chain)}&eventType=TransformationEvent`)).body)).toHaveLength(1);
    const window = `&GE_eventTime=${events[2]['eventTime']}&LT_eventTime=${events[5]['eventTime']}`;
    expect(eventsOf((await get(`${chainQuery(chain)}${window}`)).body).map((e) => e['eventID'])).toEqual(
      events.slice(2, 5).map((e) => e['eventID']),
    );
    expect(
      eventsOf((await get(`/epcis/events?MATCH_epc=${encodeURIComponent(premiumUri(chain))}`)).body),
    ).toHaveLength(5);

    // One event by its id, standalone with its @context.
    const one = await get(`/epcis/events/${encodeURIComponent(String(events[1]['eventID']))}`);
    expect(one.statusCode).toBe(200);
    expect(schemaErrors(one.json())).toEqual([]);
    expect(one.json()).toMatchObject({ '@context': expect.any(Array), ...events[1] });
  });

  it('pages with nextPageToken (Link rel="next"), never skipping or repeating', async () => {
    const chain = lotChain();
    await send(sourceEvents(chain));
    const all = await settled(chainQuery(chain), 7);
    const seen: unknown[] = [];
    let url: string | null = `${chainQuery(chain)}&perPage=3`;
    let pages = 0;
    while (url) {
      const res = await get(url);
      expect(res.statusCode).toBe(200);
      seen.push(...eventsOf(res.body).map((e) => e['eventID']));
      const link = /<([^>]+)>;\s*rel="next"/.exec(String(res.headers['link'] ?? ''));
      url = link ? link[1] : null;
      pages++;
    }
    expect(pages).toBe(3);
    expect(seen).toEqual(all.map((e) => e['eventID']));
  });

  it('stores an event once per source event: a replay of every record, in reverse order, yields the same documents', async () => {
    const chain = lotChain();
    const records = sourceEvents(chain);
    // Reverse: delivery before the shipment and the sub-lots are known, receipts before the lot.
    await send([...records].reverse());
    const first = await settled(chainQuery(chain), 7);
    await send(records);
    await send([...records].reverse());
    // The replay is read when a marker sent after it is (one partition per key, in order).
    const marker = lotChain();
    await send(sourceEvents(marker));
    await settled(chainQuery(marker), 7);
    await new Promise((r) => setTimeout(r, 1000));
    expect(eventsOf((await get(chainQuery(chain))).body)).toEqual(first);
  });

  it('shows a coop_manager its own cooperative’s events only; others get an empty page or 404, other roles 403', async () => {
    const chain = lotChain();
    await send(sourceEvents(chain));
    const all = await settled(chainQuery(chain), 7);
    const id = encodeURIComponent(String(all[0]['eventID']));
    const mine = bearer({ role: 'coop_manager', coop: chain.coop });
    const other = bearer({ role: 'coop_manager', coop: 'COOP-SOMEONE-ELSE' });

    expect(eventsOf((await get(chainQuery(chain), mine)).body)).toEqual(all);
    expect((await get(`/epcis/events/${id}`, mine)).statusCode).toBe(200);
    expect(eventsOf((await get(chainQuery(chain), other)).body)).toEqual([]);
    const hidden = await get(`/epcis/events/${id}`, other);
    expect(hidden.statusCode).toBe(404);
    expect(hidden.headers['content-type']).toContain('application/problem+json');
    expect(
      (await get(`/epcis/events/${encodeURIComponent('urn:uuid:00000000-0000-5000-8000-000000000000')}`))
        .statusCode,
    ).toBe(404);
    expect((await get(chainQuery(chain), bearer({ role: 'buyer', buyer: 'B1' }))).statusCode).toBe(403);
    expect((await get(chainQuery(chain), {})).statusCode).toBe(401);
  });

  it('gives a receipt read before its lot to the lot’s cooperative once the lot is read (ops see it meanwhile)', async () => {
    const chain = lotChain();
    const [logged, graded, received] = sourceEvents(chain);
    const mine = bearer({ role: 'coop_manager', coop: chain.coop });
    const receipts = `/epcis/events?MATCH_epc=${encodeURIComponent(premiumUri(chain))}`;
    await send([received]);
    const [receipt] = await settled(receipts, 1);
    expect(receipt['bizStep']).toBe('receiving');
    expect(eventsOf((await get(receipts, mine)).body)).toEqual([]);
    expect(
      (await get(`/epcis/events/${encodeURIComponent(String(receipt['eventID']))}`, mine)).statusCode,
    ).toBe(404);

    await send([logged, graded]);
    await waitFor(async () => eventsOf((await get(receipts, mine)).body).length === 1, {
      what: 'the receipt given to its cooperative',
    });
    expect(eventsOf((await get(receipts, mine)).body)).toEqual([receipt]);
  });

  it('refuses what is not a query it knows, as problem+json', async () => {
    // The OpenAPI document lists the routes where they are: outside /v1, as the REST binding has them.
    const paths = Object.keys((await get('/docs-json', {})).json().paths as object);
    expect(paths).toEqual(expect.arrayContaining(['/epcis/events', '/epcis/events/{eventID}']));
    expect(paths.filter((p) => p.startsWith('/v1/epcis'))).toEqual([]);

    for (const query of [
      'MATCH_parentID=urn:x:y',
      'eventType=Harvest',
      'GE_eventTime=yesterday',
      'perPage=0',
      'MATCH_anyEPC=not-a-uri',
      'nextPageToken=%21%21',
    ]) {
      const res = await get(`/epcis/events?${query}`);
      expect([query, res.statusCode]).toEqual([query, 400]);
      expect(res.headers['content-type']).toContain('application/problem+json');
    }
    expect((await get('/epcis/events?nextPageToken=bm90LWEtdG9rZW4')).statusCode).toBe(400);
  });
});
