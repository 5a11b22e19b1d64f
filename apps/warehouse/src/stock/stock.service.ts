import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import {
  type ConfirmReservationV1,
  type DispatchedItem,
  type LotGradedV1,
  type Principal,
  type ReleaseReservationV1,
  ReservationLapsedV1,
  ReservationRejectedV1,
  ReservationReleaseRefusedV1,
  ReservationReleasedV1,
  type ReserveStockV1,
  StockDispatchedV1,
  StockReceivedV1,
  StockReservedV1,
  StockWrittenOffV1,
  TransferDispatchedV1,
  TransferReceivedV1,
  toGrams,
  toKg,
} from '@firstmile/contracts';
import { Access, Cursor, type Page, ProblemException } from '@firstmile/http';
import { type Command, NonRetryableError, newEvent, type OutboundEvent, withinTrace } from '@firstmile/messaging';
import type { FilterQuery } from 'mongoose';
import type { WarehouseEnv } from '../warehouse.env';
import type { Warehouse } from '../warehouses/warehouse.schema';
import { WarehousesService } from '../warehouses/warehouses.service';
import type { LedgerQuery, StockQuery } from './dto/stock.query';
import { SOURCE, stockItem, stockLevel } from './stock.events';
import { type Change, apply, combine, emptyPosition, type LateAnswer, lateAnswer, type Operation, type Outcome, type Refusal, type Reservation, type Reservations } from './stock-position';
import type { StockPosition } from './stock-position.schema';
import { type DispatchRecord, type PositionRecord, type PositionShell, pendingWrites, type ReservationRecord, StockRepository } from './stock.repository';

export const positionId = (warehouseId: string, subLotId: string) => `${warehouseId}:${subLotId}`;

export type Mutation =
  | { kind: 'missing' }
  /** The key (transfer leg) or reservation id was applied or answered before: nothing changed, nothing to answer. */
  | { kind: 'duplicate' }
  | { kind: 'refused'; refusal: Refusal; position: PositionRecord; known: Reservations }
  | { kind: 'applied'; change: Change; position: PositionRecord };

/** What a change decides from: the position's figures and the reservations it asked for, as stored. */
type Decide = (p: PositionRecord, known: Reservations) => Outcome;

/** One command of a run on a position: how it decides, what its change stages, and what its result must be. */
interface Step {
  decide: Decide;
  events: (p: PositionRecord, change: Change) => OutboundEvent[];
  /** Throws when the result is a failure of the command (it is retried, then dead-lettered). */
  check?: (result: Mutation, command: Command<never>) => void;
}

/** A command that found its reservation closed, and what it is answered (see `lateAnswer`). */
interface LateReply<C> {
  command: Command<C>;
  answer: LateAnswer;
}

/** The commands of a batch that failed, with their errors. */
export type Failures<C> = Map<Command<C>, unknown>;
type ReceivedPosition = Parameters<StockRepository['insertAll']>[0][number];


export interface StockItemView {
  subLotId: string;
  lotId: string;
  produce: string;
  variety: string;
  grade: string;
  brand: string | null;
  traceCode: string;
  onHandKg: number;
  reservedKg: number;
  availableKg: number;
  receivedAt: string | null;
  bestBefore: string;
  version: number;
}

export interface LedgerEntryView {
  id: string;
  subLotId: string;
  lotId: string;
  kind: string;
  quantityKg: number;
  onHandDeltaKg: number;
  reservedDeltaKg: number;
  onHandKg: number;
  reservedKg: number;
  version: number;
  at: string;
  reason?: string;
  reservationId?: string;
  orderId?: string;
  transferId?: string;
  shipmentId?: string;
}

export interface DispatchView {
  shipmentId: string;
  warehouseId: string;
  orderId: string;
  dispatchedAt: string;
  items: Array<{ subLotId: string; reservationId: string; quantityKg: number }>;
}

/** A hot position under concurrent commands retries its compare-and-set this many times before the message is retried. */
const MAX_ATTEMPTS = 200;
const SWEEP_BATCH = 200;
/** Reservations one expiry or dispatch write closes at most (each is owed a reservation and a ledger document). */
const PER_WRITE = 100;
const RECENT_POSITIONS = 2000;

