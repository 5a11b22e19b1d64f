import { Injectable } from '@nestjs/common';
import { formatFen, kgOf, ORDER_CHANNELS, type Principal } from '@firstmile/contracts';
import { Access, Cursor, type Page, ProblemException } from '@firstmile/http';
import { REFERENCE_COUNTIES } from '@firstmile/reference';
import type { LedgerLot } from '../ledger/ledger.schema';
import { LedgerRepository } from '../ledger/ledger.repository';
import { LedgerService, type Sale } from '../ledger/ledger.service';
import { windowOf, type WindowQuery } from '../ledger/window.query';
import type { CountiesQuery } from './dto/counties.query';
import type { BrandPremium, ChannelSales, CountyHeadline, CountySummary } from './dto/county.views';
import { dayOf, daysOf, median, oneDecimal, pct, perKg, Tally } from './figures';

/** The counties list is computed over every season: kept this long, so any caller cannot make it recompute at will. */
const LIST_TTL_MS = 10_000;
const TOP_DESTINATIONS = 5;
const HOUR_MS = 3_600_000;

const fenOf = (s: Sale) => s.allocation.amountFen ?? 0;

/**
 * What the county sees: headline figures per county (anyone) and one county's season (ops, or that
 * county's county_official), computed from the sales ledger when asked.
 */
@Injectable()
export class CountiesService {
  private listed?: { at: number; items: CountyHeadline[] };

  constructor(
    private readonly ledger: LedgerService,
    private readonly repo: LedgerRepository,
  ) {}

  async list(q: CountiesQuery, now = new Date()): Promise<Page<CountyHeadline>> {
    if (!this.listed || now.getTime() - this.listed.at > LIST_TTL_MS) this.listed = { at: now.getTime(), items: await this.headlines(now) };
    const after = q.cursor ? Cursor.decode(q.cursor) : '';
    const rows = this.listed.items.filter((c) => c.countyId > after);
    return Cursor.page(rows.slice(0, q.limit + 1), q.limit, (c) => c.countyId);
  }

  private async headlines(now: Date): Promise<CountyHeadline[]> {
    // A range on the county index ($exists would scan the collection).
    const lots = await this.repo.lotsWhere({ county: { $gt: '' } });
    const sales = await this.ledger.deliveredIn({ from: new Date(0), to: now });
    const known = new Map<string, { name: string; nameZh?: string; province: string }>(REFERENCE_COUNTIES.map((c) => [c.id, { name: c.name, nameZh: c.nameZh, province: c.province }]));
    for (const l of lots) if (l.county && !known.has(l.county)) known.set(l.county, { name: l.county, province: l.province ?? '' });
    const harvested = new Tally();
    for (const l of lots) if (l.county && !l.voidedAt) harvested.add(l.county, l.grams ?? 0);
    const sold = new Tally();
    const fen = new Tally();
    for (const s of sales) {
      if (!s.lot.county) continue;
      sold.add(s.lot.county, s.allocation.grams);
      fen.add(s.lot.county, fenOf(s));
    }
    return [...known.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([countyId, c]) => ({
        countyId,
        name: c.name,
        ...(c.nameZh ? { nameZh: c.nameZh } : {}),
        province: c.province,
        harvestedKg: kgOf(harvested.get(countyId)),
        soldKg: kgOf(sold.get(countyId)),
        revenue: formatFen(fen.get(countyId)),
      }));
  }

