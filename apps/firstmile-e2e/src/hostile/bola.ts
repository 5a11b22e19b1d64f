import type { Role } from '@firstmile/contracts';
import type { ServiceName } from '../stack';
import { type CallerName, CALLERS, DC_XIAN, LIXIAN, type World } from './world';

/**
 * The object-level authorization matrix (API.md): one row per object endpoint, checked as every
 * caller. A new endpoint is one more row.
 *
 * - `roles`: who the route admits at all (`@Roles`); 'public' needs no token, 'any' any valid token.
 *   Anyone else: 401 without a token, 403 with the wrong role.
 * - `owners`: which admitted callers may see tenant A's object. Every other admitted caller gets
 *   404, as if it did not exist — or, for a list, 200 without A's objects in it.
 * - `write`: the call changes state, so only callers who must be refused are tried, and A's
 *   objects are compared before and after.
 */
export interface BolaRow {
  name: string;
  service: ServiceName;
  method: 'GET' | 'POST';
  path: (w: World) => string;
  body?: (w: World) => unknown;
  roles: Role[] | 'public' | 'any';
  owners: CallerName[];
  list?: { contains: (body: unknown, w: World) => boolean };
  write?: boolean;
}

const items = (body: unknown) => ((body as { items?: Array<Record<string, unknown>> })?.items ?? []);
type EpcisEventJson = Record<string, unknown> & { quantityList?: Array<{ epcClass: string }> };
const epcisEvents = (body: unknown): EpcisEventJson[] =>
  (body as { epcisBody?: { queryResults?: { resultsBody?: { eventList?: EpcisEventJson[] } } } })?.epcisBody?.queryResults?.resultsBody?.eventList ?? [];

