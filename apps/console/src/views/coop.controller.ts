import { Body, Controller, Get, Param, Post, Query, Res, UseGuards } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { randomUUID } from 'node:crypto';
import { REFERENCE_WAREHOUSES } from '@firstmile/reference';
import { html } from '../pages/html';
import { Upstream } from '../upstream';
import { field, fmtDate, fmtKg, fmtTime, page, problemBanner } from './layout';
import { chinaLocalToIso, fieldErrors, isoToChinaLocal, problemOf, query, seeOther, sendHtml, str } from './respond';
import { type Caller, CurrentCaller, ForRoles, SignedInGuard } from './session';

interface Lot {
  id: string;
  cooperativeId: string;
  growerId: string;
  orchardId: string;
  produce: string;
  variety: string;
  harvestedAt: string;
  quantityKg: number;
  crates?: number;
  originWarehouseId: string;
  notes?: string;
  status: string;
  grading?: { gradedAt: string; standard: string; kgByGrade: Record<string, number>; cullKg: number };
}
interface Cooperative {
  id: string;
  name: string;
  county: string;
  province: string;
  growers: { id: string; name: string; phone?: string }[];
  orchards: { id: string; growerId: string; name: string; areaMu: number; produce: string; variety: string }[];
}
interface Grading {
  status: string;
  standard: string | null;
  subLots?: { id: string; grade: string; quantityKg: number; brand: string | null; traceCode: string; bestBefore: string }[];
  cullKg?: number;
}

const STATUS_BADGE: Record<string, string> = { logged: 'warn', graded: 'good', voided: 'bad' };
const ORIGINS = REFERENCE_WAREHOUSES.filter((w) => w.kind === 'origin');

/** Cooperative manager: lots (list, filters, detail), logging a lot from a phone, growers and orchards. */
@Controller()
@UseGuards(SignedInGuard)
export class CoopController {
  constructor(private readonly upstream: Upstream) {}

  @Get('lots')
  @ForRoles('coop_manager', 'ops')
  async lots(@CurrentCaller() caller: Caller, @Query() q: Record<string, unknown>, @Res() reply: FastifyReply) {
    const filters = { status: str(q['status']), produce: str(q['produce']), harvestedFrom: str(q['harvestedFrom']), harvestedTo: str(q['harvestedTo']) };
    const res = await this.upstream.get<{ items: Lot[]; nextCursor: string | null }>(
      'harvest-intake',
      `/v1/lots${query({
        ...filters,
        harvestedFrom: filters.harvestedFrom ? `${filters.harvestedFrom}T00:00:00Z` : undefined,
        harvestedTo: filters.harvestedTo ? `${filters.harvestedTo}T23:59:59Z` : undefined,
        cursor: str(q['cursor']),
        limit: 50,
      })}`,
      caller.token,
    );
    const items = res.status === 200 ? res.body.items : [];
    const next = res.status === 200 && res.body.nextCursor ? `/lots${query({ ...filters, cursor: res.body.nextCursor })}` : undefined;
    return sendHtml(
      reply,
      page('Lots', caller, [
        problemBanner(problemOf(res)),
        html`<form class="card" method="get" action="/lots" aria-label="Filter lots"><div class="row">
${field('status', 'Status', { value: filters.status, options: [['', 'any'], ['logged', 'logged'], ['graded', 'graded'], ['voided', 'voided']] })}
${field('produce', 'Produce', { value: filters.produce, options: [['', 'any'], ['apple', 'apple'], ['passion_fruit', 'passion fruit']] })}
${field('harvestedFrom', 'Harvested from', { type: 'date', value: filters.harvestedFrom })}
${field('harvestedTo', 'Harvested to', { type: 'date', value: filters.harvestedTo })}
</div><button type="submit">Filter</button></form>`,
        items.length === 0
          ? html`<p>No lots match.</p>`
          : html`<div class="table-wrap"><table><caption class="skip">Lots</caption><thead><tr><th scope="col">Lot</th><th scope="col">Produce</th><th scope="col">Harvested</th><th scope="col" class="num">Quantity</th><th scope="col">Warehouse</th><th scope="col">Status</th></tr></thead><tbody>
${items.map((l) => html`<tr><td><a href="/lots/${l.id}">${l.id}</a></td><td>${l.produce} · ${l.variety}</td><td>${fmtDate(l.harvestedAt)}</td><td class="num">${fmtKg(l.quantityKg)}</td><td>${l.originWarehouseId}</td><td><span class="badge ${STATUS_BADGE[l.status] ?? ''}">${l.status}</span></td></tr>`)}
</tbody></table></div>`,
        next ? html`<p><a href="${next}">Next page</a></p>` : '',
      ]),
    );
  }