  async summary(caller: Principal, countyId: string, q: WindowQuery, now = new Date()): Promise<CountySummary> {
    // Someone else's county is a 404, like one that does not exist.
    if (!Access.county(caller, countyId)) throw ProblemException.notFound('county', countyId);
    const reference = REFERENCE_COUNTIES.find((c) => c.id === countyId);
    const w = windowOf(q, now);
    const [harvestedLots, gradedLots, delivered, routed] = await Promise.all([
      this.repo.lotsHarvested({ county: countyId }, w),
      this.repo.lotsGraded({ county: countyId }, w),
      this.ledger.deliveredIn(w),
      this.ledger.routedIn(w),
    ]);
    const anyLot = harvestedLots[0] ?? gradedLots[0] ?? (await this.repo.lotsWhere({ county: countyId }).then((ls) => ls[0]));
    if (!reference && !anyLot) throw ProblemException.notFound('county', countyId);
    const days = daysOf(w.from, w.to);
    const daily = { harvested: new Tally(), graded: new Tally(), sold: new Tally(), fen: new Tally() };

    // Harvest
    const harvested = harvestedLots.filter((l) => !l.voidedAt);
    const byProduceKg = new Tally();
    const byProduceLots = new Tally();
    for (const l of harvested) {
      byProduceKg.add(l.produce ?? 'unknown', l.grams ?? 0);
      byProduceLots.add(l.produce ?? 'unknown', 1);
      if (l.harvestedAt) daily.harvested.add(dayOf(new Date(l.harvestedAt)), l.grams ?? 0);
    }

    // Grading
    const graded = gradedLots.filter((l) => !l.voidedAt);
    const gradedAt = new Map<string, LedgerLot>(graded.map((l) => [l._id, l]));
    const subLots = await this.repo.subLotsOfLots(graded.map((l) => l._id));
    const byGrade = new Tally();
    let brandedGrams = 0;
    let subLotGrams = 0;
    for (const s of subLots) {
      byGrade.add(s.grade, s.grams);
      subLotGrams += s.grams;
      if (s.brand) brandedGrams += s.grams;
      const at = gradedAt.get(s.lotId)?.gradedAt;
      if (at) daily.graded.add(dayOf(new Date(at)), s.grams);
    }

    // Sales: delivered in the window, of this county's fruit.
    const sales = delivered.filter((s) => s.lot.county === countyId);
    const channels = Object.fromEntries(ORDER_CHANNELS.map((c) => [c, { orders: new Set<string>(), grams: 0, fen: 0 }]));
    const cities = new Tally();
    const growers = new Tally();
    const premium = new Map<string, { produce: string; grade: string; b: [number, number]; u: [number, number] }>();
    // The unbranded side is the market's: every county's unbranded fruit of the grade sold in the
    // window. Inside a brand program's county every qualifying grade is branded, so the county's
    // own unbranded sales of that grade are none; what the brand earns is measured against the rest.
    const market = new Map<string, [number, number]>();
    for (const s of delivered) {
      if (s.subLot.brand) continue;
      const key = `${s.subLot.produce}|${s.subLot.grade}`;
      const m = market.get(key) ?? [0, 0];
      m[0] += fenOf(s);
      m[1] += s.allocation.grams;
      market.set(key, m);
    }
    for (const s of sales) {
      const fen = fenOf(s);
      const ch = s.allocation.channel ? channels[s.allocation.channel] : undefined;
      if (ch) {
        ch.orders.add(s.allocation.orderId);
        ch.grams += s.allocation.grams;
        ch.fen += fen;
      }
      cities.add(s.allocation.city, s.allocation.grams);
      if (s.lot.growerId) growers.add(s.lot.growerId, fen);
      const key = `${s.subLot.produce}|${s.subLot.grade}`;
      const p = premium.get(key) ?? { produce: s.subLot.produce, grade: s.subLot.grade, b: [0, 0], u: market.get(key) ?? [0, 0] };
      if (s.subLot.brand) {
        p.b[0] += fen;
        p.b[1] += s.allocation.grams;
      }
      premium.set(key, p);
      daily.sold.add(dayOf(s.deliveredAt as Date), s.allocation.grams);
      daily.fen.add(dayOf(s.deliveredAt as Date), fen);
    }
    const totalFen = sales.reduce((t, s) => t + fenOf(s), 0);
    const byChannel: Record<string, ChannelSales> = Object.fromEntries(
      Object.entries(channels).map(([c, v]) => [c, { orders: v.orders.size, kg: kgOf(v.grams), revenue: formatFen(v.fen) }]),
    );
    const brandPremium: BrandPremium[] = [...premium.values()]
      .sort((a, b) => a.produce.localeCompare(b.produce) || a.grade.localeCompare(b.grade))
      .map((p) => {
        const branded = perKg(p.b[0], p.b[1]);
        const unbranded = perKg(p.u[0], p.u[1]);
        const ratio = p.b[1] > 0 && p.u[1] > 0 && p.u[0] > 0 ? oneDecimal(((p.b[0] * p.u[1]) / (p.u[0] * p.b[1]) - 1) * 100) : null;
        return { produce: p.produce, grade: p.grade, brandedPerKg: branded, unbrandedPerKg: unbranded, premiumPct: ratio };
      });

    // Deliveries: the shipments of this county's fruit routed in the window.
    const shipments = new Map<string, { deliverBy?: Date; dispatchedAt?: Date; deliveredAt?: Date }>();
    for (const s of routed.filter((r) => r.lot.county === countyId)) {
      shipments.set(s.shipment._id, {
        ...(s.allocation.deliverBy ? { deliverBy: new Date(s.allocation.deliverBy) } : {}),
        ...(s.shipment.dispatchedAt ? { dispatchedAt: new Date(s.shipment.dispatchedAt) } : {}),
        ...(s.deliveredAt ? { deliveredAt: s.deliveredAt } : {}),
      });
    }
    const arrived = [...shipments.values()].filter((s) => s.deliveredAt);
    const promised = arrived.filter((s) => s.deliverBy);
    const onTime = promised.filter((s) => (s.deliveredAt as Date).getTime() <= (s.deliverBy as Date).getTime());
    const hours = arrived.filter((s) => s.dispatchedAt).map((s) => ((s.deliveredAt as Date).getTime() - (s.dispatchedAt as Date).getTime()) / HOUR_MS);
    const med = median(hours);

    return {
      countyId,
      name: reference?.name ?? countyId,
      province: reference?.province ?? anyLot?.province ?? '',
      from: w.from.toISOString(),
      to: w.to.toISOString(),
      currency: 'CNY',
      harvested: {
        kg: kgOf(harvested.reduce((t, l) => t + (l.grams ?? 0), 0)),
        lots: harvested.length,
        byProduce: Object.fromEntries(byProduceKg.entries().sort(([a], [b]) => a.localeCompare(b)).map(([p, g]) => [p, { kg: kgOf(g), lots: byProduceLots.get(p) }])),
      },
      graded: {
        byGrade: byGrade.kg(),
        cullKg: kgOf(graded.reduce((t, l) => t + (l.cullGrams ?? 0), 0)),
        brandedKg: kgOf(brandedGrams),
        brandedSharePct: pct(brandedGrams, subLotGrams),
      },
      sales: {
        orders: new Set(sales.map((s) => s.allocation.orderId)).size,
        kg: kgOf(sales.reduce((t, s) => t + s.allocation.grams, 0)),
        revenue: formatFen(totalFen),
        byChannel,
      },
      deliveries: {
        shipments: shipments.size,
        delivered: arrived.length,
        onTimePct: pct(onTime.length, promised.length),
        medianHoursToDeliver: med === null ? null : oneDecimal(med),
      },
      growers: { paid: growers.entries().filter(([, fen]) => fen > 0).length, revenue: formatFen(totalFen) },
      topDestinations: cities
        .entries()
        .sort(([a, x], [b, y]) => y - x || a.localeCompare(b))
        .slice(0, TOP_DESTINATIONS)
        .map(([city, g]) => ({ city, kg: kgOf(g) })),
      brandPremium,
      daily: days.map((date) => ({
        date,
        harvestedKg: kgOf(daily.harvested.get(date)),
        gradedKg: kgOf(daily.graded.get(date)),
        soldKg: kgOf(daily.sold.get(date)),
        revenue: formatFen(daily.fen.get(date)),
      })),
    };
  }
}
