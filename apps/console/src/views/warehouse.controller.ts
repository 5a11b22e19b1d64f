import { Body, Controller, Get, Param, Post, Query, Res, UseGuards } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { randomUUID } from 'node:crypto';
import { REFERENCE_WAREHOUSES } from '@firstmile/reference';
import { html, type Html } from '../pages/html';
import { Upstream } from '../upstream';
import { field, fmtDate, fmtKg, fmtTime, page, problemBanner } from './layout';
import { fieldErrors, problemOf, query, seeOther, sendHtml, str } from './respond';
import { type Caller, CurrentCaller, ForRoles, SignedInGuard } from './session';

interface StockItem {
  subLotId: string;
  lotId: string;
  produce: string;
  variety: string;
  grade: string;
  brand: string | null;
  onHandKg: number;
  reservedKg: number;
  availableKg: number;
  bestBefore: string;
}
interface LedgerEntry {
  id: string;
  subLotId: string;
  kind: string;
  quantityKg: number;
  onHandKg: number;
  reservedKg: number;
  at: string;
  transferId?: string;
  shipmentId?: string;
  orderId?: string;
}
interface Transfer {
  id: string;
  status: string;
  subLotId: string;
  fromWarehouseId: string;
  toWarehouseId: string;
  quantityKg: number;
  dispatchedAt: string | null;
  receivedAt: string | null;
}

const DAY = 86_400_000;
/** Best-before within this many days is highlighted, past it more so: first expiring, first out. */
const SOON_DAYS = 14;

/** Warehouse operator: stock per warehouse, its ledger, transfers in and out, dispatching shipments. */
@Controller()
@UseGuards(SignedInGuard)
@ForRoles('warehouse_operator', 'ops')
export class WarehouseController {
  constructor(private readonly upstream: Upstream) {}

  @Get('stock')
  async stock(@CurrentCaller() caller: Caller, @Res() reply: FastifyReply) {
    const sections: Html[] = [];
    for (const w of this.warehousesOf(caller)) {
      const res = await this.upstream.get<{ items: StockItem[] }>('warehouse', `/v1/warehouses/${encodeURIComponent(w)}/stock`, caller.token);
      const items = res.status === 200 ? res.body.items : [];
      const now = Date.now();
      sections.push(html`<section aria-labelledby="h-${w}"><h2 id="h-${w}">${w} <a href="/stock/${w}/ledger" class="hint">ledger</a></h2>${problemBanner(problemOf(res))}
${items.length === 0 ? html`<p>No stock.</p>` : html`<div class="table-wrap"><table><thead><tr><th scope="col">Sub-lot</th><th scope="col">Produce</th><th scope="col">Grade · brand</th><th scope="col" class="num">On hand</th><th scope="col" class="num">Reserved</th><th scope="col" class="num">Available</th><th scope="col">Best before</th></tr></thead><tbody>
${items.map((s) => {
  const left = new Date(s.bestBefore).getTime() - now;
  const cls = left < 0 ? 'expired' : left < SOON_DAYS * DAY ? 'soon' : '';
  return html`<tr><td>${s.subLotId}</td><td>${s.produce} · ${s.variety}</td><td>${s.grade}${s.brand ? ` · ${s.brand}` : ''}</td><td class="num">${fmtKg(s.onHandKg)}</td><td class="num">${fmtKg(s.reservedKg)}</td><td class="num">${fmtKg(s.availableKg)}</td><td class="${cls}">${fmtDate(s.bestBefore)}${cls === 'expired' ? ' (expired)' : cls === 'soon' ? ' (soon)' : ''}</td></tr>`;
})}
</tbody></table></div>`}</section>`);
    }
    return sendHtml(reply, page('Stock', caller, sections.length ? sections : [html`<p>Your token names no warehouse.</p>`]));
  }

