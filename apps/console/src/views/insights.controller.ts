import { Controller, Get, Query, Res, UseGuards } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { html } from '../pages/html';
import { Upstream } from '../upstream';
import { columns, rows } from './charts';
import { field, fmtKg, page, problemBanner } from './layout';
import { problemOf, query, sendHtml, str } from './respond';
import { type Caller, CurrentCaller, ForRoles, SignedInGuard } from './session';

interface Headline {
  countyId: string;
  name: string;
  province: string;
  harvestedKg: number;
  soldKg: number;
  revenue: string;
}
interface Summary {
  countyId: string;
  name: string;
  province: string;
  from: string;
  to: string;
  harvested: { kg: number; lots: number; byProduce: Record<string, { kg: number; lots: number }> };
  graded: { byGrade: Record<string, number>; cullKg: number; brandedKg: number; brandedSharePct: number | null };
  sales: { orders: number; kg: number; revenue: string; byChannel: Record<string, { orders: number; kg: number; revenue: string }> };
  deliveries: { shipments: number; delivered: number; onTimePct: number | null; medianHoursToDeliver: number | null };
  growers: { paid: number; revenue: string };
  topDestinations: Array<{ city: string; kg: number }>;
  brandPremium: Array<{ produce: string; grade: string; brandedPerKg: string | null; unbrandedPerKg: string | null; premiumPct: number | null }>;
  daily: Array<{ date: string; harvestedKg: number; gradedKg: number; soldKg: number; revenue: string }>;
}
interface Settlements {
  cooperativeId: string;
  from: string;
  to: string;
  growers: Array<{ growerId: string; name: string | null; harvestedKg: number; gradedKg: Record<string, number>; cullKg: number; soldKg: number; revenue: string }>;
  total: { harvestedKg: number; soldKg: number; revenue: string };
}

const DAY_MS = 86_400_000;
const cny = (s: string | null | undefined) => (s == null ? '—' : `¥${Number(s).toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`);
const pct = (n: number | null) => (n === null ? '—' : `${n}%`);
/** `?days=` of the window ending now: 7, 30 (default), 90 or 365. */
const windowOf = (days: string | undefined) => {
  const n = [7, 30, 90, 365].includes(Number(days)) ? Number(days) : 30;
  const to = new Date(Math.ceil(Date.now() / DAY_MS) * DAY_MS);
  return { n, from: new Date(to.getTime() - n * DAY_MS).toISOString(), to: to.toISOString() };
};
const windowField = (n: number) =>
  field('days', 'Period', { value: String(n), options: [['7', 'last 7 days'], ['30', 'last 30 days'], ['90', 'last 90 days'], ['365', 'last year']] });

/** County officials and ops: a county's season at a glance. Coop managers and ops: what each grower earned. */
@Controller()
@UseGuards(SignedInGuard)
export class InsightsController {
  constructor(private readonly upstream: Upstream) {}

