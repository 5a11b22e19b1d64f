import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { LotLoggedV1, LotVoidedV1, type LotGradedV1, type Principal } from '@firstmile/contracts';
import { Access, type FieldError, type IdempotencyClaim, newestFirst, type Page, ProblemException, type Replayed, replayOf } from '@firstmile/http';
import { newEvent } from '@firstmile/messaging';
import { derivedId, newId } from '@firstmile/persistence';
import type { FilterQuery } from 'mongoose';
import { CooperativesService } from '../cooperatives/cooperatives.service';
import type { HarvestEnv } from '../harvest.env';
import type { LogLotDto } from './dto/log-lot.dto';
import type { ListLotsQuery } from './dto/list-lots.query';
import type { Lot } from './lot.schema';
import { type LotRecord, LotsRepository } from './lots.repository';

const NEWEST = newestFirst<LotRecord>('createdAt');

export const SOURCE = 'firstmile/harvest-intake';
const DAY_MS = 86_400_000;

export type LotView = Omit<LotRecord, '_id' | 'appliedEvents' | 'requestHash'> & { id: string };

@Injectable()
export class LotsService {
  private readonly catalog: Set<string>;
  private readonly maxAgeDays: number;

  constructor(
    private readonly lots: LotsRepository,
    private readonly cooperatives: CooperativesService,
    config: ConfigService<HarvestEnv, true>,
  ) {
    this.catalog = new Set(config.get('PRODUCE_CATALOG', { infer: true }).split(','));
    this.maxAgeDays = config.get('MAX_HARVEST_AGE_DAYS', { infer: true });
  }

  /** `seed`: the request's idempotency identity; a retry of a request that died after this write finds its lot. */
  /**
   * `claim`: the request's Idempotency-Key, hashed. The lot's id derives from it and the lot records
   * the body's hash, so this one insert is the key's claim and its stored answer: a retry finds the
   * lot and gets the first answer again, the lot as it was logged (another body: 422).
   */
  async log(caller: Principal, dto: LogLotDto, claim?: IdempotencyClaim, now = new Date()): Promise<LotView | Replayed<LotView>> {
    const coop = await this.cooperatives.get(caller, dto.cooperativeId);
    const errors: FieldError[] = [];
    const harvestedAt = new Date(dto.harvestedAt);
    if (harvestedAt.getTime() > now.getTime() + 60_000) errors.push({ field: 'harvestedAt', message: 'must not be in the future' });
    if (harvestedAt.getTime() < now.getTime() - this.maxAgeDays * DAY_MS) {
      errors.push({ field: 'harvestedAt', message: `must be within the last ${this.maxAgeDays} days` });
    }
    if (!this.catalog.has(dto.produce)) {
      errors.push({ field: 'produce', message: `unknown produce; the catalog knows ${[...this.catalog].join(', ')}` });
    }
    const grower = coop.growers.find((g) => g.id === dto.growerId);
    if (!grower) errors.push({ field: 'growerId', message: 'not a grower of this cooperative' });
    const orchard = coop.orchards.find((o) => o.id === dto.orchardId);
    if (!orchard) errors.push({ field: 'orchardId', message: 'not an orchard of this cooperative' });
    else if (grower && orchard.growerId !== grower.id) errors.push({ field: 'orchardId', message: 'not an orchard of this grower' });
    if (errors.length > 0 || !orchard) throw ProblemException.validation(errors);

    const lot: LotRecord = {
      _id: claim ? derivedId('LOT', claim.seed) : newId('LOT'),
      cooperativeId: coop._id,
      growerId: dto.growerId,
      orchardId: dto.orchardId,
      produce: dto.produce,
      variety: dto.variety,
      harvestedAt,
      quantityKg: dto.quantityKg,
      ...(dto.crates !== undefined ? { crates: dto.crates } : {}),
      originWarehouseId: dto.originWarehouseId,
      ...(dto.notes !== undefined ? { notes: dto.notes } : {}),
      status: 'logged',
      createdAt: now,
    };
    const logged: LotLoggedV1 = {
      lotId: lot._id,
      cooperative: { id: coop._id, name: coop.name, county: coop.county, province: coop.province },
      growerId: lot.growerId,
      ...(grower ? { growerName: grower.name } : {}),
      orchard: { id: orchard.id, name: orchard.name, location: { lat: orchard.location.lat, lon: orchard.location.lon } },
      produce: lot.produce,
      variety: lot.variety,
      harvestedAt: harvestedAt.toISOString(),
      quantityKg: lot.quantityKg,
      ...(lot.crates !== undefined ? { crates: lot.crates } : {}),
      originWarehouseId: lot.originWarehouseId,
      loggedAt: now.toISOString(),
    };
    const events = [newEvent(LotLoggedV1.type, logged, { source: SOURCE, time: now })];
    if (await this.lots.insert({ ...lot, ...(claim ? { requestHash: claim.bodyHash } : {}) }, events)) return view(lot);
    // Only a claim derives an existing id: this is a retry (or a request racing it).
    // The key's identity is the token's subject, which may act for another cooperative by now: then
    // the key was used for another request (422), and nothing of the first lot is shown.
    const first = await this.lots.findById(lot._id);
    const visible = first && Access.coop(caller, first.cooperativeId);
    return replayOf(claim as IdempotencyClaim, visible ? first.requestHash : undefined, () => view(asLogged(first as LotRecord)));
  }