  @Get('stock/:warehouseId/ledger')
  async ledger(@CurrentCaller() caller: Caller, @Param('warehouseId') warehouseId: string, @Query('cursor') cursor: string | undefined, @Res() reply: FastifyReply) {
    const res = await this.upstream.get<{ items: LedgerEntry[]; nextCursor: string | null }>('warehouse', `/v1/warehouses/${encodeURIComponent(warehouseId)}/ledger${query({ cursor: str(cursor), limit: 100 })}`, caller.token);
    const items = res.status === 200 ? res.body.items : [];
    return sendHtml(
      reply,
      page(`Ledger of ${warehouseId}`, caller, [
        problemBanner(problemOf(res)),
        html`<div class="table-wrap"><table><thead><tr><th scope="col">When</th><th scope="col">Movement</th><th scope="col">Sub-lot</th><th scope="col" class="num">Quantity</th><th scope="col" class="num">On hand after</th><th scope="col" class="num">Reserved after</th><th scope="col">Reference</th></tr></thead><tbody>
${items.map((e) => html`<tr><td>${fmtTime(e.at)}</td><td>${e.kind}</td><td>${e.subLotId}</td><td class="num">${fmtKg(e.quantityKg)}</td><td class="num">${fmtKg(e.onHandKg)}</td><td class="num">${fmtKg(e.reservedKg)}</td><td>${e.transferId ?? e.shipmentId ?? e.orderId ?? ''}</td></tr>`)}
</tbody></table></div>`,
        res.status === 200 && res.body.nextCursor ? html`<p><a href="/stock/${warehouseId}/ledger?cursor=${res.body.nextCursor}">Next page</a></p>` : '',
      ]),
    );
  }

  @Get('transfers')
  async transfers(@CurrentCaller() caller: Caller, @Res() reply: FastifyReply) {
    return sendHtml(reply, await this.transfersPage(caller, {}, {}));
  }

  @Post('transfers')
  @ForRoles('warehouse_operator')
  async createTransfer(@CurrentCaller() caller: Caller, @Body() form: Record<string, string>, @Res() reply: FastifyReply) {
    const body = { subLotId: str(form['subLotId']), fromWarehouseId: str(form['fromWarehouseId']), toWarehouseId: str(form['toWarehouseId']), quantityKg: str(form['quantityKg']) === undefined ? undefined : Number(form['quantityKg']) };
    const res = await this.upstream.call('warehouse', 'POST', '/v1/transfers', caller.token, body, { 'idempotency-key': /^[0-9a-f-]{36}$/.test(form['idempotencyKey'] ?? '') ? form['idempotencyKey'] : randomUUID() });
    if (res.status === 201 || res.status === 200) return seeOther(reply, '/transfers');
    return sendHtml(reply, await this.transfersPage(caller, form, fieldErrors(res), problemOf(res)), 400);
  }

  @Post('transfers/:id/receive')
  @ForRoles('warehouse_operator')
  async receive(@CurrentCaller() caller: Caller, @Param('id') id: string, @Res() reply: FastifyReply) {
    const res = await this.upstream.call('warehouse', 'POST', `/v1/transfers/${encodeURIComponent(id)}/receive`, caller.token, {});
    if (res.status < 300) return seeOther(reply, '/transfers');
    return sendHtml(reply, await this.transfersPage(caller, {}, {}, problemOf(res)), res.status);
  }

  @Get('dispatch')
  dispatchPage(@CurrentCaller() caller: Caller, @Res() reply: FastifyReply) {
    return sendHtml(reply, this.dispatchForm(caller, {}, {}));
  }

  @Post('dispatch')
  @ForRoles('warehouse_operator')
  async dispatch(@CurrentCaller() caller: Caller, @Body() form: Record<string, string>, @Res() reply: FastifyReply) {
    const warehouseId = str(form['warehouseId']) ?? '';
    const res = await this.upstream.call('warehouse', 'POST', `/v1/warehouses/${encodeURIComponent(warehouseId)}/dispatches`, caller.token, { shipmentId: str(form['shipmentId']) });
    if (res.status < 300) return sendHtml(reply, this.dispatchForm(caller, {}, {}, `Shipment ${form['shipmentId']} left ${warehouseId}.`));
    return sendHtml(reply, this.dispatchForm(caller, form, fieldErrors(res), undefined, problemOf(res)), res.status === 404 ? 404 : 400);
  }

  private warehousesOf(caller: Caller): string[] {
    return caller.principal.role === 'ops' ? REFERENCE_WAREHOUSES.map((w) => w.id) : (caller.principal.warehouses ?? []);
  }