@Injectable()
export class StockService {
  private readonly ttlMs: number;
  private readonly recent = new Map<string, PositionRecord>();

  constructor(
    private readonly repo: StockRepository,
    private readonly warehouses: WarehousesService,
    config: ConfigService<WarehouseEnv, true>,
  ) {
    this.ttlMs = config.get('RESERVATION_TTL_MS', { infer: true });
  }

  /**
   * grading.lots → one position per sub-lot at each lot's origin warehouse, each created once: the
   * sub-lots of a fetched batch of graded lots in one insert (see `StockRepository.insertAll`).
   * Answers the lots that cannot be received, by their index in `lots`, each with its error.
   */
  async receiveGradedAll(lots: ReadonlyArray<Command<LotGradedV1> & { eventId: string }>): Promise<Map<number, unknown>> {
    const failed = new Map<number, unknown>();
    const positions: ReceivedPosition[] = [];
    for (const [i, c] of lots.entries()) {
      try {
        // In the lot's own trace: each StockReceived continues the trace of the lot it came from.
        positions.push(...(await withinTrace(c, () => this.received(c.command, c.eventId))));
      } catch (err) {
        failed.set(i, err);
      }
    }
    await this.repo.insertAll(positions);
    return failed;
  }

  /** The positions a graded lot's sub-lots make, each with its first movement and its StockReceived. */
  private async received(e: LotGradedV1, eventId: string): Promise<ReceivedPosition[]> {
    const warehouse = await this.warehouses.find(e.originWarehouseId);
    // Stock needs a place (and its location, which every stock event carries). Retrying will not
    // create the warehouse: park the lot in the dead-letter topic, to replay once ops has added it.
    if (!warehouse) throw new NonRetryableError(`unknown origin warehouse ${e.originWarehouseId} for lot ${e.lotId}`);
    // Grading happens at the origin warehouse: the stock is there from the moment it is graded,
    // and a redelivery computes the very same movement.
    const at = new Date(e.gradedAt);
    return e.subLots.map((s) => {
      const shell = this.shell(warehouse, { ...e, ...s, bestBefore: new Date(s.bestBefore) }, at);
      const outcome = apply(emptyPosition(shell.bestBefore), { kind: 'receive', quantityG: toGrams(s.quantityKg), lotId: e.lotId, at });
      if (!outcome.ok) throw new NonRetryableError(`sub-lot ${s.subLotId} cannot be received: ${outcome.refusal}`);
      const { next } = outcome.change;
      const received = newEvent(
        StockReceivedV1.type,
        { ...stockItem(shell, next), quantityKg: toKg(toGrams(s.quantityKg)), via: 'grading', receivedAt: at.toISOString() },
        { source: SOURCE, time: at },
      );
      return { position: { ...shell, ...next, pending: {}, pendingCount: 0, appliedEvents: [eventId] }, writes: pendingWrites(shell, outcome.change), events: [received] };
    });
  }