  @Get('county')
  @ForRoles('county_official', 'ops')
  async county(@CurrentCaller() caller: Caller, @Query() q: Record<string, unknown>, @Res() reply: FastifyReply) {
    const w = windowOf(str(q['days']));
    const own = caller.principal.role === 'county_official' ? caller.principal.county : undefined;
    const countyId = own ?? str(q['county']);
    const list = await this.upstream.get<{ items: Headline[] }>('insights', '/v1/counties?limit=500', caller.token);
    const counties = list.status === 200 ? list.body.items : [];
    const chooser =
      caller.principal.role === 'ops'
        ? html`<form class="card" method="get" action="/county">${field('county', 'County', { value: countyId ?? '', options: counties.map((c) => [c.countyId, `${c.name}, ${c.province}`]) })}${windowField(w.n)}<button type="submit">Show</button></form>`
        : html`<form class="card" method="get" action="/county">${windowField(w.n)}<button type="submit">Show</button></form>`;
    if (!countyId) {
      return sendHtml(
        reply,
        page('Counties', caller, [
          chooser,
          html`<div class="table-wrap"><table><thead><tr><th scope="col">County</th><th scope="col">Province</th><th scope="col" class="num">Harvested</th><th scope="col" class="num">Sold</th><th scope="col" class="num">Revenue</th></tr></thead><tbody>
${counties.map((c) => html`<tr><td><a href="/county${query({ county: c.countyId })}">${c.name}</a></td><td>${c.province}</td><td class="num">${fmtKg(c.harvestedKg)}</td><td class="num">${fmtKg(c.soldKg)}</td><td class="num">${cny(c.revenue)}</td></tr>`)}
</tbody></table></div>`,
          problemBanner(problemOf(list)),
        ]),
        list.status >= 400 ? list.status : 200,
      );
    }
    const res = await this.upstream.get<Summary>('insights', `/v1/counties/${encodeURIComponent(countyId)}/summary${query({ from: w.from, to: w.to })}`, caller.token);
    if (res.status !== 200) return sendHtml(reply, page('County', caller, [chooser, problemBanner(problemOf(res))]), res.status);
    const s = res.body;
    const figure = (label: string, value: string) => html`<div class="card"><p class="hint">${label}</p><p><strong>${value}</strong></p></div>`;
    return sendHtml(
      reply,
      page(`${s.name}, ${s.province}`, caller, [
        chooser,
        html`<p class="hint">${s.from.slice(0, 10)} to ${s.to.slice(0, 10)} (UTC days). Sales are deliveries; cancelled and undelivered orders count nothing.</p>`,
        html`<div class="figures">
${figure('Harvested', `${fmtKg(s.harvested.kg)} in ${s.harvested.lots} lots`)}
${figure('Branded share of graded fruit', pct(s.graded.brandedSharePct))}
${figure('Sold (delivered)', `${fmtKg(s.sales.kg)} · ${s.sales.orders} orders`)}
${figure('Revenue', cny(s.sales.revenue))}
${figure('Growers paid', `${s.growers.paid}`)}
${figure('On time', `${pct(s.deliveries.onTimePct)} of ${s.deliveries.delivered} delivered`)}
${figure('Dispatch to delivery (median)', s.deliveries.medianHoursToDeliver === null ? '—' : `${s.deliveries.medianHoursToDeliver} h`)}
</div>`,
        columns('Harvest per day', s.daily.map((d) => ({ label: d.date, value: d.harvestedKg })), 'kg'),
        columns('Revenue per day', s.daily.map((d) => ({ label: d.date, value: Number(d.revenue), text: cny(d.revenue) })), 'CNY'),
        rows('Grade mix', [...Object.entries(s.graded.byGrade).map(([grade, kg]) => ({ label: grade, value: kg })), { label: 'cull', value: s.graded.cullKg }], 'kg'),
        rows('Sales by channel', Object.entries(s.sales.byChannel).map(([channel, c]) => ({ label: channel, value: c.kg, text: `${fmtKg(c.kg)} · ${cny(c.revenue)} · ${c.orders} orders` })), 'kg'),
        rows('Top destinations', s.topDestinations.map((d) => ({ label: d.city, value: d.kg })), 'kg'),
        html`<h2>Brand premium</h2><div class="table-wrap"><table><thead><tr><th scope="col">Produce</th><th scope="col">Grade</th><th scope="col" class="num">Branded, per kg</th><th scope="col" class="num">Unbranded (every county), per kg</th><th scope="col" class="num">Premium</th></tr></thead><tbody>
${s.brandPremium.map((p) => html`<tr><td>${p.produce}</td><td>${p.grade}</td><td class="num">${cny(p.brandedPerKg)}</td><td class="num">${cny(p.unbrandedPerKg)}</td><td class="num">${pct(p.premiumPct)}</td></tr>`)}
</tbody></table></div>`,
      ]),
    );
  }

  @Get('settlements')
  @ForRoles('coop_manager', 'ops')
  async settlements(@CurrentCaller() caller: Caller, @Query() q: Record<string, unknown>, @Res() reply: FastifyReply) {
    const w = windowOf(str(q['days']));
    const coop = caller.principal.role === 'coop_manager' ? caller.principal.coop : str(q['coop']);
    const form = html`<form class="card" method="get" action="/settlements">${caller.principal.role === 'ops' ? field('coop', 'Cooperative id', { value: coop ?? '', attrs: 'required maxlength="64"' }) : ''}${windowField(w.n)}<button type="submit">Show</button></form>`;
    if (!coop) return sendHtml(reply, page('Settlements', caller, [form]));
    const res = await this.upstream.get<Settlements>('insights', `/v1/cooperatives/${encodeURIComponent(coop)}/settlements${query({ from: w.from, to: w.to })}`, caller.token);
    if (res.status !== 200) return sendHtml(reply, page('Settlements', caller, [form, problemBanner(problemOf(res))]), res.status);
    const s = res.body;
    const grades = [...new Set(s.growers.flatMap((g) => Object.keys(g.gradedKg)))].sort();
    return sendHtml(
      reply,
      page('Settlements', caller, [
        form,
        html`<p class="hint">What each grower earned from ${s.from.slice(0, 10)} to ${s.to.slice(0, 10)}: revenue of deliveries at the price fixed when each order was routed.</p>`,
        html`<div class="table-wrap"><table><thead><tr><th scope="col">Grower</th><th scope="col" class="num">Harvested</th>${grades.map((g) => html`<th scope="col" class="num">${g}</th>`)}<th scope="col" class="num">Cull</th><th scope="col" class="num">Sold</th><th scope="col" class="num">Revenue</th></tr></thead><tbody>
${s.growers.map((g) => html`<tr><td>${g.name ?? g.growerId}</td><td class="num">${fmtKg(g.harvestedKg)}</td>${grades.map((grade) => html`<td class="num">${fmtKg(g.gradedKg[grade] ?? 0)}</td>`)}<td class="num">${fmtKg(g.cullKg)}</td><td class="num">${fmtKg(g.soldKg)}</td><td class="num">${cny(g.revenue)}</td></tr>`)}
</tbody><tfoot><tr><th scope="row">Total</th><td class="num">${fmtKg(s.total.harvestedKg)}</td>${grades.map(() => html`<td></td>`)}<td></td><td class="num">${fmtKg(s.total.soldKg)}</td><td class="num">${cny(s.total.revenue)}</td></tr></tfoot></table></div>`,
      ]),
    );
  }
}