  /** Out: the transfer_out movements of the caller's warehouses; in: those headed to one of them. */
  private async transfersPage(caller: Caller, values: Record<string, string>, errors: Record<string, string>, problem?: { title?: string; detail?: string }): Promise<string> {
    const mine = this.warehousesOf(caller);
    const ids = new Set<string>();
    for (const w of mine) {
      const res = await this.upstream.get<{ items: LedgerEntry[] }>('warehouse', `/v1/warehouses/${encodeURIComponent(w)}/ledger?kind=transfer_out&limit=100`, caller.token);
      for (const e of res.status === 200 ? res.body.items : []) if (e.transferId) ids.add(e.transferId);
    }
    const transfers: Transfer[] = [];
    for (const id of ids) {
      const t = await this.upstream.get<Transfer>('warehouse', `/v1/transfers/${encodeURIComponent(id)}`, caller.token);
      if (t.status === 200) transfers.push(t.body);
    }
    const e = { errors };
    const options = REFERENCE_WAREHOUSES.map((w) => [w.id, `${w.name} (${w.id})`] as [string, string]);
    return page('Transfers', caller, [
      problemBanner(problem),
      transfers.length === 0
        ? html`<p>No transfers from your warehouses.</p>`
        : html`<div class="table-wrap"><table><thead><tr><th scope="col">Transfer</th><th scope="col">Sub-lot</th><th scope="col">From → to</th><th scope="col" class="num">Quantity</th><th scope="col">Status</th><th scope="col">Action</th></tr></thead><tbody>
${transfers.map((t) => html`<tr><td>${t.id}</td><td>${t.subLotId}</td><td>${t.fromWarehouseId} → ${t.toWarehouseId}</td><td class="num">${fmtKg(t.quantityKg)}</td><td>${t.status}${t.receivedAt ? ` ${fmtTime(t.receivedAt)}` : ''}</td>
<td>${t.status === 'in_transit' && mine.includes(t.toWarehouseId) && caller.principal.role === 'warehouse_operator' ? html`<form method="post" action="/transfers/${t.id}/receive"><button type="submit" class="secondary">Receive at ${t.toWarehouseId}</button></form>` : ''}</td></tr>`)}
</tbody></table></div>`,
      caller.principal.role !== 'warehouse_operator'
        ? ''
        : html`<form class="card" method="post" action="/transfers"><h2>New transfer</h2><input type="hidden" name="idempotencyKey" value="${values['idempotencyKey'] ?? randomUUID()}">
${field('subLotId', 'Sub-lot', { ...e, value: values['subLotId'], attrs: 'required maxlength="60"' })}
<div class="row">${field('fromWarehouseId', 'From', { ...e, value: values['fromWarehouseId'], attrs: 'required', options: mine.map((w) => [w, w] as [string, string]) })}
${field('toWarehouseId', 'To', { ...e, value: values['toWarehouseId'], attrs: 'required', options })}</div>
${field('quantityKg', 'Quantity (kg)', { ...e, type: 'number', value: values['quantityKg'], attrs: 'required min="0.001" max="1000000" step="0.001" inputmode="decimal"' })}
<button type="submit">Send</button></form>`,
    ]);
  }

  private dispatchForm(caller: Caller, values: Record<string, string>, errors: Record<string, string>, done?: string, problem?: { title?: string; detail?: string }): string {
    const e = { errors };
    return page(
      'Dispatch a shipment',
      caller,
      [
        done ? html`<div class="ok" role="status">${done}</div>` : '',
        problemBanner(problem),
        html`<form class="card" method="post" action="/dispatch"><p class="hint">The shipment's reserved stock leaves the warehouse; the logistics operator tracks it from here.</p>
${field('warehouseId', 'Warehouse', { ...e, value: values['warehouseId'], attrs: 'required', options: this.warehousesOf(caller).map((w) => [w, w] as [string, string]) })}
${field('shipmentId', 'Shipment', { ...e, value: values['shipmentId'], attrs: 'required maxlength="60" autocomplete="off"', hint: 'e.g. SHP-7K3QH9WZ2M' })}
<button type="submit">Dispatch</button></form>`,
      ],
      { narrow: true },
    );
  }
}