  /**
   * ReserveStockV1 → exactly one answer: StockReservedV1 or ReservationRejectedV1, never two (the
   * reservation id is the key). The commands of a batch, at once: the commands of one position are decided one after
   * another on the figures the previous ones left and written in ONE conditional update of the
   * position (positions concurrently), so a burst on a hot sub-lot costs a write per batch, not per
   * order. Returns the commands that failed (the others are answered).
   */
  async reserveAll(commands: ReadonlyArray<Command<ReserveStockV1>>, now = new Date()): Promise<Failures<ReserveStockV1>> {
    const expiresAt = new Date(now.getTime() + this.ttlMs);
    return this.perPosition(
      commands,
      (c): Step => {
        const op: Operation = {
          kind: 'reserve',
          reservationId: c.reservationId,
          orderId: c.orderId,
          quantityG: toGrams(c.quantityKg),
          mustLastUntil: new Date(c.mustLastUntil),
          expiresAt,
          at: now,
        };
        return {
          decide: (p, known) => apply(p, op, known),
          events: (p, change) => {
            const a = change.answer;
            if (a.kind === 'reserved') {
              return [
                newEvent(
                  StockReservedV1.type,
                  {
                    ...stockItem(p, change.next),
                    reservationId: c.reservationId,
                    orderId: c.orderId,
                    quantityKg: toKg(op.quantityG),
                    expiresAt: (a.reservation.expiresAt ?? now).toISOString(),
                    reservedAt: now.toISOString(),
                  },
                  { source: SOURCE, time: now },
                ),
              ];
            }
            if (a.kind === 'rejected') return [this.rejection(c, a.reason, now, stockLevel(change.next))];
            return [];
          },
        };
      },
      async (missing) => {
        // Stock this warehouse never had: the refusal is recorded with its answer, once.
        await this.repo.recordRefusals(
          missing.map(({ command: c, ctx }) => ({
            reservation: {
              _id: c.reservationId,
              reservationId: c.reservationId,
              positionId: positionId(c.warehouseId, c.subLotId),
              warehouseId: c.warehouseId,
              subLotId: c.subLotId,
              orderId: c.orderId,
              quantityG: toGrams(c.quantityKg),
              status: 'rejected',
              at: now,
              expiresAt: null,
              shipmentId: null,
              closedAt: now,
              reason: 'unknown_stock',
              positionVersion: 0,
            },
            events: withinTrace({ command: c, ctx }, () => [this.rejection(c, 'unknown_stock', now)]),
          })),
        );
      },
    );
  }

  /**
   * ConfirmReservationV1 → the reservation belongs to a shipment and no longer expires. Order-routing
   * confirms only reservations this service answered as held, so one that is not here at all is an
   * inconsistency: it fails (retried, then parked in the dead-letter topic), never passes silently.
   * One released meanwhile (it lapsed before the confirmation came) is answered ReservationLapsedV1,
   * once: the order does not hold that stock any more and is routed again.
   */
  async confirmAll(commands: ReadonlyArray<Command<ConfirmReservationV1>>, now = new Date()): Promise<Failures<ConfirmReservationV1>> {
    const late: LateReply<ConfirmReservationV1>[] = [];
    const failures = await this.perPosition(
      commands,
      (c) => ({
        decide: (p, known) => apply(p, { kind: 'confirm', reservationId: c.reservationId, shipmentId: c.shipmentId, at: now }, known),
        events: () => [],
        check: (result, command) => {
          if (result.kind === 'missing') {
            throw new Error(`confirm of reservation ${c.reservationId} (order ${c.orderId}) names no stock position ${c.warehouseId}/${c.subLotId}`);
          }
          if (result.kind === 'refused' && result.refusal === 'unknown_reservation') {
            const r = result.known[c.reservationId];
            if (!r || r.status === 'rejected') {
              throw new Error(`confirm of reservation ${c.reservationId} (order ${c.orderId}): it was never held here (${r ? 'rejected' : 'unknown'})`);
            }
            const answer = lateAnswer('confirm', r);
            if (answer) late.push({ command, answer });
            // Otherwise it has left already (a redelivered confirmation): nothing to say.
          }
        },
      }),
    );
    return this.answerLate(late, failures, (c, r) =>
      newEvent(
        ReservationLapsedV1.type,
        {
          reservationId: r.reservationId,
          orderId: r.orderId,
          shipmentId: c.shipmentId,
          warehouseId: c.warehouseId,
          subLotId: c.subLotId,
          quantityKg: toKg(r.quantityG),
          reason: r.reason === 'expired' ? 'expired' : 'requested',
          releasedAt: (r.closedAt ?? now).toISOString(),
          lapsedAt: now.toISOString(),
        },
        { source: SOURCE, time: now },
      ),
    );
  }

