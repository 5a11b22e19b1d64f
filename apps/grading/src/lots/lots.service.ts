import { Injectable, Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { LotGradedV1, type LotLoggedV1, type LotVoidedV1, type Principal, toGrams, toKg } from '@firstmile/contracts';
import { continueTrace, traceCarrier } from '@firstmile/telemetry';
import {
  type GradingStandard,
  graderFor,
  type LotSplit,
  splitByBands,
  splitByShares,
  tallyBatch,
} from '@firstmile/grading-standards';
import { Access, type Page, ProblemException } from '@firstmile/http';
import { type Command, newEvent, withinTrace } from '@firstmile/messaging';
import { newId } from '@firstmile/persistence';
import { SHELF_LIFE_DAYS } from '@firstmile/reference';
import { BrandsService } from '../brands/brands.service';
import { type GradingEnv, parsePairs } from '../grading.env';
import { ProvenanceService } from '../provenance/provenance.service';
import { StandardsService } from '../standards/standards.service';
import type { GradeLotDto } from './dto/grade-lot.dto';
import type { ListLotsQuery } from './dto/list-lots.query';
import type { MeasurementBatch } from './dto/measurements.schema';
import type { GradingLot, LotStatus } from './lot.schema';
import type { GradedOutcome, GradedSubLotDoc, MeasuredSnapshot } from './lot-outcome.schema';
import { LotsRepository, type OutcomeRecord } from './lots.repository';
import { newTraceCode } from './trace-code';

export const SOURCE = 'firstmile/grading';
const DAY_MS = 86_400_000;
/** Drawing a taken 60-bit code even once is very unlikely; five in a row means something else is wrong. */
const TRACE_CODE_ATTEMPTS = 5;

export interface SubLotView {
  id: string;
  grade: string;
  quantityKg: number;
  brand: string | null;
  traceCode: string;
  bestBefore: string;
}

export interface LotListItem {
  lotId: string;
  status: LotStatus;
  produce: string;
  variety: string;
  quantityKg: number;
  originWarehouseId: string;
  cooperative: { id: string; name: string };
  harvestedAt: string;
  receivedAt: string;
}

export interface GradingView {
  lotId: string;
  gradedAt: string;
  standard: string;
  method: 'bands' | 'measurements';
  subLots: SubLotView[];
  cullKg: number;
}

@Injectable()
export class LotsService {
  private readonly logger = new Logger(LotsService.name);
  private readonly shelfLifeDays: Record<string, number>;
  private readonly defaultShelfLifeDays: number;

  constructor(
    private readonly lots: LotsRepository,
    private readonly standards: StandardsService,
    private readonly brands: BrandsService,
    private readonly provenance: ProvenanceService,
    config: ConfigService<GradingEnv, true>,
  ) {
    const overrides = Object.entries(parsePairs(config.get('SHELF_LIFE_DAYS', { infer: true }))).map(([k, v]) => [k, Number(v)]);
    this.shelfLifeDays = { ...SHELF_LIFE_DAYS, ...Object.fromEntries(overrides) };
    this.defaultShelfLifeDays = config.get('DEFAULT_SHELF_LIFE_DAYS', { infer: true });
  }

  /** harvest.lots: logged lots wait for grading; a batch of them is one insert. */
  async onLogged(logged: ReadonlyArray<Command<LotLoggedV1>>, now = new Date()): Promise<void> {
    await this.lots.insertLots(
      logged.map((c) => {
        const e = c.command;
        const trace = withinTrace(c, () => traceCarrier());
        return {
          _id: e.lotId,
          cooperative: { id: e.cooperative.id, name: e.cooperative.name, county: e.cooperative.county, province: e.cooperative.province },
          orchard: { id: e.orchard.id, name: e.orchard.name, location: { lat: e.orchard.location.lat, lon: e.orchard.location.lon } },
          produce: e.produce,
          variety: e.variety,
          quantityKg: e.quantityKg,
          originWarehouseId: e.originWarehouseId,
          harvestedAt: new Date(e.harvestedAt),
          standard: this.standards.forProduce(e.produce)?.id ?? null,
          receivedAt: now,
          // The lot's trace, so grading it later (another person's request) continues the same trace.
          ...(Object.keys(trace).length > 0 ? { trace } : {}),
        };
      }),
    );
  }

  /** harvest.lots: a voided lot can no longer be measured or graded. */
  async onVoided(e: LotVoidedV1, now = new Date()): Promise<void> {
    const voidedAt = new Date(e.voidedAt);
    if (await this.lots.decide({ _id: e.lotId, outcome: 'voided', voidedAt, voidReason: e.reason, decidedAt: now }, [])) return;
    const outcome = await this.lots.findOutcome(e.lotId);
    // harvest-intake refuses to void once it knows of a grading, but it learns of it asynchronously.
    if (outcome?.outcome === 'graded') this.logger.warn(`lot ${e.lotId} was voided at harvest-intake after it was graded here; the grading stands`);
  }

  /** Lots at the caller's warehouses (ops: all), newest arrival first, each with its status. */
  async list(caller: Principal, q: ListLotsQuery): Promise<Page<LotListItem>> {
    let warehouses: string[] | undefined;
    if (caller.role === 'ops') warehouses = q.warehouseId ? [q.warehouseId] : undefined;
    else warehouses = (caller.warehouses ?? []).filter((w) => !q.warehouseId || w === q.warehouseId);
    if (warehouses?.length === 0) return { items: [], nextCursor: null };
    const page = await this.lots.listLots(warehouses, q.cursor, q.limit);
    const outcomes = await this.lots.outcomesOf(page.items.map((l) => l._id));
    const items = page.items
      .map((l) => ({
        lotId: l._id,
        status: (outcomes.get(l._id) ?? 'pending') as LotStatus,
        produce: l.produce,
        variety: l.variety,
        quantityKg: l.quantityKg,
        originWarehouseId: l.originWarehouseId,
        cooperative: { id: l.cooperative.id, name: l.cooperative.name },
        harvestedAt: new Date(l.harvestedAt).toISOString(),
        receivedAt: new Date(l.receivedAt).toISOString(),
      }))
      .filter((l) => !q.status || l.status === q.status);
    return { items, nextCursor: page.nextCursor };
  }

  async view(caller: Principal, lotId: string) {
    const lot = await this.visible(lotId, (l) => Access.warehouse(caller, l.originWarehouseId) || Access.coop(caller, l.cooperative.id));
    const outcome = await this.lots.findOutcome(lotId);
    // A graded lot shows the measurements its grading used; a pending one what has arrived so far.
    const measured = outcome?.measured ?? (outcome ? undefined : await this.lots.measured(lotId));
    const byGrade = Object.fromEntries(
      Object.entries(measured?.byGrade ?? {}).map(([grade, t]) => [grade, { fruits: t.fruits, kg: Math.round(t.mg / 1000) / 1000 }]),
    );
    return {
      lotId: lot._id,
      status: (outcome?.outcome ?? 'pending') satisfies LotStatus,
      produce: lot.produce,
      variety: lot.variety,
      quantityKg: lot.quantityKg,
      originWarehouseId: lot.originWarehouseId,
      cooperative: lot.cooperative,
      harvestedAt: new Date(lot.harvestedAt).toISOString(),
      standard: lot.standard,
      measurements: { batches: measured?.batches ?? 0, fruits: measured?.fruits ?? 0, byGrade },
      ...(outcome?.voidedAt ? { voidedAt: new Date(outcome.voidedAt).toISOString() } : {}),
      ...(outcome?.outcome === 'graded' ? gradingView(lotId, outcome as GradedOutcome) : {}),
    };
  }

  /** One batch of per-fruit measurements, folded into per-grade tallies. */
  async measure(caller: Principal, lotId: string, dto: MeasurementBatch, now = new Date()) {
    const lot = await this.visible(lotId, (l) => Access.warehouse(caller, l.originWarehouseId));
    if (await this.lots.findOutcome(lotId)) throw notPending(lotId, 'measured');
    const standard = this.standardOf(lot);
    const tally = tallyBatch(graderFor(standard, lot.variety), dto.fruits);
    const added = await this.lots.insertBatch(lotId, dto.batchId, dto.fruits.length, tally, now);
    if (added && (await this.lots.findOutcome(lotId))) {
      // The lot was decided while this batch was on its way: it cannot count any more.
      await this.lots.deleteBatch(lotId, dto.batchId);
      throw notPending(lotId, 'measured');
    }
    return { lotId, batchId: dto.batchId, accepted: added, fruits: dto.fruits.length };
  }

  /**
   * `seed`: the request's idempotency identity. A retry of a request that graded the lot and died
   * before its answer was stored gets that grading, not a 409.
   */
  async grade(caller: Principal, lotId: string, dto: GradeLotDto, seed?: string, now = new Date()): Promise<GradingView> {
    const lot = await this.visible(lotId, (l) => Access.warehouse(caller, l.originWarehouseId));
    return continueTrace(lot.trace, 'grade lot', () => this.gradeLot(lot, dto, seed, now), { 'firstmile.lot_id': lotId });
  }

  private async gradeLot(lot: GradingLot, dto: GradeLotDto, seed: string | undefined, now: Date): Promise<GradingView> {
    const lotId = lot._id;
    const done = await this.lots.findOutcome(lotId);
    if (done) return this.alreadyGraded(lotId, done, seed);
    const standard = this.standardOf(lot);
    const lotGrams = toGrams(lot.quantityKg);
    const order = standard.grades.map((g) => g.grade);
    let split: LotSplit;
    let measured: MeasuredSnapshot | undefined;
    if (dto.bands) {
      const r = splitByBands(lotGrams, dto.bands.map((b) => ({ grade: b.grade, grams: toGrams(b.quantityKg) })), order);
      if (!r.ok) throw ProblemException.validation([{ field: 'bands', message: r.error }]);
      split = r.split;
    } else {
      measured = await this.lots.measured(lotId);
      if (measured.fruits === 0) {
        throw ProblemException.conflict(`lot ${lotId} has no measurements yet; post measurements or give bands`, 'lot-not-measured');
      }
      split = splitByShares(lotGrams, Object.fromEntries(Object.entries(measured.byGrade).map(([g, t]) => [g, t.mg])), order);
    }

    const brandOf = await this.brands.brandsFor(lot.produce, lot.cooperative.county);
    const bestBefore = new Date(now.getTime() + (this.shelfLifeDays[lot.produce] ?? this.defaultShelfLifeDays) * DAY_MS);
    const subLots: GradedSubLotDoc[] = [];
    for (const { grade, grams } of split.grades) {
      const id = newId('SUB');
      const brand = brandOf(grade, standard);
      const traceCode = await this.claimTraceCode(lot, { id, grade, brand, standard, bestBefore });
      subLots.push({ id, grade, quantityKg: toKg(grams), brand, traceCode, bestBefore });
    }
    const outcome: GradedOutcome = {
      _id: lotId,
      outcome: 'graded',
      gradedAt: now,
      standard: standard.id,
      method: dto.bands ? 'bands' : 'measurements',
      subLots,
      cullKg: toKg(split.cullGrams),
      ...(measured ? { measured } : {}),
      decidedAt: now,
      ...(seed ? { requestSeed: seed } : {}),
      outbox: [],
      outboxSize: 0,
    };
    const graded: LotGradedV1 = {
      lotId,
      cooperativeId: lot.cooperative.id,
      originWarehouseId: lot.originWarehouseId,
      produce: lot.produce,
      variety: lot.variety,
      standard: standard.id,
      lotQuantityKg: lot.quantityKg,
      cullKg: outcome.cullKg,
      gradedAt: now.toISOString(),
      subLots: subLots.map((s) => ({
        subLotId: s.id,
        grade: s.grade,
        quantityKg: s.quantityKg,
        brand: s.brand,
        traceCode: s.traceCode,
        bestBefore: s.bestBefore.toISOString(),
      })),
    };
    const { outbox: _o, outboxSize: _s, ...record } = outcome;
    if (!(await this.lots.decide(record, [newEvent(LotGradedV1.type, graded, { source: SOURCE, time: now })]))) {
      await this.provenance.release(subLots.map((s) => s.traceCode));
      const winner = await this.lots.findOutcome(lotId);
      if (winner) return this.alreadyGraded(lotId, winner, seed);
      throw notPending(lotId, 'graded');
    }
    return gradingView(lotId, outcome);
  }

  /** The lot's outcome is decided: the same answer for the request that decided it, 409 for any other. */
  private alreadyGraded(lotId: string, outcome: OutcomeRecord, seed: string | undefined): GradingView {
    if (seed && outcome.requestSeed === seed && outcome.outcome === 'graded') return gradingView(lotId, outcome as GradedOutcome);
    throw notPending(lotId, 'graded');
  }

  /** The lot if the caller may see it; the same 404 as a missing lot otherwise. */
  private async visible(lotId: string, allowed: (l: GradingLot) => boolean): Promise<GradingLot> {
    return Access.orNotFound(await this.lots.findLot(lotId), allowed, 'lot', lotId);
  }

  private standardOf(lot: GradingLot): GradingStandard {
    const standard = lot.standard ? this.standards.byId(lot.standard) : undefined;
    if (!standard) throw ProblemException.conflict(`no grading standard is configured for ${lot.produce}`, 'no-grading-standard');
    return standard;
  }

  /** Draws trace codes until one is free; the provenance record it creates is the claim. */
  private async claimTraceCode(
    lot: GradingLot,
    s: { id: string; grade: string; brand: string | null; standard: GradingStandard; bestBefore: Date },
  ): Promise<string> {
    for (let attempt = 0; attempt < TRACE_CODE_ATTEMPTS; attempt++) {
      const traceCode = newTraceCode();
      const claimed = await this.provenance.reserve({
        _id: traceCode,
        subLotId: s.id,
        lotId: lot._id,
        produce: lot.produce,
        variety: lot.variety,
        standard: s.standard.id,
        grade: s.grade,
        brand: s.brand,
        cooperative: { name: lot.cooperative.name, county: lot.cooperative.county, province: lot.cooperative.province },
        orchard: { name: lot.orchard.name, location: lot.orchard.location },
        harvestedAt: lot.harvestedAt,
        originWarehouseId: lot.originWarehouseId,
        bestBefore: s.bestBefore,
        createdAt: new Date(),
      });
      if (claimed) return traceCode;
    }
    throw new Error(`no free trace code after ${TRACE_CODE_ATTEMPTS} draws`);
  }
}

function notPending(lotId: string, verb: 'measured' | 'graded'): ProblemException {
  return ProblemException.conflict(`lot ${lotId} is already graded or was voided; it can no longer be ${verb}`, 'lot-not-pending');
}

function gradingView(lotId: string, g: GradedOutcome): GradingView {
  return {
    lotId,
    gradedAt: new Date(g.gradedAt).toISOString(),
    standard: g.standard,
    method: g.method,
    subLots: g.subLots.map((s) => ({
      id: s.id,
      grade: s.grade,
      quantityKg: s.quantityKg,
      brand: s.brand ?? null,
      traceCode: s.traceCode,
      bestBefore: new Date(s.bestBefore).toISOString(),
    })),
    cullKg: g.cullKg,
  };
}
