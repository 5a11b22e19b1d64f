import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { FilterQuery } from 'mongoose';
import type {
  LotGradedV1,
  LotLoggedV1,
  LotVoidedV1,
  Principal,
  ShipmentCreatedV1,
  ShipmentStatusChangedV1,
  StockDispatchedV1,
  StockReceivedV1,
  TransferDispatchedV1,
  TransferReceivedV1,
} from '@firstmile/contracts';
import { Cursor, problemFor, ProblemException } from '@firstmile/http';
import type { Delivery, EventContext } from '@firstmile/messaging';
import type { InsightsEnv } from '../insights.env';
import type { EventsQuery } from './dto/events.query';
import type { EpcisEventDoc } from './epcis-event.schema';
import type { SubLotFact } from './facts.schema';
import { EpcisRepository } from './epcis.repository';
import { Identifiers } from './identifiers';
import { type EpcisEvent, EpcisMapper, type EpcisRecord, type SourceMeta, type SubLotFacts } from './mapping';

/**
 * A fact this event needs comes from another stream that has not been read yet (topics are read
 * independently, and a replay reads them in any order). Thrown, the event is retried later through
 * the retry topics, by which time the other stream has caught up.
 */
export class MissingFactError extends Error {
  override readonly name = 'MissingFactError';
}

const meta = (ctx: EventContext): SourceMeta => ({ eventId: ctx.eventId, time: ctx.envelope.time });

/** `https://ref.gs1.org/cbv/BizStep-receiving` and `urn:epcglobal:cbv:bizstep:receiving` are `receiving`. */
const bareBizStep = (step: string) =>
  step.replace(/^https?:\/\/ref\.gs1\.org\/cbv\/BizStep-/, '').replace(/^urn:epcglobal:cbv:bizstep:/, '');
const list = (value: string | undefined) => (value ? value.split(',') : undefined);

export interface EventsPage {
  events: EpcisEvent[];
  nextPageToken: string | null;
}

@Injectable()
export class EpcisService {
  private readonly mapper: EpcisMapper;

  constructor(
    private readonly repo: EpcisRepository,
    config: ConfigService<InsightsEnv, true>,
  ) {
    const ids = new Identifiers({
      base: config.get('DIGITAL_LINK_BASE', { infer: true }),
      companyPrefix: config.get('GS1_COMPANY_PREFIX', { infer: true }),
    });
    this.mapper = new EpcisMapper(ids, config.get('EPCIS_TIMEZONE_OFFSET', { infer: true }));
  }

  // ---- capture: one source event → its EPCIS event(s), stored once ----

  /** A batch of logged lots: their facts and EPCIS events in a few commands, not three per lot. */
  async onLotsLogged(batch: ReadonlyArray<Delivery<LotLoggedV1>>): Promise<void> {
    await this.repo.rememberLots(batch.map(({ event: e }) => ({ _id: e.lotId, cooperativeId: e.cooperative.id, produce: e.produce })));
    await this.repo.insertEvents(batch.map((d) => this.mapper.lotLogged(d.event, meta(d.ctx))));
  }

  async onLotVoided(e: LotVoidedV1, ctx: EventContext): Promise<void> {
    const lot = (await this.repo.lotsById([e.lotId])).get(e.lotId);
    if (!lot) throw new MissingFactError(`lot ${e.lotId} (lot.logged) not read yet`);
    await this.repo.insertEvents([this.mapper.lotVoided(e, lot.produce, meta(ctx))]);
  }

  async onLotGraded(e: LotGradedV1, ctx: EventContext): Promise<void> {
    await this.repo.rememberLots([{ _id: e.lotId, cooperativeId: e.cooperativeId, produce: e.produce }]);
    await this.repo.rememberSubLots(
      e.subLots.map((s) => ({
        _id: s.subLotId,
        lotId: e.lotId,
        cooperativeId: e.cooperativeId,
        produce: e.produce,
        grade: s.grade,
        brand: s.brand ?? null,
        traceCode: s.traceCode,
      })),
    );
    await this.repo.insertEvents([this.mapper.lotGraded(e, meta(ctx))]);
  }

  async onStockReceived(e: StockReceivedV1, ctx: EventContext): Promise<void> {
    if (e.via === 'transfer') return; // transfer.received tells it, with source and destination
    await this.storeForLot(e.lotId, (coop) => this.mapper.stockReceived(e, coop, meta(ctx)));
  }

  async onTransferDispatched(e: TransferDispatchedV1, ctx: EventContext): Promise<void> {
    await this.storeForLot(e.lotId, (coop) => [this.mapper.transferDispatched(e, coop, meta(ctx))]);
  }

  async onTransferReceived(e: TransferReceivedV1, ctx: EventContext): Promise<void> {
    await this.storeForLot(e.lotId, (coop) => [this.mapper.transferReceived(e, coop, meta(ctx))]);
  }

  async onStockDispatched(e: StockDispatchedV1, ctx: EventContext): Promise<void> {
    const lots = await this.lotsOrWait(e.items.map((i) => i.lotId));
    await this.repo.insertEvents(
      this.mapper.stockDispatched(e, (lotId) => lots.get(lotId) as string, meta(ctx)),
    );
  }

