import { DEV_COMPANY_PREFIX, digitalLink, gtinFor, isGtin14, parseDigitalLinkPath } from '@firstmile/gs1';
import { lotChain } from './chain.testing';
import { queryDocument, standaloneEvent } from './document';
import { eventIdFor, uuidV5 } from './event-id';
import { gradeRank, Identifiers } from './identifiers';
import { type EpcisRecord, EpcisMapper } from './mapping';
import { expandOffline, schemaErrors } from './standard/conformance.testing';

const BASE = 'http://127.0.0.1:3100';
const ids = new Identifiers({ base: BASE, companyPrefix: DEV_COMPANY_PREFIX });
const mapper = new EpcisMapper(ids, '+08:00');
let n = 0;
const meta = () => ({ eventId: `ce-${++n}`, time: '2026-12-01T00:00:00.000Z' });

/** The whole chain of one lot, mapped as the consumers would. */
function mappedChain() {
  const chain = lotChain({ start: new Date('2026-11-20T00:00:00Z') });
  const e = chain.events;
  const coopOf = () => chain.coop;
  const premiumFacts = { ...chain.premium, lotId: chain.lotId, cooperativeId: chain.coop, produce: 'apple' };
  const records: EpcisRecord[] = [
    mapper.lotLogged(e.logged, meta()),
    mapper.lotGraded(e.graded, meta()),
    ...mapper.stockReceived(e.received, chain.coop, meta()),
    mapper.transferDispatched(e.transferDispatched, chain.coop, meta()),
    mapper.transferReceived(e.transferReceived, chain.coop, meta()),
    ...mapper.stockDispatched(e.stockDispatched, coopOf, meta()),
    ...mapper.shipmentStatusChanged(e.delivered, [{ sub: premiumFacts, quantityKg: 20 }], meta()),
  ];
  return { chain, records };
}

const messages = (errors: { instancePath: string; message?: string }[]) =>
  errors.map((x) => `${x.instancePath} ${x.message}`);