  /**
   * ReleaseReservationV1 → released (reason "requested"); unknown or already released: nothing
   * happens. One whose stock has left is refused with ReservationReleaseRefusedV1, once: a
   * cancellation must not believe it released what is on the road.
   * The commands of a batch at once, one write per position (see `reserveAll`); returns the ones that failed.
   */
  async releaseAll(commands: ReadonlyArray<Command<ReleaseReservationV1>>, now = new Date()): Promise<Failures<ReleaseReservationV1>> {
    const late: LateReply<ReleaseReservationV1>[] = [];
    const failures = await this.perPosition(commands, (c) => ({
      decide: (p, known) => apply(p, { kind: 'release', reservationId: c.reservationId, reason: 'requested', at: now }, known),
      events: (p, change) => this.releasedEvents(p, change, now),
      check: (result, command) => {
        const answer = result.kind === 'refused' ? lateAnswer('release', result.known[c.reservationId]) : null;
        if (answer) late.push({ command, answer });
      },
    }));
    return this.answerLate(late, failures, (c, r) =>
      newEvent(
        ReservationReleaseRefusedV1.type,
        {
          reservationId: r.reservationId,
          orderId: r.orderId,
          // A dispatched reservation was confirmed for its shipment: always there.
          shipmentId: r.shipmentId ?? 'unknown',
          warehouseId: c.warehouseId,
          subLotId: c.subLotId,
          quantityKg: toKg(r.quantityG),
          reason: 'already_dispatched',
          dispatchedAt: (r.closedAt ?? now).toISOString(),
          refusedAt: now.toISOString(),
        },
        { source: SOURCE, time: now },
      ),
    );
  }

  /** Stages the late answers of a batch in one write (see `StockRepository.answerClosed`); if it fails, their commands fail. */
  private async answerLate<C>(late: LateReply<C>[], failures: Failures<C>, event: (c: C, r: Reservation) => OutboundEvent): Promise<Failures<C>> {
    const answers = late.filter((l) => !failures.has(l.command));
    try {
      await this.repo.answerClosed(
        answers.map(({ command, answer }) => ({
          reservationId: answer.reservation.reservationId,
          status: answer.reservation.status,
          answer: answer.kind,
          events: withinTrace(command, () => [event(command.command, answer.reservation)]),
        })),
      );
    } catch (err) {
      for (const a of answers) failures.set(a.command, err);
    }
    return failures;
  }

  /**
   * Commands about reservations of positions: grouped by position, each group run as one `mutateAll`
   * (in arrival order), the groups concurrently. `missing` handles the commands whose position does
   * not exist (default: `check` of each step). A group that fails fails its commands only.
   */
  private async perPosition<C extends { reservationId: string; warehouseId: string; subLotId: string }>(
    commands: ReadonlyArray<Command<C>>,
    step: (c: C) => Step,
    missing?: (commands: Array<Command<C>>) => Promise<void>,
  ): Promise<Failures<C>> {
    const groups = new Map<string, Array<Command<C>>>();
    for (const c of commands) {
      const id = positionId(c.command.warehouseId, c.command.subLotId);
      groups.set(id, [...(groups.get(id) ?? []), c]);
    }
    const failures: Failures<C> = new Map();
    await Promise.all(
      [...groups].map(async ([id, group]) => {
        try {
          const steps = group.map(({ command, ctx }) => {
            const s = step(command);
            return { ...s, events: (p: PositionRecord, change: Change) => withinTrace({ command, ctx }, () => s.events(p, change)) };
          });
          const results = await this.mutateAll(id, null, group.map((c) => c.command.reservationId), steps);
          if (missing && results.every((r) => r.kind === 'missing')) return await missing(group);
          for (const [i, r] of results.entries()) {
            try {
              steps[i].check?.(r, group[i] as Command<never>);
            } catch (err) {
              failures.set(group[i], err);
            }
          }
        } catch (err) {
          for (const c of group) failures.set(c, err);
        }
      }),
    );
    return failures;
  }

  /** Releases held reservations whose TTL has passed; returns how many positions changed. */
  async expireDue(now = new Date()): Promise<number> {
    let changed = 0;
    for (const [id, due] of byPosition(await this.repo.dueForExpiry(now, SWEEP_BATCH))) {
      for (let i = 0; i < due.length; i += PER_WRITE) {
        const ids = due.slice(i, i + PER_WRITE);
        const r = await this.mutate(id, null, ids, (p, known) => apply(p, { kind: 'expire', at: now }, known), (p, change) => this.releasedEvents(p, change, now));
        if (r.kind === 'applied') changed++;
      }
    }
    return changed;
  }

