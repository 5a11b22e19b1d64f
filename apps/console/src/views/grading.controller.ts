import { Body, Controller, Get, Param, Post, Query, Res, UseGuards } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { randomUUID } from 'node:crypto';
import { html } from '../pages/html';
import { Upstream } from '../upstream';
import { field, fmtDate, fmtKg, fmtTime, page, problemBanner } from './layout';
import { fieldErrors, problemOf, query, seeOther, sendHtml, str } from './respond';
import { type Caller, CurrentCaller, ForRoles, SignedInGuard } from './session';

interface LotItem {
  lotId: string;
  status: string;
  produce: string;
  variety: string;
  quantityKg: number;
  originWarehouseId: string;
  cooperative: { id: string; name: string };
  harvestedAt: string;
  receivedAt: string;
}
interface GradingView {
  lotId: string;
  status: string;
  produce: string;
  variety: string;
  quantityKg: number;
  originWarehouseId: string;
  cooperative: { name: string };
  harvestedAt: string;
  standard: string | null;
  measurements: { batches: number; fruits: number };
  gradedAt?: string;
  subLots?: { id: string; grade: string; quantityKg: number; brand: string | null; traceCode: string; bestBefore: string }[];
  cullKg?: number;
}
interface Standard {
  id: string;
  grades: { grade: string; label: string }[];
}

/** Grading line: the lots waiting at its warehouses, grading by weighed bands, printing labels. */
@Controller('grading')
@UseGuards(SignedInGuard)
@ForRoles('grading_line', 'ops')
export class GradingController {
  constructor(private readonly upstream: Upstream) {}

  @Get()
  async pending(@CurrentCaller() caller: Caller, @Query('status') status: string | undefined, @Res() reply: FastifyReply) {
    const wanted = status === 'graded' ? 'graded' : 'pending';
    const res = await this.upstream.get<{ items: LotItem[] }>('grading', `/v1/lots${query({ status: wanted, limit: 200 })}`, caller.token);
    const items = res.status === 200 ? res.body.items : [];
    return sendHtml(
      reply,
      page(wanted === 'pending' ? 'Lots to grade' : 'Graded lots', caller, [
        problemBanner(problemOf(res)),
        html`<p>${wanted === 'pending' ? html`<a href="/grading?status=graded">Show graded lots</a>` : html`<a href="/grading">Show lots to grade</a>`}</p>`,
        items.length === 0
          ? html`<p>No lots ${wanted === 'pending' ? 'are waiting' : 'graded yet'} at your warehouses.</p>`
          : html`<div class="table-wrap"><table><thead><tr><th scope="col">Lot</th><th scope="col">Cooperative</th><th scope="col">Produce</th><th scope="col" class="num">Quantity</th><th scope="col">Warehouse</th><th scope="col">Arrived</th></tr></thead><tbody>
${items.map((l) => html`<tr><td><a href="/grading/lots/${l.lotId}">${l.lotId}</a></td><td>${l.cooperative.name}</td><td>${l.produce} · ${l.variety}</td><td class="num">${fmtKg(l.quantityKg)}</td><td>${l.originWarehouseId}</td><td>${fmtTime(l.receivedAt)}</td></tr>`)}
</tbody></table></div>`,
      ]),
    );
  }

  @Get('lots/:id')
  async lot(@CurrentCaller() caller: Caller, @Param('id') id: string, @Res() reply: FastifyReply) {
    return sendHtml(reply, await this.lotPage(caller, id, {}, {}));
  }

  @Post('lots/:id')
  @ForRoles('grading_line')
  async grade(@CurrentCaller() caller: Caller, @Param('id') id: string, @Body() form: Record<string, string>, @Res() reply: FastifyReply) {
    const bands = Object.entries(form)
      .filter(([k, v]) => k.startsWith('band.') && str(v) !== undefined && Number(v) > 0)
      .map(([k, v]) => ({ grade: k.slice('band.'.length), quantityKg: Number(v) }));
    const key = /^[0-9a-f-]{36}$/.test(form['idempotencyKey'] ?? '') ? form['idempotencyKey'] : randomUUID();
    const res = await this.upstream.call('grading', 'POST', `/v1/lots/${encodeURIComponent(id)}/grading`, caller.token, { bands }, { 'idempotency-key': key });
    if (res.status === 201 || res.status === 200) return seeOther(reply, `/grading/lots/${encodeURIComponent(id)}`);
    return sendHtml(reply, await this.lotPage(caller, id, form, fieldErrors(res), problemOf(res)), res.status === 503 ? 503 : 400);
  }

