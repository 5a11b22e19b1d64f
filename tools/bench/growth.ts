/**
 * The growth phase: does a list keep its speed as a season's data piles up?
 *
 * The store is filled by direct inserts (copies of documents the services wrote during the run,
 * with new ids and older times) to 1 k, 10 k and 100 k lots, orders, shipments, reservations and
 * ledger entries; at each size every list endpoint's first page and a page deep in its cursor are
 * timed through the public HTTP APIs, and a lot by id beside them.
 */
import type { Document } from 'mongodb';
import mongoose from 'mongoose';
import { call, out, percentile, tokenFor } from './lib';
import type { Seed, StackHandle } from './firstmile';
import type { Results } from './results';

const WAREHOUSE = 'WH-LIXIAN-ORIGIN';
const SECTION = 'Growth: list pages as the store fills (p50)' as const;
/** Timed requests per page and size, one after another (a person paging, not a load). */
const SAMPLES = 15;
const DAY = 86_400_000;

interface Filler {
  db: string;
  collection: string;
  /** A document the services wrote during the run, to copy. */
  template: Document;
  /** The copy number i: new id, an older time (the newest real documents stay on the first page). */
  make(t: Document, i: number): Document;
}

interface Endpoint {
  key: string;
  label: string;
  url: (cursor?: string) => string;
  token: string;
  /** The cursor of the page that starts at the i-th oldest filled document. */
  deepCursor(i: number): string;
}

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64url');
const id = (prefix: string, i: number) => `${prefix}-G${String(i).padStart(7, '0')}`;
/** The i-th filled document's time: the older the larger i, one a minute back from 200 days ago. */
const past = (i: number) => new Date(Date.now() - 200 * DAY - i * 60_000);