  async get(caller: Principal, id: string): Promise<LotView> {
    const lot = await this.lots.findById(id);
    return view(Access.orNotFound(lot, (l) => Access.coop(caller, l.cooperativeId), 'lot', id));
  }

  async list(caller: Principal, q: ListLotsQuery): Promise<Page<LotView>> {
    const filter: FilterQuery<Lot> = {};
    if (caller.role === 'coop_manager') {
      // A manager lists its own cooperative; naming another one simply finds nothing.
      if (q.cooperativeId && q.cooperativeId !== caller.coop) return { items: [], nextCursor: null };
      filter.cooperativeId = caller.coop;
    } else if (q.cooperativeId) filter.cooperativeId = q.cooperativeId;
    if (q.produce) filter.produce = q.produce;
    if (q.status) filter.status = q.status;
    if (q.harvestedFrom || q.harvestedTo) {
      filter.harvestedAt = {
        ...(q.harvestedFrom ? { $gte: new Date(q.harvestedFrom) } : {}),
        ...(q.harvestedTo ? { $lte: new Date(q.harvestedTo) } : {}),
      };
    }
    const rows = await this.lots.find({ ...filter, ...NEWEST.after(q.cursor) }, NEWEST.sort, q.limit + 1);
    const page = NEWEST.page(rows, q.limit);
    return { items: page.items.map(view), nextCursor: page.nextCursor };
  }

  async void(caller: Principal, id: string, reason: string, now = new Date()): Promise<LotView> {
    const lot = await this.get(caller, id);
    const voided: LotVoidedV1 = { lotId: id, cooperativeId: lot.cooperativeId, reason, voidedAt: now.toISOString() };
    const updated = await this.lots.void(id, reason, now, [newEvent(LotVoidedV1.type, voided, { source: SOURCE, time: now })]);
    if (!updated) throw ProblemException.conflict(`lot ${id} is ${lot.status}; only a logged lot can be voided`, 'lot-not-voidable');
    return view(updated);
  }

  /** grading.lots → the lot carries its grading summary; grading wins over a void it overtook (lot-grading.ts). */
  async recordGrading(e: LotGradedV1, eventId: string, now = new Date()): Promise<void> {
    const kgByGrade: Record<string, number> = {};
    for (const s of e.subLots) kgByGrade[s.grade] = round3((kgByGrade[s.grade] ?? 0) + s.quantityKg);
    await this.lots.recordGrading(e.lotId, eventId, {
      gradedAt: e.gradedAt,
      standard: e.standard,
      kgByGrade,
      cullKg: e.cullKg,
      subLotIds: e.subLots.map((s) => s.subLotId),
    }, now);
  }
}

const round3 = (n: number) => Math.round(n * 1000) / 1000;

function view({ _id, requestHash: _h, ...rest }: LotRecord): LotView {
  const { appliedEvents: _a, ...visible } = rest as Omit<LotRecord, '_id' | 'requestHash'> & { appliedEvents?: unknown };
  return { id: _id, ...visible };
}

/** The lot as it was logged: what the first answer to its Idempotency-Key showed. */
function asLogged({ voidReason: _r, voidedAt: _v, grading: _g, voidRefused: _f, ...lot }: LotRecord): LotRecord {
  return { ...lot, status: 'logged' };
}
