import { Body, Controller, Get, Param, Post, Res, UseGuards } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { SHIPMENT_STATUSES, TRACKING_STATUSES } from '@firstmile/contracts';
import { REFERENCE_WAREHOUSES } from '@firstmile/reference';
import { html } from '../pages/html';
import { Upstream } from '../upstream';
import { field, fmtTime, page, problemBanner } from './layout';
import { journeyMap, type MapPoint } from './map';
import { chinaLocalToIso, fieldErrors, isoToChinaLocal, problemOf, sendHtml, str } from './respond';
import { type Caller, CurrentCaller, ForRoles, SignedInGuard } from './session';

export interface Shipment {
  id: string;
  orderId: string;
  warehouseId: string;
  destination: { city: string; location: { lat: number; lon: number } };
  status: string;
  eta: string;
  events: { status: string; at: string; location?: { name?: string; lat?: number; lon?: number }; note?: string }[];
}

/** The board's columns, in the order a shipment moves through them: the contract's, with `delivered` last. */
const COLUMNS = [...SHIPMENT_STATUSES.filter((s) => s !== 'delivered'), 'delivered'];

/** Origin, checkpoints with coordinates, destination: the points of a shipment's map. */
export function shipmentPoints(s: Shipment): MapPoint[] {
  const origin = REFERENCE_WAREHOUSES.find((w) => w.id === s.warehouseId);
  return [
    ...(origin ? [{ ...origin.location, label: origin.city, kind: 'origin' as const }] : []),
    ...s.events
      .filter((e) => typeof e.location?.lat === 'number' && typeof e.location?.lon === 'number')
      .map((e) => ({ lat: e.location?.lat as number, lon: e.location?.lon as number, label: e.location?.name ?? e.status, kind: 'checkpoint' as const })),
    // The destination at city level: the buyer's address is not the logistics board's business.
    { ...s.destination.location, label: s.destination.city, kind: 'destination' as const },
  ];
}

export function timeline(s: Shipment) {
  return html`<ol class="timeline">${s.events.map((e) => html`<li><strong>${e.status}</strong> · <time datetime="${e.at}">${fmtTime(e.at)}</time>${e.location?.name ? ` · ${e.location.name}` : ''}${e.note ? html`<br><span class="hint">${e.note}</span>` : ''}</li>`)}</ol>`;
}

/** Logistics operator: the shipments board by status, a shipment's timeline and map, tracking events. */
@Controller('shipments')
@UseGuards(SignedInGuard)
@ForRoles('logistics_operator', 'ops')
export class ShipmentsController {
  constructor(private readonly upstream: Upstream) {}

  @Get()
  async board(@CurrentCaller() caller: Caller, @Res() reply: FastifyReply) {
    const res = await this.upstream.get<{ items: Shipment[] }>('order-routing', '/v1/shipments?limit=500', caller.token);
    const items = res.status === 200 ? res.body.items : [];
    const columns = COLUMNS.map((status) => ({ status, items: items.filter((s) => s.status === status) })).filter((c) => c.items.length > 0 || ['dispatched', 'in_transit', 'delivered'].includes(c.status));
    return sendHtml(
      reply,
      page('Shipments', caller, [
        problemBanner(problemOf(res)),
        html`<div class="board">${columns.map(
          (c) => html`<section aria-labelledby="col-${c.status}"><h2 id="col-${c.status}">${c.status} <span class="badge">${c.items.length}</span></h2><ul>
${c.items.map((s) => html`<li><a href="/shipments/${s.id}">${s.id}</a><br><span class="hint">${s.warehouseId} → ${s.destination.city} · ETA ${fmtTime(s.eta)}</span></li>`)}</ul></section>`,
        )}</div>`,
      ]),
    );
  }

  @Get(':id')
  async shipment(@CurrentCaller() caller: Caller, @Param('id') id: string, @Res() reply: FastifyReply) {
    return sendHtml(reply, await this.shipmentPage(caller, id, {}, {}));
  }