  /** Writes what changes cut short by a crash still owe (their positions are settled on first use too); returns how many positions. */
  async settleUnsettled(): Promise<number> {
    const ids = await this.repo.unsettled(SWEEP_BATCH);
    for (const id of ids) {
      await this.repo.exclusive(id, async () => {
        const p = await this.repo.load(id);
        if (p) await this.repo.settle(p);
        this.recent.delete(id);
      });
    }
    return ids.length;
  }

  /** Writes off what is still available of stock past its best-before; returns how many positions changed. */
  async writeOffExpired(now = new Date()): Promise<number> {
    let changed = 0;
    for (const id of await this.repo.dueForWriteOff(now, SWEEP_BATCH)) {
      const r = await this.mutate(
        id,
        null,
        [],
        (p): Outcome => (p.bestBefore.getTime() < now.getTime() ? apply(p, { kind: 'write_off', reason: 'expired', at: now }) : { ok: false, refusal: 'nothing_to_do' }),
        (p, change) =>
          change.answer.kind === 'moved'
            ? [
                newEvent(
                  StockWrittenOffV1.type,
                  { ...stockItem(p, change.next), quantityKg: toKg(change.answer.quantityG), reason: 'expired', writtenOffAt: now.toISOString() },
                  { source: SOURCE, time: now },
                ),
              ]
            : [],
      );
      if (r.kind === 'applied') changed++;
    }
    return changed;
  }

  /** A transfer's first leg: out of the source, keyed by the transfer so it happens once. */
  transferOut(sourceId: string, transferId: string, quantityG: number, toWarehouseId: string, now: Date): Promise<Mutation> {
    return this.mutate(
      sourceId,
      `${transferId}:out`,
      [],
      (p) => apply(p, { kind: 'transfer_out', quantityG, transferId, at: now }),
      (p, change) => [
        newEvent(
          TransferDispatchedV1.type,
          { ...stockItem(p, change.next), transferId, toWarehouseId, quantityKg: toKg(quantityG), dispatchedAt: now.toISOString() },
          { source: SOURCE, time: now },
        ),
      ],
    );
  }

  /**
   * A transfer's second leg: into the destination (created empty if new), keyed by the transfer.
   * Publishes TransferReceivedV1 for provenance and StockReceivedV1 (via "transfer") so read
   * models that learn of new positions from receipts see the stock arrive, in the same write.
   */
  async transferIn(shell: PositionShell, transferId: string, quantityG: number, fromWarehouseId: string, now: Date): Promise<Mutation> {
    await this.repo.exclusive(shell._id, () => this.repo.ensure(shell));
    return this.mutate(
      shell._id,
      `${transferId}:in`,
      [],
      (p) => apply(p, { kind: 'transfer_in', quantityG, transferId, at: now }),
      (p, change) => {
        const item = stockItem(p, change.next);
        const quantityKg = toKg(quantityG);
        return [
          newEvent(TransferReceivedV1.type, { ...item, transferId, fromWarehouseId, quantityKg, receivedAt: now.toISOString() }, { source: SOURCE, time: now }),
          newEvent(StockReceivedV1.type, { ...item, quantityKg, via: 'transfer', transferId, receivedAt: now.toISOString() }, { source: SOURCE, time: now }),
        ];
      },
      (p) => (p.receivedAt ? {} : { receivedAt: now }),
    );
  }

  /** The position record (write path), for other modules that move stock. */
  load(id: string): Promise<PositionRecord | null> {
    return this.repo.load(id);
  }

