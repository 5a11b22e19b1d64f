import { randomUUID } from 'node:crypto';
import * as http from 'node:http';
import type { Principal } from '@firstmile/contracts';
import { token, waitFor } from '@firstmile/testing';
import type { ServiceName, Stack } from '../stack';

export const SERVICES: readonly ServiceName[] = ['harvest-intake', 'grading', 'warehouse', 'order-routing', 'insights'];

/** What a hostile request got back: the raw text, and its JSON when it parses. */
export interface Answer {
  status: number;
  headers: Headers;
  text: string;
  json: unknown;
}

export interface RawRequest {
  method: string;
  service: ServiceName;
  /** Path and query, already encoded. */
  path: string;
  /** `authorization` value, or none. */
  authorization?: string;
  /** A value to send as JSON, or raw text with its own content type. */
  body?: { json: unknown } | { raw: string; contentType?: string };
  headers?: Record<string, string>;
  /** Who is calling, for messages (the fuzz sets it). */
  as?: string;
}

// A connection per request: a server that rightly closes the connection after refusing one request
// (a header overflow) must not make the next request fail on a reused socket.
const agent = new http.Agent({ keepAlive: false });

/**
 * One HTTP request, nothing assumed about the answer (the suite asserts on it). node:http rather than
 * fetch: fetch refuses a body on GET, and a hostile client does not.
 */
export async function send(stack: Stack, r: RawRequest): Promise<Answer> {
  const headers: Record<string, string> = { ...(r.authorization ? { authorization: r.authorization } : {}) };
  let body: string | undefined;
  if (r.body && 'json' in r.body) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(r.body.json);
  } else if (r.body) {
    if (r.body.contentType) headers['content-type'] = r.body.contentType;
    body = r.body.raw;
  }
  if (body !== undefined) headers['content-length'] = String(Buffer.byteLength(body));
  const res = await new Promise<{ status: number; headers: Headers; text: string }>((resolve, reject) => {
    const req = http.request(stack.url(r.service, r.path), { method: r.method, headers: { ...headers, ...r.headers }, agent }, (incoming) => {
      const chunks: Buffer[] = [];
      incoming.on('data', (c: Buffer) => chunks.push(c));
      incoming.on('error', reject);
      incoming.on('end', () => {
        const h = new Headers();
        for (const [k, v] of Object.entries(incoming.headers)) if (v !== undefined) h.set(k, Array.isArray(v) ? v.join(', ') : v);
        resolve({ status: incoming.statusCode ?? 0, headers: h, text: Buffer.concat(chunks).toString('utf8') });
      });
    });
    // A server refusing an oversized body answers before it has read it all and closes: the rest of
    // the write fails (EPIPE, ECONNRESET) while its answer is still on its way. Wait a moment for it.
    req.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EPIPE' || err.code === 'ECONNRESET') setTimeout(() => reject(err), 1_000).unref();
      else reject(err);
    });
    req.end(body);
  });
  const text = res.text;
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}

/**
 * The reasons an answer breaks the HTTP contract (empty when it keeps it): never a 5xx; every 4xx is
 * RFC 9457 problem+json with type, title and the same status; a 2xx with a body is JSON.
 */