  /** Labels come from grading with the line's token; the browser only ever talks to the console. */
  @Get('sub-lots/:id/label.svg')
  async label(@CurrentCaller() caller: Caller, @Param('id') id: string, @Query('boxKg') boxKg: string | undefined, @Res() reply: FastifyReply) {
    const res = await this.upstream.raw('grading', `/v1/sub-lots/${encodeURIComponent(id)}/label.svg${query({ boxKg: str(boxKg) })}`, caller.token);
    return reply.status(res.status).type(res.contentType).header('cache-control', 'no-store').send(res.body);
  }

  @Get('sub-lots/:id/labels.pdf')
  async labels(@CurrentCaller() caller: Caller, @Param('id') id: string, @Query() q: Record<string, unknown>, @Res() reply: FastifyReply) {
    const res = await this.upstream.raw('grading', `/v1/sub-lots/${encodeURIComponent(id)}/labels.pdf${query({ boxes: str(q['boxes']), boxKg: str(q['boxKg']) })}`, caller.token);
    return reply.status(res.status).type(res.contentType).header('cache-control', 'no-store').send(res.body);
  }

  private async lotPage(caller: Caller, id: string, values: Record<string, string>, errors: Record<string, string>, problem?: { title?: string; detail?: string }): Promise<string> {
    const res = await this.upstream.get<GradingView>('grading', `/v1/lots/${encodeURIComponent(id)}/grading`, caller.token);
    if (res.status !== 200) return page('Lot', caller, problemBanner(problemOf(res)));
    const lot = res.body;
    const standards = await this.upstream.get<{ items: Standard[] }>('grading', '/v1/standards', caller.token);
    const grades = (standards.status === 200 ? standards.body.items : []).find((s) => s.id === lot.standard)?.grades ?? [];
    const facts = html`<section class="card"><dl class="facts"><dt>Status</dt><dd><span class="badge">${lot.status}</span></dd><dt>Cooperative</dt><dd>${lot.cooperative.name}</dd>
<dt>Produce</dt><dd>${lot.produce} · ${lot.variety}</dd><dt>Quantity</dt><dd>${fmtKg(lot.quantityKg)}</dd><dt>Harvested</dt><dd>${fmtTime(lot.harvestedAt)}</dd>
<dt>Standard</dt><dd>${lot.standard ?? 'none'}</dd><dt>Measured</dt><dd>${lot.measurements.fruits} fruits in ${lot.measurements.batches} batches</dd></dl></section>`;
    if (lot.status === 'graded') {
      return page(`Lot ${lot.lotId}`, caller, [
        facts,
        html`<h2>Sub-lots</h2><p>Graded ${fmtTime(lot.gradedAt)}; cull ${fmtKg(lot.cullKg)}.</p><div class="table-wrap"><table><thead><tr><th scope="col">Grade</th><th scope="col">Brand</th><th scope="col" class="num">Quantity</th><th scope="col">Best before</th><th scope="col">Trace code</th><th scope="col">Labels</th></tr></thead><tbody>
${(lot.subLots ?? []).map(
  (s) => html`<tr><td>${s.grade}</td><td>${s.brand ?? '—'}</td><td class="num">${fmtKg(s.quantityKg)}</td><td>${fmtDate(s.bestBefore)}</td><td><a href="/p/${s.traceCode}">${s.traceCode}</a></td>
<td><a href="/grading/sub-lots/${s.id}/label.svg">Label (SVG)</a>
<form method="get" action="/grading/sub-lots/${s.id}/labels.pdf" class="row"><div>${field('boxes', 'Boxes', { id: `boxes-${s.id}`, type: 'number', value: Math.max(1, Math.min(500, Math.ceil(s.quantityKg / 5))), attrs: 'min="1" max="500" step="1" required' })}</div><div><button type="submit" class="secondary">Print sheet (PDF)</button></div></form></td></tr>`,
)}
</tbody></table></div>`,
      ]);
    }
    const e = { errors };
    return page(`Lot ${lot.lotId}`, caller, [
      facts,
      problemBanner(problem),
      lot.status !== 'pending' || caller.principal.role !== 'grading_line'
        ? html``
        : html`<form class="card" method="post" action="/grading/lots/${lot.lotId}"><h2>Enter the weighed bands</h2>
<p class="hint" id="bands-hint">Kilograms per grade; what is left of the ${fmtKg(lot.quantityKg)} is cull.</p>
<input type="hidden" name="idempotencyKey" value="${values['idempotencyKey'] ?? randomUUID()}">
${errors['bands'] ? html`<p class="error" role="alert">${errors['bands']}</p>` : ''}
<div class="row">${grades.map((g) => field(`band.${g.grade}`, g.label, { ...e, type: 'number', value: values[`band.${g.grade}`], attrs: `min="0" max="${lot.quantityKg}" step="0.001" inputmode="decimal"` }))}</div>
<button type="submit">Grade the lot</button></form>`,
    ]);
  }
}