  /** POST /v1/warehouses/:id/dispatches: the shipment's confirmed reservations leave, once. */
  async dispatch(caller: Principal, warehouseId: string, shipmentId: string, now = new Date()): Promise<DispatchView> {
    await this.warehouseFor(caller, warehouseId);
    const dispatchId = `${warehouseId}:${shipmentId}`;
    const done = await this.repo.findDispatch(dispatchId);
    if (done) return dispatchView(done);
    const reservations = await this.repo.withShipment(warehouseId, shipmentId);
    if (reservations.length === 0) throw ProblemException.notFound('shipment', `${shipmentId} at warehouse ${warehouseId}`);
    // Each position leaves in its own conditional write; a retry after a crash finds the
    // reservations already dispatched, completes the rest, then the dispatch record carries the event.
    for (const [id, ids] of byPosition(reservations)) {
      for (let i = 0; i < ids.length; i += PER_WRITE) {
        await this.mutate(id, null, ids.slice(i, i + PER_WRITE), (p, known) => apply(p, { kind: 'dispatch', shipmentId, at: now }, known), () => []);
      }
    }
    const left = (await this.repo.withShipment(warehouseId, shipmentId)).filter((r) => r.status === 'dispatched');
    const positions = new Map((await this.repo.loadMany([...new Set(left.map((r) => r.positionId))])).map((p) => [p._id, p]));
    const items: DispatchedItem[] = left.flatMap((r) => {
      const p = positions.get(r.positionId);
      return p ? [{ ...stockItem(p, p), reservationId: r.reservationId, quantityKg: toKg(r.quantityG) }] : [];
    });
    if (items.length === 0) throw ProblemException.conflict(`shipment ${shipmentId} has no confirmed reservations at ${warehouseId}`, 'nothing-to-dispatch');
    const orderId = reservations[0].orderId;
    const record: DispatchRecord = {
      _id: dispatchId,
      warehouseId,
      shipmentId,
      orderId,
      items: items.map((i) => ({ subLotId: i.subLotId, reservationId: i.reservationId, quantityG: toGrams(i.quantityKg) })),
      dispatchedAt: now,
    };
    const event = newEvent(StockDispatchedV1.type, { shipmentId, orderId, warehouseId, items, dispatchedAt: now.toISOString() }, { source: SOURCE, time: now });
    return dispatchView(await this.repo.insertDispatch(record, [event]));
  }

  async stock(caller: Principal, warehouseId: string, q: StockQuery): Promise<Page<StockItemView>> {
    await this.warehouseFor(caller, warehouseId);
    const filter: FilterQuery<StockPosition> = { warehouseId, onHandG: { $gt: 0 } };
    if (q.produce) filter.produce = q.produce;
    if (q.grade) filter.grade = q.grade;
    if (q.subLotId) filter.subLotId = q.subLotId;
    if (q.cursor) filter._id = { $gt: Cursor.decode(q.cursor) };
    const rows = await this.repo.listStock(filter, q.limit + 1);
    const page = Cursor.page(rows, q.limit, (p) => p._id);
    return { items: page.items.map(stockView), nextCursor: page.nextCursor };
  }

  async ledger(caller: Principal, warehouseId: string, q: LedgerQuery): Promise<Page<LedgerEntryView>> {
    await this.warehouseFor(caller, warehouseId);
    const rows = await this.repo.ledger(warehouseId, {
      ...(q.subLotId ? { subLotId: q.subLotId } : {}),
      ...(q.kind ? { kind: q.kind } : {}),
      ...(q.cursor ? { after: Cursor.decode(q.cursor) } : {}),
      limit: q.limit + 1,
    });
    const page = Cursor.page(rows, q.limit, (r) => r._id);
    return {
      items: page.items.map(({ _id, positionId: _p, warehouseId: _w, subLotId, lotId, kind, quantityG, onHandDeltaG, reservedDeltaG, onHandG, reservedG, version, at, ...refs }) => ({
        id: _id,
        subLotId,
        lotId,
        kind,
        quantityKg: toKg(quantityG),
        onHandDeltaKg: toKg(onHandDeltaG),
        reservedDeltaKg: toKg(reservedDeltaG),
        onHandKg: toKg(onHandG),
        reservedKg: toKg(reservedG),
        version,
        at: new Date(at).toISOString(),
        ...definedOnly(refs),
      })),
      nextCursor: page.nextCursor,
    };
  }

  /** The warehouse if the caller may see it; someone else's answers the same 404 as a missing one. */
  async warehouseFor(caller: Principal, id: string): Promise<Warehouse> {
    const w = await this.warehouses.find(id);
    return Access.orNotFound(w, (x) => Access.warehouse(caller, x._id), 'warehouse', id);
  }

