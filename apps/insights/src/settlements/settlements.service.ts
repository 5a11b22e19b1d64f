import { Injectable } from '@nestjs/common';
import { formatFen, kgOf, ORDER_CHANNELS, type Principal } from '@firstmile/contracts';
import { Access } from '@firstmile/http';
import { LedgerRepository } from '../ledger/ledger.repository';
import { type Sale, LedgerService } from '../ledger/ledger.service';
import { windowOf, type WindowQuery } from '../ledger/window.query';
import type { ChannelFigures, GrowerSettlementView, LotSettlementView, SettlementsView } from './dto/settlement.views';

interface GrowerSums {
  name: string | null;
  harvested: number;
  graded: Map<string, number>;
  cull: number;
  sold: number;
  fen: number;
}

const fenOf = (s: Sale) => s.allocation.amountFen ?? 0;

/** What each grower of a cooperative earned, and what each sub-lot of a lot sold, from the ledger. */
@Injectable()
export class SettlementsService {
  constructor(
    private readonly ledger: LedgerService,
    private readonly repo: LedgerRepository,
  ) {}

  /** Someone else's cooperative is a 404, like a lot that does not exist. */
  async cooperative(caller: Principal, cooperativeId: string, q: WindowQuery, now = new Date()): Promise<SettlementsView> {
    Access.orNotFound(cooperativeId, (id) => Access.coop(caller, id), 'cooperative', cooperativeId);
    const w = windowOf(q, now);
    const [harvested, graded, sales] = await Promise.all([
      this.repo.lotsHarvested({ cooperativeId }, w),
      this.repo.lotsGraded({ cooperativeId }, w),
      this.ledger.deliveredIn(w),
    ]);
    const growers = new Map<string, GrowerSums>();
    const of = (growerId: string, name: string | undefined) => {
      const g = growers.get(growerId) ?? { name: null, harvested: 0, graded: new Map(), cull: 0, sold: 0, fen: 0 };
      if (name) g.name = name;
      growers.set(growerId, g);
      return g;
    };
    for (const lot of harvested) {
      if (lot.voidedAt || !lot.growerId) continue;
      of(lot.growerId, lot.growerName).harvested += lot.grams ?? 0;
    }
    const gradedLots = graded.filter((l) => l.growerId && !l.voidedAt);
    const subLots = await this.repo.subLotsOfLots(gradedLots.map((l) => l._id));
    const lotById = new Map(gradedLots.map((l) => [l._id, l]));
    for (const lot of gradedLots) of(lot.growerId as string, lot.growerName).cull += lot.cullGrams ?? 0;
    for (const s of subLots) {
      const lot = lotById.get(s.lotId);
      if (!lot) continue;
      const g = of(lot.growerId as string, lot.growerName);
      g.graded.set(s.grade, (g.graded.get(s.grade) ?? 0) + s.grams);
    }
    for (const sale of sales) {
      if (sale.lot.cooperativeId !== cooperativeId || !sale.lot.growerId) continue;
      const g = of(sale.lot.growerId, sale.lot.growerName);
      g.sold += sale.allocation.grams;
      g.fen += fenOf(sale);
    }
    const rows: GrowerSettlementView[] = [...growers.entries()]
      .map(([growerId, g]) => ({
        growerId,
        name: g.name,
        harvestedKg: kgOf(g.harvested),
        gradedKg: Object.fromEntries([...g.graded.entries()].sort().map(([grade, grams]) => [grade, kgOf(grams)])),
        cullKg: kgOf(g.cull),
        soldKg: kgOf(g.sold),
        revenue: formatFen(g.fen),
      }))
      .sort((a, b) => (a.name ?? a.growerId).localeCompare(b.name ?? b.growerId) || a.growerId.localeCompare(b.growerId));
    const all = [...growers.values()];
    return {
      cooperativeId,
      from: w.from.toISOString(),
      to: w.to.toISOString(),
      currency: 'CNY',
      growers: rows,
      total: {
        harvestedKg: kgOf(all.reduce((t, g) => t + g.harvested, 0)),
        soldKg: kgOf(all.reduce((t, g) => t + g.sold, 0)),
        revenue: formatFen(all.reduce((t, g) => t + g.fen, 0)),
      },
    };
  }

  async lot(caller: Principal, lotId: string): Promise<LotSettlementView> {
    const lot = Access.orNotFound(await this.repo.lot(lotId), (l) => !!l.cooperativeId && Access.coop(caller, l.cooperativeId), 'lot', lotId);
    const subLots = (await this.repo.subLotsOfLots([lotId])).sort((a, b) => a._id.localeCompare(b._id));
    const sales = await this.ledger.deliveredOfSubLots(subLots.map((s) => s._id));
    const rows = subLots.map((s) => {
      const mine = sales.filter((x) => x.subLot._id === s._id);
      const byChannel: Record<string, ChannelFigures> = {};
      for (const c of ORDER_CHANNELS) {
        const on = mine.filter((x) => x.allocation.channel === c);
        byChannel[c] = { kg: kgOf(on.reduce((t, x) => t + x.allocation.grams, 0)), revenue: formatFen(on.reduce((t, x) => t + fenOf(x), 0)) };
      }
      return {
        subLotId: s._id,
        grade: s.grade,
        brand: s.brand,
        quantityKg: kgOf(s.grams),
        soldKg: kgOf(mine.reduce((t, x) => t + x.allocation.grams, 0)),
        revenue: formatFen(mine.reduce((t, x) => t + fenOf(x), 0)),
        byChannel,
      };
    });
    return {
      lotId,
      cooperativeId: lot.cooperativeId as string,
      growerId: lot.growerId ?? null,
      currency: 'CNY',
      subLots: rows,
      soldKg: kgOf(sales.reduce((t, x) => t + x.allocation.grams, 0)),
      revenue: formatFen(sales.reduce((t, x) => t + fenOf(x), 0)),
    };
  }
}