  async onShipmentsCreated(events: readonly ShipmentCreatedV1[]): Promise<void> {
    await this.repo.rememberShipments(
      events.map((e) => ({ _id: e.shipmentId, items: e.items.map((i) => ({ subLotId: i.subLotId, quantityKg: i.quantityKg })) })),
    );
  }

  async onShipmentStatusChanged(e: ShipmentStatusChangedV1, ctx: EventContext): Promise<void> {
    if (e.status !== 'delivered') return;
    const shipment = await this.repo.shipment(e.shipmentId);
    if (!shipment) throw new MissingFactError(`shipment ${e.shipmentId} (shipment.created) not read yet`);
    const subLots = await this.repo.subLotsById(shipment.items.map((i) => i.subLotId));
    const missing = shipment.items.filter((i) => !subLots.has(i.subLotId)).map((i) => i.subLotId);
    if (missing.length > 0)
      throw new MissingFactError(`sub-lot(s) ${missing.join(', ')} (lot.graded) not read yet`);
    const items = shipment.items.map((i) => ({
      sub: toFacts(subLots.get(i.subLotId) as SubLotFact),
      quantityKg: i.quantityKg,
    }));
    await this.repo.insertEvents(this.mapper.shipmentStatusChanged(e, items, meta(ctx)));
  }

  /**
   * Stock events name the lot, not its cooperative. Graded stock is received within moments of the
   * grading, which is read here from another topic, so the lot may be unknown yet: the event is
   * stored without its cooperative (ops see it, no manager does) and the lot's event sets it. Looking
   * again after the insert closes the gap where the lot arrived between the first look and the insert.
   */
  private async storeForLot(
    lotId: string,
    build: (cooperativeId: string | null) => EpcisRecord[],
  ): Promise<void> {
    const lot = (await this.repo.lotsById([lotId])).get(lotId);
    await this.repo.insertEvents(build(lot?.cooperativeId ?? null));
    if (lot) return;
    const now = (await this.repo.lotsById([lotId])).get(lotId);
    if (now) await this.repo.assignCooperative([lotId], now.cooperativeId);
  }

  private async lotsOrWait(lotIds: string[]): Promise<Map<string, string>> {
    const lots = await this.repo.lotsById(lotIds);
    const missing = [...new Set(lotIds)].filter((id) => !lots.has(id));
    if (missing.length > 0)
      throw new MissingFactError(`lot(s) ${missing.join(', ')} (lot.logged) not read yet`);
    return new Map([...lots.values()].map((l) => [l._id, l.cooperativeId]));
  }

  // ---- query ----

  async query(caller: Principal, q: EventsQuery): Promise<EventsPage> {
    const and: FilterQuery<EpcisEventDoc>[] = [];
    // Object-level authorization is a filter: a coop_manager's query runs over its own events only.
    if (caller.role === 'coop_manager') and.push({ cooperativeId: caller.coop ?? '' });
    const types = list(q.eventType);
    if (types) and.push({ type: { $in: types } });
    if (q.GE_eventTime || q.LT_eventTime) {
      and.push({
        eventTime: {
          ...(q.GE_eventTime ? { $gte: new Date(q.GE_eventTime) } : {}),
          ...(q.LT_eventTime ? { $lt: new Date(q.LT_eventTime) } : {}),
        },
      });
    }
    const steps = list(q.EQ_bizStep);
    if (steps) and.push({ bizStep: { $in: steps.map(bareBizStep) } });
    for (const value of [q.MATCH_epc, q.MATCH_epcClass])
      if (value) and.push({ epcs: { $in: value.split(',') } });
    for (const value of [q.MATCH_anyEPC, q.MATCH_anyEPCClass])
      if (value) and.push({ anyEpcs: { $in: value.split(',') } });
    if (q.nextPageToken) and.push(after(q.nextPageToken));

    const rows = await this.repo.page(and.length ? { $and: and } : {}, q.perPage + 1);
    const page = rows.slice(0, q.perPage);
    const last = page[page.length - 1];
    return {
      events: page.map((r) => r.event),
      nextPageToken:
        rows.length > q.perPage && last
          ? Cursor.encode(`${new Date(last.eventTime).toISOString()}|${last._id}`)
          : null,
    };
  }

  async get(caller: Principal, eventId: string): Promise<EpcisEvent> {
    const doc = await this.repo.findById(eventId);
    // Someone else's event is indistinguishable from a missing one.
    if (!doc || (caller.role !== 'ops' && doc.cooperativeId !== caller.coop))
      throw ProblemException.notFound('EPCIS event', eventId);
    return doc.event;
  }
}

const toFacts = ({ _id, ...s }: SubLotFact): SubLotFacts => ({ ...s, subLotId: _id });

/** Events after the last one of the previous page, in (eventTime, eventID) order: a range, never a skip. */
function after(token: string): FilterQuery<EpcisEventDoc> {
  const value = Cursor.decode(token);
  const bar = value.indexOf('|');
  const at = new Date(value.slice(0, bar));
  const id = value.slice(bar + 1);
  if (bar < 0 || !id || Number.isNaN(at.getTime()))
    throw new ProblemException(problemFor(400, 'nextPageToken is not valid'));
  return { $or: [{ eventTime: { $gt: at } }, { eventTime: at, _id: { $gt: id } }] };
}
