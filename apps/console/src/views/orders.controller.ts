import { Body, Controller, Get, Param, Post, Res, UseGuards } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { randomUUID } from 'node:crypto';
import { REFERENCE_BRANDS, REFERENCE_WAREHOUSES } from '@firstmile/reference';
import { html } from '../pages/html';
import { Upstream } from '../upstream';
import { field, fmtKg, fmtTime, page, problemBanner } from './layout';
import { chinaLocalToIso, fieldErrors, problemOf, seeOther, sendHtml, str } from './respond';
import { type Caller, CurrentCaller, ForRoles, SignedInGuard } from './session';
import type { Shipment } from './shipments.controller';
import { timeline } from './shipments.controller';

interface Order {
  id: string;
  status: string;
  channel: string;
  destination: { city: string };
  lines: { produce: string; minGrade: string; brand?: string; quantityKg: number }[];
  allocations: { line: number; warehouseId: string; subLotId: string; quantityKg: number }[];
  shipments: string[];
  reason?: string;
  cancelRefused?: string;
  placedAt: string;
}

/** Destinations by city: the regional centres' cities, so a buyer picks a city, not coordinates. */
const CITIES = REFERENCE_WAREHOUSES.filter((w) => w.kind === 'regional').map((w) => ({ city: w.city, location: w.location }));
const GRADES: [string, string][] = [['premium', 'premium (apple)'], ['grade_1', 'grade 1 (apple)'], ['grade_2', 'grade 2 (apple)'], ['jumbo', 'jumbo (passion fruit)'], ['large', 'large (passion fruit)'], ['medium', 'medium (passion fruit)']];
const STATUS_BADGE: Record<string, string> = { routed: 'good', fulfilled: 'good', backordered: 'warn', received: 'warn', rejected: 'bad', cancelled: 'bad', cancelling: 'warn' };

/** Buyer: placing an order, seeing it routed, and its shipments. */
@Controller('orders')
@UseGuards(SignedInGuard)
@ForRoles('buyer', 'ops')
export class OrdersController {
  constructor(private readonly upstream: Upstream) {}

  @Get()
  async list(@CurrentCaller() caller: Caller, @Res() reply: FastifyReply) {
    const res = await this.upstream.get<{ items: Order[] }>('order-routing', '/v1/orders?limit=100', caller.token);
    const items = res.status === 200 ? res.body.items : [];
    return sendHtml(
      reply,
      page('Orders', caller, [
        problemBanner(problemOf(res)),
        items.length === 0
          ? html`<p>No orders yet. <a href="/orders/new">Place one</a>.</p>`
          : html`<div class="table-wrap"><table><thead><tr><th scope="col">Order</th><th scope="col">Placed</th><th scope="col">Channel</th><th scope="col">To</th><th scope="col">Lines</th><th scope="col">Status</th></tr></thead><tbody>
${items.map((o) => html`<tr><td><a href="/orders/${o.id}">${o.id}</a></td><td>${fmtTime(o.placedAt)}</td><td>${o.channel}</td><td>${o.destination.city}</td><td>${o.lines.map((l) => `${fmtKg(l.quantityKg)} ${l.produce} ≥ ${l.minGrade}`).join('; ')}</td><td><span class="badge ${STATUS_BADGE[o.status] ?? ''}">${o.status}</span></td></tr>`)}
</tbody></table></div>`,
      ]),
    );
  }

  @Get('new')
  @ForRoles('buyer')
  newOrder(@CurrentCaller() caller: Caller, @Res() reply: FastifyReply) {
    return sendHtml(reply, this.orderForm(caller, {}, {}));
  }

  @Post()
  @ForRoles('buyer')
  async place(@CurrentCaller() caller: Caller, @Body() form: Record<string, string>, @Res() reply: FastifyReply) {
    const city = CITIES.find((c) => c.city === form['city']);
    const body = {
      channel: str(form['channel']),
      destination: { city: str(form['city']), location: city?.location, ...(str(form['address']) ? { address: str(form['address']) } : {}) },
      ...(str(form['deliverBy']) ? { deliverBy: chinaLocalToIso(str(form['deliverBy'])) } : {}),
      lines: [
        {
          produce: str(form['lines.0.produce']),
          minGrade: str(form['lines.0.minGrade']),
          ...(str(form['lines.0.brand']) ? { brand: str(form['lines.0.brand']) } : {}),
          quantityKg: str(form['lines.0.quantityKg']) === undefined ? undefined : Number(form['lines.0.quantityKg']),
        },
      ],
    };
    const key = /^[0-9a-f-]{36}$/.test(form['idempotencyKey'] ?? '') ? form['idempotencyKey'] : randomUUID();
    const res = await this.upstream.call<Order>('order-routing', 'POST', '/v1/orders', caller.token, body, { 'idempotency-key': key });
    if (res.status < 300) return seeOther(reply, `/orders/${res.body.id}`);
    const errors = fieldErrors(res);
    if (errors['destination.city']) errors['city'] = errors['destination.city'];
    return sendHtml(reply, this.orderForm(caller, { ...form, idempotencyKey: res.status === 422 ? randomUUID() : key }, errors, problemOf(res)), 400);
  }