  @Get('lots/new')
  @ForRoles('coop_manager')
  async newLot(@CurrentCaller() caller: Caller, @Res() reply: FastifyReply) {
    return sendHtml(reply, await this.lotForm(caller, {}, {}));
  }

  @Post('lots')
  @ForRoles('coop_manager')
  async logLot(@CurrentCaller() caller: Caller, @Body() form: Record<string, string>, @Res() reply: FastifyReply) {
    const body = {
      cooperativeId: caller.principal.coop,
      growerId: str(form['growerId']),
      orchardId: str(form['orchardId']),
      produce: str(form['produce']),
      variety: str(form['variety']),
      harvestedAt: chinaLocalToIso(str(form['harvestedAt'])),
      quantityKg: str(form['quantityKg']) === undefined ? undefined : Number(form['quantityKg']),
      ...(str(form['crates']) !== undefined ? { crates: Number(form['crates']) } : {}),
      originWarehouseId: str(form['originWarehouseId']),
      ...(str(form['notes']) !== undefined ? { notes: str(form['notes']) } : {}),
    };
    // The form's own key: a double tap, or a retry after a dropped connection, logs the lot once.
    const key = /^[0-9a-f-]{36}$/.test(form['idempotencyKey'] ?? '') ? form['idempotencyKey'] : randomUUID();
    const res = await this.upstream.call<Lot>('harvest-intake', 'POST', '/v1/lots', caller.token, body, { 'idempotency-key': key });
    if (res.status === 201 || res.status === 200) return seeOther(reply, `/lots/${res.body.id}?logged=1`);
    return sendHtml(reply, await this.lotForm(caller, { ...form, idempotencyKey: res.status === 422 ? randomUUID() : key }, fieldErrors(res), problemOf(res)), res.status === 503 ? 503 : 400);
  }

  @Get('lots/:id')
  @ForRoles('coop_manager', 'ops')
  async lot(@CurrentCaller() caller: Caller, @Param('id') id: string, @Query('logged') logged: string | undefined, @Res() reply: FastifyReply) {
    const res = await this.upstream.get<Lot>('harvest-intake', `/v1/lots/${encodeURIComponent(id)}`, caller.token);
    if (res.status !== 200) return sendHtml(reply, page('Lot', caller, problemBanner(problemOf(res))), res.status);
    const lot = res.body;
    const grading = await this.upstream.get<Grading>('grading', `/v1/lots/${encodeURIComponent(id)}/grading`, caller.token);
    const g = grading.status === 200 ? grading.body : undefined;
    return sendHtml(
      reply,
      page(`Lot ${lot.id}`, caller, [
        logged ? html`<div class="ok" role="status">The lot is logged. It goes to grading at ${lot.originWarehouseId}.</div>` : '',
        html`<section class="card"><dl class="facts">
<dt>Status</dt><dd><span class="badge ${STATUS_BADGE[lot.status] ?? ''}" data-testid="lot-status">${lot.status}</span></dd>
<dt>Produce</dt><dd>${lot.produce} · ${lot.variety}</dd><dt>Quantity</dt><dd>${fmtKg(lot.quantityKg)}${lot.crates ? ` in ${lot.crates} crates` : ''}</dd>
<dt>Harvested</dt><dd>${fmtTime(lot.harvestedAt)}</dd><dt>Grower · orchard</dt><dd>${lot.growerId} · ${lot.orchardId}</dd><dt>Origin warehouse</dt><dd>${lot.originWarehouseId}</dd>
${lot.notes ? html`<dt>Notes</dt><dd>${lot.notes}</dd>` : ''}</dl></section>`,
        html`<h2>Grading</h2>`,
        !g
          ? html`<p>Grading has not received this lot yet.</p>`
          : g.status !== 'graded'
            ? html`<p>Waiting for the grading line (${g.status}).</p>`
            : html`<p>Graded under ${g.standard}; cull ${fmtKg(g.cullKg)}.</p><div class="table-wrap"><table><thead><tr><th scope="col">Sub-lot</th><th scope="col">Grade</th><th scope="col">Brand</th><th scope="col" class="num">Quantity</th><th scope="col">Best before</th><th scope="col">Trace code</th></tr></thead><tbody>
${(g.subLots ?? []).map((s) => html`<tr><td>${s.id}</td><td>${s.grade}</td><td>${s.brand ?? '—'}</td><td class="num">${fmtKg(s.quantityKg)}</td><td>${fmtDate(s.bestBefore)}</td><td><a href="/p/${s.traceCode}">${s.traceCode}</a></td></tr>`)}
</tbody></table></div>`,
      ]),
    );
  }