export function contractViolations(a: Answer): string[] {
  const type = a.headers.get('content-type') ?? '';
  if (a.status >= 500) return [`${a.status} server error: ${a.text.slice(0, 300)}`];
  if (a.status >= 400) {
    const p = a.json as { type?: unknown; title?: unknown; status?: unknown } | undefined;
    const out: string[] = [];
    if (!type.startsWith('application/problem+json')) out.push(`${a.status} with content-type "${type}", not application/problem+json`);
    if (typeof p?.type !== 'string' || typeof p.title !== 'string' || p.status !== a.status) {
      out.push(`${a.status} body is not a problem document: ${a.text.slice(0, 300)}`);
    }
    return out;
  }
  // JSON media types: application/json and the +json ones (RFC 6839), e.g. EPCIS's application/ld+json.
  // Labels are the one documented non-JSON answer (grading's label.svg and labels.pdf): they must be what they say.
  if (a.status >= 200 && a.status < 300 && type.startsWith('image/svg+xml')) return a.text.startsWith('<svg ') ? [] : [`${a.status} image/svg+xml that is no SVG: ${a.text.slice(0, 100)}`];
  if (a.status >= 200 && a.status < 300 && type.startsWith('application/pdf')) return a.text.startsWith('%PDF-') ? [] : [`${a.status} application/pdf that is no PDF: ${a.text.slice(0, 100)}`];
  if (a.status >= 200 && a.status < 300 && a.text && (!/^application\/([\w.-]+\+)?json\b/.test(type) || a.json === undefined)) {
    return [`${a.status} body is not JSON (content-type "${type}"): ${a.text.slice(0, 200)}`];
  }
  return [];
}

export const LIXIAN = 'WH-LIXIAN-ORIGIN';
export const XUNWU = 'WH-XUNWU-ORIGIN';
export const DC_XIAN = 'DC-XIAN';

/** Everyone the suite calls as: two tenants of each kind, the shared roles, and no one. */
export const CALLERS = {
  opsUser: { role: 'ops', sub: 'hostile-ops' },
  managerA: { role: 'coop_manager', sub: 'hostile-manager-a' }, // coop set once seeded
  managerB: { role: 'coop_manager', sub: 'hostile-manager-b' },
  buyerA: { role: 'buyer', buyer: 'BUYER-HOSTILE-A', sub: 'hostile-buyer-a' },
  buyerB: { role: 'buyer', buyer: 'BUYER-HOSTILE-B', sub: 'hostile-buyer-b' },
  lineA: { role: 'grading_line', warehouses: [LIXIAN], sub: 'hostile-line-a' },
  lineB: { role: 'grading_line', warehouses: [XUNWU], sub: 'hostile-line-b' },
  operatorA: { role: 'warehouse_operator', warehouses: [LIXIAN], sub: 'hostile-operator-a' },
  operatorB: { role: 'warehouse_operator', warehouses: [XUNWU], sub: 'hostile-operator-b' },
  logistics: { role: 'logistics_operator', sub: 'hostile-logistics' },
  anonymous: null,
} satisfies Record<string, Principal | null>;
export type CallerName = keyof typeof CALLERS;
export const CALLER_NAMES = Object.keys(CALLERS) as CallerName[];

/** The objects of tenant A (and B) the suite attacks, and strings that only A's data contains. */
export interface World {
  coopA: string;
  coopB: string;
  growerA: string;
  orchardA: string;
  growerB: string;
  orchardB: string;
  /** Graded: its sub-lots are stock at LIXIAN, one of them reserved by orderA. */
  lotA: string;
  /** Logged only: the target of the write attacks (void, measure, grade). */
  lotA2: string;
  lotB: string;
  subLotA: string;
  traceCodeA: string;
  orderA: string;
  shipmentA: string;
  /** From LIXIAN to DC_XIAN, in transit. */
  transferA: string;
  /** Strings that only tenant A's data holds; none may reach a caller who may not see A. */
  markersA: string[];
  /** A's strings that no public answer carries either (the coop name is on provenance). */
  privateA: string[];
  /** Personal data that no response may carry, to anyone. */
  growerPhoneA: string;
  auth(caller: CallerName): string | undefined;
  principal(caller: CallerName): Principal | null;
}