  @Get(':id')
  async order(@CurrentCaller() caller: Caller, @Param('id') id: string, @Res() reply: FastifyReply) {
    const res = await this.upstream.get<Order>('order-routing', `/v1/orders/${encodeURIComponent(id)}`, caller.token);
    if (res.status !== 200) return sendHtml(reply, page('Order', caller, problemBanner(problemOf(res))), res.status);
    const o = res.body;
    const shipments: Shipment[] = [];
    for (const sid of o.shipments) {
      const s = await this.upstream.get<Shipment>('order-routing', `/v1/shipments/${encodeURIComponent(sid)}`, caller.token);
      if (s.status === 200) shipments.push(s.body);
    }
    return sendHtml(
      reply,
      page(`Order ${o.id}`, caller, [
        html`<section class="card"><dl class="facts"><dt>Status</dt><dd><span class="badge ${STATUS_BADGE[o.status] ?? ''}" data-testid="order-status">${o.status}</span>${o.reason ? ` — ${o.reason}` : ''}${o.cancelRefused ? ` — ${o.cancelRefused}` : ''}</dd><dt>Channel</dt><dd>${o.channel}</dd><dt>To</dt><dd>${o.destination.city}</dd><dt>Placed</dt><dd>${fmtTime(o.placedAt)}</dd></dl>
${o.status === 'received' ? html`<p class="hint">Routing… <a href="/orders/${o.id}">refresh</a></p>` : ''}${o.status === 'cancelling' ? html`<p class="hint">Waiting for the warehouse to release the stock… <a href="/orders/${o.id}">refresh</a></p>` : ''}</section>`,
        html`<h2>Allocations</h2>${o.allocations.length === 0 ? html`<p>None yet.</p>` : html`<div class="table-wrap"><table><thead><tr><th scope="col">Line</th><th scope="col">Warehouse</th><th scope="col">Sub-lot</th><th scope="col" class="num">Quantity</th></tr></thead><tbody>${o.allocations.map((a) => html`<tr><td>${a.line + 1}</td><td>${a.warehouseId}</td><td>${a.subLotId}</td><td class="num">${fmtKg(a.quantityKg)}</td></tr>`)}</tbody></table></div>`}`,
        html`<h2>Shipments</h2>${shipments.length === 0 ? html`<p>None yet.</p>` : shipments.map((s) => html`<section class="card" aria-label="Shipment ${s.id}"><h3>${s.id} · <span class="badge" data-testid="shipment-status">${s.status}</span></h3><p>${s.warehouseId} → ${s.destination.city} · ETA ${fmtTime(s.eta)}</p>${timeline(s)}</section>`)}`,
      ]),
    );
  }

  /** order-routing's PlaceOrderDto rules as constraint attributes; one line (the console's common case). */
  private orderForm(caller: Caller, v: Record<string, string>, errors: Record<string, string>, problem?: { title?: string; detail?: string }): string {
    const e = { errors };
    return page(
      'Place an order',
      caller,
      [
        problemBanner(problem),
        html`<form class="card" method="post" action="/orders"><input type="hidden" name="idempotencyKey" value="${v['idempotencyKey'] ?? randomUUID()}">
${field('channel', 'Channel', { ...e, value: v['channel'], attrs: 'required', options: [['livestream', 'livestream'], ['marketplace', 'marketplace'], ['wholesale', 'wholesale'], ['retail', 'retail']] })}
${field('city', 'Deliver to (city)', { ...e, value: v['city'], attrs: 'required', options: CITIES.map((c) => [c.city, c.city] as [string, string]) })}
${field('address', 'Address', { ...e, value: v['address'], attrs: 'maxlength="300" autocomplete="street-address"' })}
${field('deliverBy', 'Deliver by (China time)', { ...e, type: 'datetime-local', value: v['deliverBy'] })}
<div class="row">${field('lines.0.produce', 'Produce', { ...e, value: v['lines.0.produce'], attrs: 'required', options: [['apple', 'apple'], ['passion_fruit', 'passion fruit']] })}
${field('lines.0.minGrade', 'Grade or better', { ...e, value: v['lines.0.minGrade'], attrs: 'required', options: GRADES })}</div>
${field('lines.0.brand', 'Brand', { ...e, value: v['lines.0.brand'], options: [['', 'any'], ...REFERENCE_BRANDS.map((b) => [b.name, b.name] as [string, string])] })}
${field('lines.0.quantityKg', 'Quantity (kg)', { ...e, type: 'number', value: v['lines.0.quantityKg'], attrs: 'required min="0.001" max="100000" step="0.001" inputmode="decimal"' })}
<button type="submit">Place the order</button></form>`,
      ],
      { narrow: true },
    );
  }
}