  @Post(':id/events')
  @ForRoles('logistics_operator')
  async record(@CurrentCaller() caller: Caller, @Param('id') id: string, @Body() form: Record<string, string>, @Res() reply: FastifyReply) {
    const lat = str(form['lat']);
    const lon = str(form['lon']);
    const name = str(form['locationName']);
    const body = {
      status: str(form['status']),
      at: chinaLocalToIso(str(form['at'])),
      ...(name || lat || lon ? { location: { ...(name ? { name } : {}), ...(lat ? { lat: Number(lat) } : {}), ...(lon ? { lon: Number(lon) } : {}) } } : {}),
      ...(str(form['note']) ? { note: str(form['note']) } : {}),
    };
    const res = await this.upstream.call('order-routing', 'POST', `/v1/shipments/${encodeURIComponent(id)}/events`, caller.token, body);
    if (res.status < 300) return reply.redirect(`/shipments/${encodeURIComponent(id)}`, 303);
    const errors = fieldErrors(res);
    // The service names location fields `location.lat`; the form calls them `lat`.
    for (const [k, v] of Object.entries(errors)) if (k.startsWith('location.')) errors[k === 'location.name' ? 'locationName' : k.slice(9)] = v;
    return sendHtml(reply, await this.shipmentPage(caller, id, form, errors, problemOf(res)), res.status === 409 ? 409 : 400);
  }

  private async shipmentPage(caller: Caller, id: string, values: Record<string, string>, errors: Record<string, string>, problem?: { title?: string; detail?: string }): Promise<string> {
    const res = await this.upstream.get<Shipment>('order-routing', `/v1/shipments/${encodeURIComponent(id)}`, caller.token);
    if (res.status !== 200) return page('Shipment', caller, problemBanner(problemOf(res)));
    const s = res.body;
    const e = { errors };
    return page(`Shipment ${s.id}`, caller, [
      html`<section class="card"><dl class="facts"><dt>Status</dt><dd><span class="badge" data-testid="shipment-status">${s.status}</span></dd><dt>Order</dt><dd>${s.orderId}</dd><dt>From</dt><dd>${s.warehouseId}</dd><dt>To</dt><dd>${s.destination.city}</dd><dt>ETA</dt><dd>${fmtTime(s.eta)}</dd></dl></section>`,
      html`<div class="row"><div><h2>Timeline</h2>${timeline(s)}</div><div><h2>Map</h2>${journeyMap(shipmentPoints(s), `Route of shipment ${s.id}`)}</div></div>`,
      problemBanner(problem),
      caller.principal.role !== 'logistics_operator'
        ? ''
        : html`<form class="card" method="post" action="/shipments/${s.id}/events"><h2>Record a tracking event</h2>
<div class="row">${field('status', 'Status', { ...e, value: values['status'] ?? 'in_transit', attrs: 'required', options: TRACKING_STATUSES.map((t) => [t, t] as [string, string]) })}
${field('at', 'At (China time)', { ...e, type: 'datetime-local', value: values['at'] ?? isoToChinaLocal(new Date()), attrs: 'required' })}</div>
${field('locationName', 'Checkpoint', { ...e, value: values['locationName'], attrs: 'maxlength="200"', hint: 'A hub or city, e.g. Wuhan hub' })}
<div class="row">${field('lat', 'Latitude', { ...e, type: 'number', value: values['lat'], attrs: 'min="-90" max="90" step="any" inputmode="decimal"' })}
${field('lon', 'Longitude', { ...e, type: 'number', value: values['lon'], attrs: 'min="-180" max="180" step="any" inputmode="decimal"', hint: 'With both, the ETA is recomputed from here.' })}</div>
${field('note', 'Note', { ...e, type: 'textarea', value: values['note'], attrs: 'maxlength="500" rows="2"' })}
<button type="submit">Record</button></form>`,
    ]);
  }
}