  shell(w: Warehouse, s: Omit<PositionShell, '_id' | 'warehouseId' | 'warehouseLocation' | 'receivedAt'>, receivedAt: Date | null): PositionShell {
    return {
      _id: positionId(w._id, s.subLotId),
      warehouseId: w._id,
      warehouseLocation: { lat: w.location.lat, lon: w.location.lon },
      subLotId: s.subLotId,
      lotId: s.lotId,
      produce: s.produce,
      variety: s.variety,
      grade: s.grade,
      brand: s.brand ?? null,
      traceCode: s.traceCode,
      bestBefore: s.bestBefore,
      receivedAt,
    };
  }

  /** One change of a position, decided and written on its own; see `mutateAll`. */
  private async mutate(
    id: string,
    appliedKey: string | null,
    reservationIds: string[],
    decide: Decide,
    events: (p: PositionRecord, change: Change) => OutboundEvent[],
    extraSet?: (p: PositionRecord, change: Change) => Record<string, unknown>,
  ): Promise<Mutation> {
    const [result] = await this.mutateAll(id, appliedKey, reservationIds, [{ decide, events }], extraSet);
    return result;
  }

  /**
   * Read, decide with the pure rules, write conditionally on the version read (and the first
   * change's guards): the figures in the events staged with the write are exactly the ones it
   * produced. The steps are decided one after another, each on the figures and reservations the
   * previous ones left, and their changes written as ONE (`combine`); rejections, which move no
   * figure, are recorded with their answers after it. Writers in this process take turns per
   * position (a throughput choice: they would otherwise lose each other's compare-and-set); losing
   * the race to another replica re-reads and decides again. `reservationIds` are the reservations
   * the decisions need, read after the position is settled, so as of its version. `appliedKey` (a
   * transfer leg) goes with a single step.
   */
  private mutateAll(
    id: string,
    appliedKey: string | null,
    reservationIds: string[],
    steps: Step[],
    extraSet?: (p: PositionRecord, change: Change) => Record<string, unknown>,
  ): Promise<Mutation[]> {
    return this.repo.exclusive(id, async () => {
      const duplicates = (): Mutation[] => steps.map(() => ({ kind: 'duplicate' }));
      for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
        const cached = this.recent.get(id);
        let p = cached ?? (await this.repo.load(id));
        if (!p) return steps.map(() => ({ kind: 'missing' }));
        if (!cached && p.pendingCount > 0) {
          // What changes owed may not be written (a crash came in between): write it before deciding.
          await this.repo.settle(p);
          p = { ...p, pending: {}, pendingCount: 0 };
        }
        // Whether a reservation id was answered is read afresh every time: no stale copy can say so.
        const known: Record<string, Reservation> = { ...(await this.repo.reservationsById(reservationIds)) };
        const results: Mutation[] = [];
        const changes: Change[] = [];
        const events: OutboundEvent[] = [];
        const refusals: Array<{ reservation: ReservationRecord; events: OutboundEvent[]; step: number }> = [];
        let current: PositionRecord = p;
        for (const step of steps) {
          const outcome = step.decide(current, known);
          if (!outcome.ok) {
            results.push(outcome.refusal === 'duplicate' ? { kind: 'duplicate' } : { kind: 'refused', refusal: outcome.refusal, position: current, known: { ...known } });
            continue;
          }
          const staged = step.events(current, outcome.change);
          if (outcome.change.delta.version === 0) {
            // An answer that moves nothing (a rejection) is kept with the reservation it answers.
            const [reservation] = pendingWrites(current, outcome.change).reservations;
            refusals.push({ reservation, events: staged, step: results.length });
          } else {
            changes.push(outcome.change);
            events.push(...staged);
          }
          Object.assign(known, outcome.change.reservations);
          results.push({ kind: 'applied', change: outcome.change, position: current });
          current = { ...current, ...outcome.change.next };
        }
        if (changes.length === 0) {
          // A refusal or a rejection writes no figure, so no version check would catch a stale copy: decide on a fresh read.
          if (cached && results.some((r) => r.kind !== 'duplicate')) {
            this.recent.delete(id);
            continue;
          }
          if (appliedKey && results.some((r) => r.kind === 'refused') && (await this.repo.hasApplied(id, appliedKey))) return duplicates();
          return this.recordRefusals(refusals, results);
        }
        const change = combine(changes);
        const extra = extraSet?.(p, change) ?? {};
        // The copy in `recent` carries the entries this process wrote and has not cleared: this write clears them.
        const committed = await this.repo.commit(p, appliedKey, change, events, extra, Object.keys(p.pending));
        this.recent.delete(id);
        if (committed) {
          await this.repo.write(committed.pending);
          this.remember(id, { ...p, ...extra, ...change.next, pending: committed.pending, pendingCount: Object.keys(committed.pending).length });
          return this.recordRefusals(refusals, results);
        }
        if (appliedKey && (await this.repo.hasApplied(id, appliedKey))) return duplicates();
        if (!cached) await new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(50, 2 ** attempt)));
      }
      throw new Error(`stock position ${id} stayed contended for ${MAX_ATTEMPTS} attempts`);
    });
  }

  /** Records the run's rejections with their answers; one answered before (a redelivery) becomes a duplicate. */
  private async recordRefusals(refusals: Array<{ reservation: ReservationRecord; events: OutboundEvent[]; step: number }>, results: Mutation[]): Promise<Mutation[]> {
    const recorded = await this.repo.recordRefusals(refusals);
    for (const r of refusals) if (!recorded.has(r.reservation._id)) results[r.step] = { kind: 'duplicate' };
    return results;
  }

  /**
   * The position as this process last wrote it. Every write of a position's figures in this process
   * goes through `mutate`, under its lock, so the copy is exact unless another replica wrote since;
   * then the version check fails and the position is read afresh. Saves a full read per command on
   * a hot position.
   */
  private remember(id: string, p: PositionRecord): void {
    this.recent.delete(id);
    this.recent.set(id, p);
    if (this.recent.size > RECENT_POSITIONS) this.recent.delete(this.recent.keys().next().value as string);
  }

  private rejection(c: ReserveStockV1, reason: ReservationRejectedV1['reason'], now: Date, stock?: ReturnType<typeof stockLevel>): OutboundEvent {
    return newEvent(
      ReservationRejectedV1.type,
      {
        reservationId: c.reservationId,
        orderId: c.orderId,
        warehouseId: c.warehouseId,
        subLotId: c.subLotId,
        quantityKg: c.quantityKg,
        reason,
        ...(stock ? { stock } : {}),
        rejectedAt: now.toISOString(),
      },
      { source: SOURCE, time: now },
    );
  }

  private releasedEvents(p: PositionRecord, change: Change, now: Date): OutboundEvent[] {
    if (change.answer.kind !== 'released') return [];
    return change.answer.reservations.map((r) =>
      newEvent(
        ReservationReleasedV1.type,
        {
          ...stockItem(p, change.next),
          reservationId: r.reservationId,
          orderId: r.orderId,
          quantityKg: toKg(r.quantityG),
          reason: r.reason === 'expired' ? 'expired' : 'requested',
          releasedAt: now.toISOString(),
        },
        { source: SOURCE, time: now },
      ),
    );
  }
}