describe('EPCIS events against the standard', () => {
  it('maps harvest → delivery to schema-valid events with CBV terms, each also valid on its own', () => {
    const { records } = mappedChain();
    expect(
      records.map((r) => [r.type, r.event['action'] ?? null, r.bizStep, r.event['disposition'] ?? null]),
    ).toEqual([
      ['ObjectEvent', 'ADD', 'commissioning', 'active'],
      ['TransformationEvent', null, 'commissioning', 'active'],
      ['ObjectEvent', 'OBSERVE', 'receiving', 'sellable_not_accessible'],
      ['ObjectEvent', 'OBSERVE', 'shipping', 'in_transit'],
      ['ObjectEvent', 'OBSERVE', 'receiving', 'sellable_not_accessible'],
      ['ObjectEvent', 'OBSERVE', 'shipping', 'in_transit'],
      ['ObjectEvent', 'OBSERVE', 'arriving', null],
    ]);
    for (const r of records) expect(messages(schemaErrors(standaloneEvent(r.event)))).toEqual([]);
    expect(
      messages(
        schemaErrors(
          queryDocument(
            records.map((r) => r.event),
            new Date(),
          ),
        ),
      ),
    ).toEqual([]);
  });

  it('expands as JSON-LD in safe mode with the bundled EPCIS context (nothing dropped, no network)', async () => {
    const { records } = mappedChain();
    const expanded = (await expandOffline(
      queryDocument(
        records.map((r) => r.event),
        new Date(),
      ),
    )) as Record<string, unknown>[];
    const text = JSON.stringify(expanded);
    expect(text).toContain('https://ref.gs1.org/epcis/EPCISQueryDocument');
    expect(text).toContain('https://ref.gs1.org/cbv/BizStep-commissioning');
    expect(text).toContain('urn:epcglobal:cbv:mda:harvestStartDate');
    expect(text).toContain('urn:firstmile:epcis:variety');
    for (const r of records) await expect(expandOffline(standaloneEvent(r.event))).resolves.toHaveLength(1);
  });

  it('can fail: the schema rejects an event without its time zone, safe-mode expansion an undeclared term', async () => {
    const { records } = mappedChain();
    const { eventTimeZoneOffset: _dropped, ...broken } = records[0].event;
    expect(schemaErrors(standaloneEvent(broken as (typeof records)[0]['event'])).length).toBeGreaterThan(0);
    const undeclared = { ...records[0].event, ilmd: { 'nope:variety': 'Fuji' } };
    expect(schemaErrors(standaloneEvent(undeclared))).toEqual([]); // a URI-named key is fine for the schema…
    await expect(
      expandOffline(standaloneEvent({ ...records[0].event, undeclaredField: 1 })),
    ).rejects.toThrow(); // …an unknown term is not for JSON-LD
  });

  it('names lots and sub-lots by the Digital Link URIs of the labels, with kilograms, and places by 414/254', () => {
    const { chain, records } = mappedChain();
    const label = digitalLink(
      BASE,
      gtinFor({ produce: 'apple', gradeRank: 0, brand: 'Lixian Apple (礼县苹果)' }),
      chain.premium.traceCode,
    );
    const lot = digitalLink(BASE, gtinFor({ produce: 'apple', gradeRank: 9, brand: null }), chain.lotId);
    const [harvest, grading, receipt] = records.map((r) => r.event);
    expect(harvest['quantityList']).toEqual([{ epcClass: lot, quantity: 1000, uom: 'KGM' }]);
    expect(harvest['ilmd']).toMatchObject({
      'cbvmda:harvestStartDate': chain.events.logged.harvestedAt,
      'fm:variety': 'Fuji',
      'fm:cooperativeId': chain.coop,
    });
    expect(grading['inputQuantityList']).toEqual([{ epcClass: lot, quantity: 1000, uom: 'KGM' }]);
    const out = grading['outputQuantityList'] as { epcClass: string; quantity: number }[];
    expect(out.map((o) => o.quantity)).toEqual([600.5, 350, 49.5]);
    expect(out[0].epcClass).toBe(label);
    expect(new Set(out.map((o) => parseDigitalLinkPath(new URL(o.epcClass).pathname)?.gtin)).size).toBe(3);
    expect(receipt['quantityList']).toEqual([{ epcClass: label, quantity: 600.5, uom: 'KGM' }]);
    expect((receipt['bizLocation'] as { id: string }).id).toMatch(
      /^http:\/\/127\.0\.0\.1:3100\/414\/\d{13}\/254\/WH-LIXIAN-ORIGIN$/,
    );
    expect(records.every((r) => r.cooperativeId === chain.coop)).toBe(true);
    expect(records.every((r) => r.lotIds.length === 1 && r.lotIds[0] === chain.lotId)).toBe(true);
    // The sub-lot's whole chain is findable by its URI (and the lot's): what MATCH_anyEPC filters on.
    expect(records.filter((r) => r.anyEpcs.includes(label) || r.anyEpcs.includes(lot))).toHaveLength(7);
    expect(records.filter((r) => r.anyEpcs.includes(label))).toHaveLength(6);
    expect(records.filter((r) => r.epcs.includes(label))).toHaveLength(5);
  });

  it('tells a transfer from → to, and says nothing twice for a receipt "via transfer"', () => {
    const { chain } = mappedChain();
    const out = mapper.transferDispatched(chain.events.transferDispatched, chain.coop, meta()).event;
    expect(out['sourceList']).toEqual([{ type: 'location', source: ids.place('WH-LIXIAN-ORIGIN') }]);
    expect(out['destinationList']).toEqual([{ type: 'location', destination: ids.place('DC-HANGZHOU') }]);
    expect(out['bizLocation']).toBeUndefined();
    expect(mapper.stockReceived(chain.events.receivedViaTransfer, chain.coop, meta())).toEqual([]);
    expect(mapper.shipmentStatusChanged(chain.events.inTransit, [], meta())).toEqual([]);
  });

  it('splits a shipment of two cooperatives’ goods into one event each, so neither sees the other’s', () => {
    const a = lotChain();
    const b = lotChain();
    const dispatch = {
      ...a.events.stockDispatched,
      items: [...a.events.stockDispatched.items, ...b.events.stockDispatched.items],
    };
    const coopOf = (lotId: string) => (lotId === a.lotId ? a.coop : b.coop);
    const m = meta();
    const records = mapper.stockDispatched(dispatch, coopOf, m);
    expect(records.map((r) => [r.cooperativeId, (r.event['quantityList'] as unknown[]).length])).toEqual([
      [a.coop, 1],
      [b.coop, 1],
    ]);
    expect(new Set(records.map((r) => r._id)).size).toBe(2);
    expect(mapper.stockDispatched(dispatch, coopOf, m).map((r) => r._id)).toEqual(records.map((r) => r._id));
  });

  it('gives the same source event the same event, id included, every time', () => {
    const { events } = lotChain();
    const m = { eventId: 'ce-fixed', time: '2026-12-01T00:00:00.000Z' };
    expect(mapper.lotLogged(events.logged, m)).toEqual(mapper.lotLogged(events.logged, m));
    expect(mapper.lotLogged(events.logged, m)._id).toBe(eventIdFor('ce-fixed'));
    expect(mapper.lotLogged(events.logged, { ...m, eventId: 'ce-other' })._id).not.toBe(
      eventIdFor('ce-fixed'),
    );
  });
});

describe('identifiers', () => {
  it('computes RFC 9562 version-5 UUIDs (the RFC’s own example)', () => {
    expect(uuidV5('www.example.com', '6ba7b810-9dad-11d1-80b4-00c04fd430c8')).toBe(
      '2ed6657d-e927-568b-95e1-2665a8aea6a2',
    );
    expect(eventIdFor('x')).toMatch(
      /^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
  });

  it('ranks grades by their standard (0 = best), unknown grades as "other"', () => {
    expect(['premium', 'grade_1', 'grade_2'].map((g) => gradeRank('apple', g))).toEqual([0, 1, 2]);
    expect(['extra', 'class_i', 'class_ii'].map((g) => gradeRank('apple', g))).toEqual([0, 1, 2]);
    expect(gradeRank('passion_fruit', 'large')).toBe(1);
    expect(gradeRank('apple', 'jumbo')).toBe(7);
    expect(isGtin14(gtinFor({ produce: 'apple', gradeRank: 7, brand: null }))).toBe(true);
  });
});