export async function growth(
  mongoUrl: string,
  stack: StackHandle,
  seeded: Pick<Seed, 'coopId' | 'managerToken' | 'buyerToken'>,
  results: Results,
  sizes: number[],
): Promise<void> {
  const client = await mongoose.mongo.MongoClient.connect(mongoUrl);
  try {
    const db = (name: string) => client.db(`firstmile_${name}`);
    const template = async (dbName: string, collection: string, filter: Document) => {
      const t = await db(dbName).collection(collection).findOne(filter, { projection: { outbox: 0, appliedEvents: 0 } });
      if (!t) throw new Error(`no ${dbName}.${collection} document to copy (the loads before the growth phase wrote none)`);
      return t;
    };
    const fillers: Filler[] = [
      {
        db: 'harvest',
        collection: 'lots',
        template: await template('harvest', 'lots', { cooperativeId: seeded.coopId }),
        make: (t, i) => ({ ...t, _id: id('LOT', i), status: i % 3 ? 'graded' : 'logged', createdAt: past(i), harvestedAt: past(i), outboxSize: 0, outbox: [] }),
      },
      {
        db: 'orders',
        collection: 'orders',
        template: await template('orders', 'orders', { buyerId: 'BUYER-BENCH' }),
        make: (t, i) => ({ ...t, _id: id('ORD', i), status: 'fulfilled', placedAt: past(i), updatedAt: past(i), outboxSize: 0, outbox: [] }),
      },
      {
        db: 'orders',
        collection: 'shipments',
        template: await template('orders', 'shipments', {}),
        make: (t, i) => ({ ...t, _id: id('SHP', i), orderId: id('ORD', i), status: 'delivered', createdAt: past(i), outboxSize: 0, outbox: [] }),
      },
      {
        db: 'warehouse',
        collection: 'stock_reservations',
        template: await template('warehouse', 'stock_reservations', {}),
        make: (t, i) => ({ ...t, _id: id('RSV', i), reservationId: id('RSV', i), orderId: id('ORD', i), shipmentId: id('SHP', i), status: 'released', outboxSize: 0, outbox: [] }),
      },
      {
        db: 'warehouse',
        collection: 'stock_ledger',
        template: await template('warehouse', 'stock_ledger', { warehouseId: WAREHOUSE }),
        // Ledger ids sort by time: older copies sort before the run's own entries.
        make: (t, i) => ({ ...t, _id: `${past(i).toISOString()}|G${String(i).padStart(7, '0')}`, at: past(i) }),
      },
    ];
    const ops = tokenFor({ role: 'ops' });
    const endpoints: Endpoint[] = [
      {
        key: 'lots.coop',
        label: "GET /v1/lots, a cooperative's lots (coop manager)",
        url: (c) => stack.url('harvest-intake', `/v1/lots?limit=50${c ? `&cursor=${c}` : ''}`),
        token: seeded.managerToken,
        deepCursor: (i) => b64(`${past(i).toISOString()}|${id('LOT', i)}`),
      },
      {
        key: 'lots.ops',
        label: 'GET /v1/lots?status=graded&produce=apple (ops)',
        url: (c) => stack.url('harvest-intake', `/v1/lots?status=graded&produce=apple&limit=50${c ? `&cursor=${c}` : ''}`),
        token: ops,
        deepCursor: (i) => b64(`${past(i).toISOString()}|${id('LOT', i)}`),
      },
      {
        key: 'orders.buyer',
        label: "GET /v1/orders, a buyer's orders",
        url: (c) => stack.url('order-routing', `/v1/orders?limit=50${c ? `&cursor=${c}` : ''}`),
        token: seeded.buyerToken,
        deepCursor: (i) => b64(`${past(i).toISOString()}|${id('ORD', i)}`),
      },
      {
        key: 'shipments.status',
        label: 'GET /v1/shipments?status=delivered (logistics)',
        url: (c) => stack.url('order-routing', `/v1/shipments?status=delivered&limit=50${c ? `&cursor=${c}` : ''}`),
        token: tokenFor({ role: 'logistics_operator' }),
        deepCursor: (i) => b64(`${past(i).toISOString()}|${id('SHP', i)}`),
      },
      {
        key: 'ledger',
        label: `GET /v1/warehouses/${WAREHOUSE}/ledger (operator)`,
        url: (c) => stack.url('warehouse', `/v1/warehouses/${WAREHOUSE}/ledger?limit=50${c ? `&cursor=${c}` : ''}`),
        token: tokenFor({ role: 'warehouse_operator', warehouses: [WAREHOUSE] }),
        // The ledger reads oldest first: a deep page starts past the older half of the copies.
        deepCursor: (i) => b64(`${past(i).toISOString()}|G${String(i).padStart(7, '0')}`),
      },
    ];

    let filled = 0;
    const firstLotId = fillers[0].template['_id'] as string;
    for (const size of sizes) {
      const t0 = Date.now();
      for (const f of fillers) {
        const coll = db(f.db).collection(f.collection);
        for (let from = filled; from < size; from += 1000) {
          const docs = Array.from({ length: Math.min(1000, size - from) }, (_, k) => f.make(f.template, from + k));
          await coll.insertMany(docs, { ordered: false });
        }
      }
      out(`[bench] growth: ${size.toLocaleString('en-US')} of each filled (+${((Date.now() - t0) / 1000).toFixed(0)} s)`);
      filled = size;
      const label = size >= 1000 ? `${size / 1000} k` : String(size);
      for (const e of endpoints) {
        const first = await timed(e.url(), e.token);
        // For newest-first lists the middle copy is deep in the cursor; the ledger reads oldest first.
        const deep = await timed(e.url(e.deepCursor(Math.floor(size / 2))), e.token);
        for (const [page, m] of [['first', first], ['deep', deep]] as const) {
          results.set({
            key: `growth.${e.key}.${page}.${size}`,
            section: SECTION,
            label: `${e.label}, ${page === 'first' ? 'first page' : 'a page deep in the cursor'}, ${label} stored`,
            unit: 'ms',
            value: m.p50,
            detail: `max ${m.max.toFixed(1)} ms over ${SAMPLES}; ${m.items} items; status ${m.status}`,
          });
        }
      }
      const byId = await timed(stack.url('harvest-intake', `/v1/lots/${firstLotId}`), seeded.managerToken);
      results.set({ key: `growth.lot-by-id.${size}`, section: SECTION, label: `GET /v1/lots/:id, ${label} stored`, unit: 'ms', value: byId.p50, detail: `max ${byId.max.toFixed(1)} ms` });
    }
    const [smallest, largest] = [sizes[0], sizes[sizes.length - 1]];
    for (const e of endpoints) {
      for (const page of ['first', 'deep'] as const) {
        const a = results.get(`growth.${e.key}.${page}.${smallest}`)?.value;
        const b = results.get(`growth.${e.key}.${page}.${largest}`)?.value;
        if (a !== undefined && b !== undefined)
          results.set({
            key: `growth.${e.key}.${page}.ratio`,
            section: SECTION,
            label: `${e.label}, ${page} page: ${largest.toLocaleString('en-US')} stored ÷ ${smallest.toLocaleString('en-US')}`,
            unit: '×',
            value: b / a,
            detail: 'target ≤ 2×, and ≤ 50 ms at 100 k',
          });
      }
    }
  } finally {
    await client.close();
  }
}

async function timed(url: string, token: string): Promise<{ p50: number; max: number; items: number; status: number }> {
  const ms: number[] = [];
  let items = 0;
  let status = 0;
  for (let i = 0; i < SAMPLES; i++) {
    const t = process.hrtime.bigint();
    const r = await call<{ items?: unknown[] }>('GET', url, token);
    ms.push(Number(process.hrtime.bigint() - t) / 1e6);
    status = r.status;
    items = Array.isArray(r.body?.items) ? r.body.items.length : 1;
  }
  return { p50: percentile(ms, 50), max: Math.max(...ms), items, status };
}