function stockView(p: PositionRecord): StockItemView {
  return {
    subLotId: p.subLotId,
    lotId: p.lotId,
    produce: p.produce,
    variety: p.variety,
    grade: p.grade,
    brand: p.brand ?? null,
    traceCode: p.traceCode,
    onHandKg: toKg(p.onHandG),
    reservedKg: toKg(p.reservedG),
    availableKg: toKg(p.availableG),
    receivedAt: p.receivedAt ? p.receivedAt.toISOString() : null,
    bestBefore: p.bestBefore.toISOString(),
    version: p.version,
  };
}

function dispatchView(d: DispatchRecord): DispatchView {
  return {
    shipmentId: d.shipmentId,
    warehouseId: d.warehouseId,
    orderId: d.orderId,
    dispatchedAt: d.dispatchedAt.toISOString(),
    items: d.items.map((i) => ({ subLotId: i.subLotId, reservationId: i.reservationId, quantityKg: toKg(i.quantityG) })),
  };
}

/** Reservations (or their ids) grouped by position. */
function byPosition(rows: Array<{ _id: string; positionId: string }>): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const r of rows) out.set(r.positionId, [...(out.get(r.positionId) ?? []), r._id]);
  return out;
}

const definedOnly = <T extends object>(o: T): Partial<T> =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined && v !== null)) as Partial<T>;