/** Seeds two cooperatives, a graded lot with stock, an order with its shipment and a transfer, over HTTP. */
export async function seedWorld(stack: Stack): Promise<World> {
  const tag = randomUUID().slice(0, 8);
  const principals: Record<string, Principal | null> = { ...CALLERS };
  const auth = (c: CallerName) => {
    const p = principals[c];
    return p ? `Bearer ${token(p)}` : undefined;
  };
  const call = async <T>(caller: CallerName, method: string, service: ServiceName, path: string, body?: unknown, expected = [200, 201, 202]) => {
    const a = await send(stack, {
      method,
      service,
      path,
      authorization: auth(caller),
      ...(body === undefined ? {} : { body: { json: body } }),
      headers: method === 'POST' ? { 'idempotency-key': randomUUID() } : {},
    });
    if (!expected.includes(a.status)) throw new Error(`seeding: ${method} ${path} as ${caller} answered ${a.status}: ${a.text}`);
    return a.json as T;
  };

  const nameA = `Hostile Coop A ${tag}`;
  const growerPhoneA = `+86 139 ${tag.replace(/\D/g, '7').slice(0, 4)} ${String(Date.now()).slice(-4)}`;
  const notesA = `notes-of-A-${tag}`;
  const addressA = `Address-of-A-${tag}`;
  const coopA = await call<{ id: string }>('opsUser', 'POST', 'harvest-intake', '/v1/cooperatives', {
    name: nameA,
    county: 'CN-GS-LIXIAN',
    province: 'Gansu',
    location: { lat: 34.19, lon: 105.18 },
  });
  const coopB = await call<{ id: string }>('opsUser', 'POST', 'harvest-intake', '/v1/cooperatives', {
    name: `Hostile Coop B ${tag}`,
    county: 'CN-JX-XUNWU',
    province: 'Jiangxi',
    location: { lat: 24.95, lon: 115.65 },
  });
  principals['managerA'] = { ...CALLERS.managerA, coop: coopA.id } as Principal;
  principals['managerB'] = { ...CALLERS.managerB, coop: coopB.id } as Principal;

  const growerA = await call<{ id: string }>('managerA', 'POST', 'harvest-intake', `/v1/cooperatives/${coopA.id}/growers`, { name: `Grower A ${tag}`, phone: growerPhoneA });
  const orchardA = await call<{ id: string }>('managerA', 'POST', 'harvest-intake', `/v1/cooperatives/${coopA.id}/orchards`, {
    growerId: growerA.id,
    name: `Orchard A ${tag}`,
    areaMu: 12,
    location: { lat: 34.13, lon: 105.12 },
    produce: 'apple',
    variety: 'Fuji',
  });
  const growerB = await call<{ id: string }>('managerB', 'POST', 'harvest-intake', `/v1/cooperatives/${coopB.id}/growers`, { name: `Grower B ${tag}` });
  const orchardB = await call<{ id: string }>('managerB', 'POST', 'harvest-intake', `/v1/cooperatives/${coopB.id}/orchards`, {
    growerId: growerB.id,
    name: `Orchard B ${tag}`,
    areaMu: 8,
    location: { lat: 24.9, lon: 115.6 },
    produce: 'passion_fruit',
    variety: 'Purple',
  });
  const harvestedAt = new Date(Date.now() - 86_400_000).toISOString();
  const lotBody = (coop: string, grower: string, orchard: string, produce: string, variety: string, wh: string, kg: number) => ({
    cooperativeId: coop,
    growerId: grower,
    orchardId: orchard,
    produce,
    variety,
    harvestedAt,
    quantityKg: kg,
    originWarehouseId: wh,
    notes: notesA,
  });
  const lotA = await call<{ id: string }>('managerA', 'POST', 'harvest-intake', '/v1/lots', lotBody(coopA.id, growerA.id, orchardA.id, 'apple', 'Fuji', LIXIAN, 1000));
  const lotA2 = await call<{ id: string }>('managerA', 'POST', 'harvest-intake', '/v1/lots', lotBody(coopA.id, growerA.id, orchardA.id, 'apple', 'Fuji', LIXIAN, 400));
  const lotB = await call<{ id: string }>('managerB', 'POST', 'harvest-intake', '/v1/lots', {
    ...lotBody(coopB.id, growerB.id, orchardB.id, 'passion_fruit', 'Purple', XUNWU, 300),
    notes: `notes-of-B-${tag}`,
  });

  // Grading hears of the lots over Kafka; the line grades lot A.
  for (const lot of [lotA.id, lotA2.id]) {
    await waitFor(async () => (await send(stack, { method: 'GET', service: 'grading', path: `/v1/lots/${lot}/grading`, authorization: auth('lineA') })).status === 200, {
      what: `grading to know lot ${lot}`,
    });
  }
  const graded = await call<{ subLots: Array<{ id: string; grade: string; traceCode: string }> }>('lineA', 'POST', 'grading', `/v1/lots/${lotA.id}/grading`, {
    bands: [
      { grade: 'premium', quantityKg: 400 },
      { grade: 'grade_1', quantityKg: 400 },
      { grade: 'grade_2', quantityKg: 150 },
    ],
  });
  const premium = graded.subLots.find((s) => s.grade === 'premium');
  if (!premium) throw new Error('seeding: no premium sub-lot');
  const stockOfA = async () =>
    ((await call<{ items: Array<{ subLotId: string; reservedKg: number }> }>('opsUser', 'GET', 'warehouse', `/v1/warehouses/${LIXIAN}/stock?subLotId=${premium.id}`)).items ?? [])[0];
  await waitFor(stockOfA, { what: 'the premium sub-lot in stock' });
  // Order-routing hears of it over Kafka. An order routed on a view that has not read the warehouse's
  // stock events yet waits (backordered) instead of being refused, and the stock's arrival routes it;
  // what the warehouse has stored but not yet published is news to nobody, so that is waited for.
  const series = async (service: 'warehouse', name: string) =>
    (await (await fetch(stack.url(service, '/metrics'))).text())
      .split('\n')
      .filter((l) => l.startsWith(`${name}{`))
      .map((l) => Number(l.split(' ').pop()));
  await waitFor(async () => (await series('warehouse', 'firstmile_outbox_backlog')).every((n) => n === 0), {
    what: 'the warehouse to have published its stock events',
  });

  // Buyer A orders; order-routing reserves and routes it.
  const placed = await call<{ id: string }>('buyerA', 'POST', 'order-routing', '/v1/orders', {
    channel: 'wholesale',
    destination: { city: "Xi'an", location: { lat: 34.34, lon: 108.94 }, address: addressA },
    lines: [{ produce: 'apple', minGrade: 'premium', quantityKg: 100 }],
  });
  const order = await waitFor(
    async () => {
      const o = await call<{ status: string; shipments: string[] }>('buyerA', 'GET', 'order-routing', `/v1/orders/${placed.id}`);
      if (o.status !== 'received' && o.shipments.length > 0) return o;
      throw new Error(`order A is ${JSON.stringify(o)}`);
    },
    { what: 'order A routed', timeoutMs: 60_000 },
  );
  await waitFor(async () => ((await stockOfA())?.reservedKg ?? 0) >= 100, { what: 'order A reserved' });
  const transfer = await call<{ id: string }>('operatorA', 'POST', 'warehouse', '/v1/transfers', {
    subLotId: premium.id,
    fromWarehouseId: LIXIAN,
    toWarehouseId: DC_XIAN,
    quantityKg: 50,
  });

  return {
    coopA: coopA.id,
    coopB: coopB.id,
    growerA: growerA.id,
    orchardA: orchardA.id,
    growerB: growerB.id,
    orchardB: orchardB.id,
    lotA: lotA.id,
    lotA2: lotA2.id,
    lotB: lotB.id,
    subLotA: premium.id,
    traceCodeA: premium.traceCode,
    orderA: placed.id,
    shipmentA: order.shipments[0],
    transferA: transfer.id,
    markersA: [nameA, growerPhoneA, notesA, addressA],
    privateA: [growerPhoneA, notesA, addressA],
    growerPhoneA,
    auth,
    principal: (c) => principals[c],
  };
}