export const BOLA_ROWS: BolaRow[] = [
  // harvest-intake
  { name: 'cooperative', service: 'harvest-intake', method: 'GET', path: (w) => `/v1/cooperatives/${w.coopA}`, roles: ['ops', 'coop_manager'], owners: ['opsUser', 'managerA'] },
  { name: 'lot', service: 'harvest-intake', method: 'GET', path: (w) => `/v1/lots/${w.lotA}`, roles: ['coop_manager', 'ops'], owners: ['opsUser', 'managerA'] },
  {
    name: 'lots list, filtered by cooperative A',
    service: 'harvest-intake',
    method: 'GET',
    path: (w) => `/v1/lots?cooperativeId=${w.coopA}`,
    roles: ['coop_manager', 'ops'],
    owners: ['opsUser', 'managerA'],
    list: { contains: (b, w) => items(b).some((l) => l['id'] === w.lotA) },
  },
  {
    name: 'lots list, unfiltered',
    service: 'harvest-intake',
    method: 'GET',
    path: () => '/v1/lots?limit=500',
    roles: ['coop_manager', 'ops'],
    owners: ['opsUser', 'managerA'],
    list: { contains: (b, w) => items(b).some((l) => l['cooperativeId'] === w.coopA) },
  },
  { name: 'add a grower', service: 'harvest-intake', method: 'POST', path: (w) => `/v1/cooperatives/${w.coopA}/growers`, body: () => ({ name: 'Intruder' }), roles: ['coop_manager'], owners: ['managerA'], write: true },
  {
    name: 'add an orchard',
    service: 'harvest-intake',
    method: 'POST',
    path: (w) => `/v1/cooperatives/${w.coopA}/orchards`,
    body: (w) => ({ growerId: w.growerA, name: 'Intruder orchard', areaMu: 1, location: { lat: 34, lon: 105 }, produce: 'apple', variety: 'Fuji' }),
    roles: ['coop_manager'],
    owners: ['managerA'],
    write: true,
  },
  {
    name: "log a lot for A's cooperative",
    service: 'harvest-intake',
    method: 'POST',
    path: () => '/v1/lots',
    body: (w) => ({
      cooperativeId: w.coopA,
      growerId: w.growerA,
      orchardId: w.orchardA,
      produce: 'apple',
      variety: 'Fuji',
      harvestedAt: new Date(Date.now() - 3_600_000).toISOString(),
      quantityKg: 10,
      originWarehouseId: LIXIAN,
    }),
    roles: ['coop_manager'],
    owners: ['managerA'],
    write: true,
  },
  { name: 'void a lot', service: 'harvest-intake', method: 'POST', path: (w) => `/v1/lots/${w.lotA2}/void`, body: () => ({ reason: 'hostile' }), roles: ['coop_manager'], owners: ['managerA'], write: true },

  // grading
  { name: 'grading of a lot', service: 'grading', method: 'GET', path: (w) => `/v1/lots/${w.lotA}/grading`, roles: ['grading_line', 'coop_manager', 'ops'], owners: ['opsUser', 'managerA', 'lineA'] },
  {
    name: 'provenance (public; never the grower phone)',
    service: 'grading',
    method: 'GET',
    path: (w) => `/v1/provenance/${w.traceCodeA}`,
    roles: 'public',
    owners: Object.keys(CALLERS) as CallerName[],
  },
  {
    name: 'measure a lot',
    service: 'grading',
    method: 'POST',
    path: (w) => `/v1/lots/${w.lotA2}/measurements`,
    body: () => ({ batchId: 'hostile-batch', fruits: [{ weightG: 250 }] }),
    roles: ['grading_line'],
    owners: ['lineA'],
    write: true,
  },
  {
    name: 'grade a lot',
    service: 'grading',
    method: 'POST',
    path: (w) => `/v1/lots/${w.lotA2}/grading`,
    body: () => ({ bands: [{ grade: 'premium', quantityKg: 100 }] }),
    roles: ['grading_line'],
    owners: ['lineA'],
    write: true,
  },

  // warehouse
  { name: 'stock', service: 'warehouse', method: 'GET', path: () => `/v1/warehouses/${LIXIAN}/stock`, roles: ['warehouse_operator', 'ops'], owners: ['opsUser', 'operatorA'] },
  { name: 'ledger', service: 'warehouse', method: 'GET', path: () => `/v1/warehouses/${LIXIAN}/ledger`, roles: ['warehouse_operator', 'ops'], owners: ['opsUser', 'operatorA'] },
  { name: 'transfer', service: 'warehouse', method: 'GET', path: (w) => `/v1/transfers/${w.transferA}`, roles: ['warehouse_operator', 'ops'], owners: ['opsUser', 'operatorA'] },
  {
    name: "transfer out of A's warehouse",
    service: 'warehouse',
    method: 'POST',
    path: () => '/v1/transfers',
    body: (w) => ({ subLotId: w.subLotA, fromWarehouseId: LIXIAN, toWarehouseId: DC_XIAN, quantityKg: 1 }),
    roles: ['warehouse_operator'],
    owners: ['operatorA'],
    write: true,
  },
  // Only the destination's operator receives; operatorA runs the source, so it is refused too.
  { name: 'receive a transfer', service: 'warehouse', method: 'POST', path: (w) => `/v1/transfers/${w.transferA}/receive`, roles: ['warehouse_operator'], owners: [], write: true },
  {
    name: "dispatch from A's warehouse",
    service: 'warehouse',
    method: 'POST',
    path: () => `/v1/warehouses/${LIXIAN}/dispatches`,
    body: (w) => ({ shipmentId: w.shipmentA }),
    roles: ['warehouse_operator'],
    owners: ['operatorA'],
    write: true,
  },

  // order-routing
  { name: 'order', service: 'order-routing', method: 'GET', path: (w) => `/v1/orders/${w.orderA}`, roles: ['buyer', 'ops'], owners: ['opsUser', 'buyerA'] },
  { name: 'shipment', service: 'order-routing', method: 'GET', path: (w) => `/v1/shipments/${w.shipmentA}`, roles: ['logistics_operator', 'ops', 'buyer'], owners: ['opsUser', 'logistics', 'buyerA'] },
  {
    name: 'shipments list',
    service: 'order-routing',
    method: 'GET',
    path: (w) => `/v1/shipments?orderId=${w.orderA}`,
    roles: ['logistics_operator', 'ops'],
    owners: ['opsUser', 'logistics'],
    list: { contains: (b, w) => items(b).some((s) => s['id'] === w.shipmentA) },
  },
  { name: 'cancel an order', service: 'order-routing', method: 'POST', path: (w) => `/v1/orders/${w.orderA}/cancel`, body: () => ({ reason: 'hostile' }), roles: ['buyer', 'ops'], owners: ['opsUser', 'buyerA'], write: true },
  {
    name: 'track a shipment',
    service: 'order-routing',
    method: 'POST',
    path: (w) => `/v1/shipments/${w.shipmentA}/events`,
    body: () => ({ status: 'exception', at: new Date().toISOString(), note: 'hostile' }),
    roles: ['logistics_operator'],
    owners: ['logistics'],
    write: true,
  },

  // insights (EPCIS 2.0): a query answers only the caller's cooperative's events
  {
    name: 'EPCIS events (the harvest of lot A)',
    service: 'insights',
    method: 'GET',
    path: () => '/epcis/events?eventType=ObjectEvent&EQ_bizStep=commissioning&perPage=500',
    roles: ['ops', 'coop_manager'],
    owners: ['opsUser', 'managerA'],
    list: { contains: (b, w) => epcisEvents(b).some((e) => e['quantityList']?.some((q) => q.epcClass.endsWith(`/10/${w.lotA}`))) },
  },
  // insights: settlements (its cooperative's manager, ops) and a county's summary (ops, that county's official)
  { name: "cooperative A's settlements", service: 'insights', method: 'GET', path: (w) => `/v1/cooperatives/${w.coopA}/settlements`, roles: ['coop_manager', 'ops'], owners: ['opsUser', 'managerA'] },
  { name: "lot A's settlement", service: 'insights', method: 'GET', path: (w) => `/v1/lots/${w.lotA}/settlement`, roles: ['coop_manager', 'ops'], owners: ['opsUser', 'managerA'] },
  { name: "Lixian's county summary", service: 'insights', method: 'GET', path: () => '/v1/counties/CN-GS-LIXIAN/summary', roles: ['ops', 'county_official'], owners: ['opsUser'] },
];

export type Expected = 'ok' | 401 | 403 | 404 | 'list-without';

/** What `caller` must get from `row`. */
export function expectedFor(row: BolaRow, caller: CallerName, role: Role | undefined): Expected {
  if (row.roles === 'public') return 'ok';
  if (!role) return 401;
  if (row.roles !== 'any' && !row.roles.includes(role)) return 403;
  if (row.owners.includes(caller)) return 'ok';
  return row.list ? 'list-without' : 404;
}

/** GETs by ops that must answer the same before and after the write attacks. */
export const SNAPSHOT = (w: World): Array<[ServiceName, string]> => [
  ['harvest-intake', `/v1/cooperatives/${w.coopA}`],
  ['harvest-intake', `/v1/lots/${w.lotA2}`],
  ['harvest-intake', `/v1/lots?cooperativeId=${w.coopA}`],
  ['grading', `/v1/lots/${w.lotA2}/grading`],
  ['warehouse', `/v1/warehouses/${LIXIAN}/stock`],
  ['warehouse', `/v1/warehouses/${LIXIAN}/ledger?limit=500`],
  ['warehouse', `/v1/transfers/${w.transferA}`],
  ['order-routing', `/v1/orders/${w.orderA}`],
  ['order-routing', `/v1/shipments/${w.shipmentA}`],
];