  @Get('growers')
  @ForRoles('coop_manager')
  async growers(@CurrentCaller() caller: Caller, @Res() reply: FastifyReply) {
    const res = await this.upstream.get<Cooperative>('harvest-intake', `/v1/cooperatives/${encodeURIComponent(caller.principal.coop ?? '')}`, caller.token);
    if (res.status !== 200) return sendHtml(reply, page('Growers and orchards', caller, problemBanner(problemOf(res))), res.status);
    const coop = res.body;
    const growerName = new Map(coop.growers.map((g) => [g.id, g.name]));
    return sendHtml(
      reply,
      page(`${coop.name}`, caller, [
        html`<p>${coop.county}, ${coop.province}</p><h2>Growers</h2><div class="table-wrap"><table><thead><tr><th scope="col">Id</th><th scope="col">Name</th><th scope="col">Phone</th></tr></thead><tbody>
${coop.growers.map((g) => html`<tr><td>${g.id}</td><td>${g.name}</td><td>${g.phone ?? '—'}</td></tr>`)}</tbody></table></div>`,
        html`<h2>Orchards</h2><div class="table-wrap"><table><thead><tr><th scope="col">Id</th><th scope="col">Name</th><th scope="col">Grower</th><th scope="col">Produce</th><th scope="col" class="num">Area (mu)</th></tr></thead><tbody>
${coop.orchards.map((o) => html`<tr><td>${o.id}</td><td>${o.name}</td><td>${growerName.get(o.growerId) ?? o.growerId}</td><td>${o.produce} · ${o.variety}</td><td class="num">${o.areaMu}</td></tr>`)}</tbody></table></div>`,
      ]),
    );
  }

  /**
   * The lot form. Its constraint attributes are harvest-intake's rules (LogLotDto), so the browser
   * stops most mistakes before a round trip; what only the server knows (the grower's orchard, the
   * 30-day window in its clock) comes back as problem+json and is shown beside its field.
   */
  private async lotForm(caller: Caller, values: Record<string, string>, errors: Record<string, string>, problem?: { title?: string; detail?: string }): Promise<string> {
    const coop = await this.upstream.get<Cooperative>('harvest-intake', `/v1/cooperatives/${encodeURIComponent(caller.principal.coop ?? '')}`, caller.token);
    const growers = coop.status === 200 ? coop.body.growers : [];
    const orchards = coop.status === 200 ? coop.body.orchards : [];
    const now = new Date();
    const e = { errors };
    return page(
      'Log a lot',
      caller,
      [
        problemBanner(problem ?? problemOf(coop)),
        html`<form class="card" method="post" action="/lots">
<input type="hidden" name="idempotencyKey" value="${values['idempotencyKey'] ?? randomUUID()}">
${field('growerId', 'Grower', { ...e, value: values['growerId'], attrs: 'required', options: [['', 'Choose…'], ...growers.map((g) => [g.id, g.name] as [string, string])] })}
${field('orchardId', 'Orchard', { ...e, value: values['orchardId'], attrs: 'required', options: [['', 'Choose…'], ...orchards.map((o) => [o.id, `${o.name} (${o.produce}, ${o.variety})`] as [string, string])] })}
<div class="row">
${field('produce', 'Produce', { ...e, value: values['produce'] ?? orchards[0]?.produce, attrs: 'required', options: [['apple', 'apple'], ['passion_fruit', 'passion fruit']] })}
${field('variety', 'Variety', { ...e, value: values['variety'] ?? orchards[0]?.variety, attrs: 'required maxlength="100" autocomplete="off"' })}
</div>
${field('harvestedAt', 'Harvested at (China time)', { ...e, type: 'datetime-local', value: values['harvestedAt'] ?? isoToChinaLocal(now), attrs: `required min="${isoToChinaLocal(new Date(now.getTime() - 30 * 86_400_000))}" max="${isoToChinaLocal(new Date(now.getTime() + 60_000))}"`, hint: 'Not in the future, not older than 30 days.' })}
<div class="row">
${field('quantityKg', 'Quantity (kg)', { ...e, type: 'number', value: values['quantityKg'], attrs: 'required min="0.001" max="100000" step="0.001" inputmode="decimal"' })}
${field('crates', 'Crates', { ...e, type: 'number', value: values['crates'], attrs: 'min="0" max="100000" step="1" inputmode="numeric"' })}
</div>
${field('originWarehouseId', 'Origin warehouse', { ...e, value: values['originWarehouseId'], attrs: 'required', options: ORIGINS.map((w) => [w.id, `${w.name} (${w.id})`] as [string, string]) })}
${field('notes', 'Notes', { ...e, type: 'textarea', value: values['notes'], attrs: 'maxlength="1000" rows="2"' })}
<button type="submit">Log the lot</button>
</form>`,
      ],
      { narrow: true },
    );
  }
}
