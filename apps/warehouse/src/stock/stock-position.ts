/**
 * The stock position of one sub-lot at one warehouse, as plain data, and the only way it changes:
 * `apply(position, operation, known)` → the next figures, the reservations it writes, the ledger
 * entries that explain the change and the guards the stored figures must still satisfy for the
 * change to be valid — or a refusal. `known` holds the position's reservations the operation may
 * touch, as stored (they live in documents of their own: see stock.repository.ts).
 *
 * No Nest, no Mongo, no Kafka here. The repository turns a change into ONE conditional update of
 * the position (`guardFilter` + version + counter deltas), so the rule that decides and the write
 * that enforces it are the same code, and the invariants are tested over random operation sequences.
 *
 * Every quantity is an integer number of grams: sums and differences conserve exactly.
 */

export const toGrams = (kg: number): number => Math.round(kg * 1000);
export const toKg = (grams: number): number => grams / 1000;

export const RESERVATION_STATUSES = ['held', 'confirmed', 'released', 'dispatched', 'rejected'] as const;
export type ReservationStatus = (typeof RESERVATION_STATUSES)[number];

export const REJECTION_REASONS = ['insufficient_stock', 'unknown_stock', 'expires_too_soon'] as const;
export type RejectionReason = (typeof REJECTION_REASONS)[number];

export interface Reservation {
  reservationId: string;
  orderId: string;
  quantityG: number;
  status: ReservationStatus;
  /** When the reservation was answered (reserved or rejected). */
  at: Date;
  /** Held reservations lapse at this time unless confirmed; null once confirmed or closed. */
  expiresAt: Date | null;
  shipmentId: string | null;
  closedAt: Date | null;
  /** Why it was rejected or released. */
  reason: string | null;
}

export const LEDGER_KINDS = ['received', 'transfer_out', 'transfer_in', 'reserved', 'released', 'dispatched', 'written_off'] as const;
export type LedgerKind = (typeof LEDGER_KINDS)[number];

/** One append-only stock movement. Σ onHandDeltaG over a position's ledger = its on-hand grams. */
export interface LedgerEntry {
  kind: LedgerKind;
  /** The amount moved (positive). */
  quantityG: number;
  onHandDeltaG: number;
  reservedDeltaG: number;
  /** The position's figures and version right after this movement. */
  onHandG: number;
  reservedG: number;
  version: number;
  at: Date;
  reason?: string;
  lotId?: string;
  reservationId?: string;
  orderId?: string;
  transferId?: string;
  shipmentId?: string;
}

/** The figures of a position. Its reservations are not part of it: they are looked up by id. */
export interface Position {
  onHandG: number;
  reservedG: number;
  /** Kept stored (not derived) so a conditional update can test it: FerretDB has no `$expr`. */
  availableG: number;
  /**
   * Increments on every change, reservation status changes included, so read models keep the
   * newest figures and a write computed from an older read of the position or its reservations fails.
   */
  version: number;
  bestBefore: Date;
}

/** Reservations of one position by reservation id. */
export type Reservations = Readonly<Record<string, Reservation>>;

export type Operation =
  | { kind: 'receive'; quantityG: number; lotId: string; at: Date }
  | { kind: 'transfer_in'; quantityG: number; transferId: string; at: Date }
  | { kind: 'transfer_out'; quantityG: number; transferId: string; at: Date }
  | { kind: 'reserve'; reservationId: string; orderId: string; quantityG: number; mustLastUntil: Date; expiresAt: Date; at: Date }
  | { kind: 'confirm'; reservationId: string; shipmentId: string; at: Date }
  | { kind: 'release'; reservationId: string; reason: 'requested' | 'expired'; at: Date }
  /** Releases every held reservation whose time has come. */
  | { kind: 'expire'; at: Date }
  /** The confirmed reservations of a shipment leave the warehouse. */
  | { kind: 'dispatch'; shipmentId: string; at: Date }
  /** Writes off what is available (all of it unless a quantity is given). */
  | { kind: 'write_off'; reason: string; quantityG?: number; at: Date };

/**
 * Conditions the stored figures must meet for a change computed from a read of them to hold. What a
 * change assumes about reservations is covered by the version: every reservation change moves it.
 */
export type Guard =
  | { kind: 'atLeast'; field: 'onHandG' | 'reservedG' | 'availableG'; value: number }
  | { kind: 'below'; field: 'availableG'; value: number }
  | { kind: 'bestBeforeAtLeast'; value: Date }
  | { kind: 'bestBeforeBelow'; value: Date };

export type Answer =
  | { kind: 'reserved'; reservation: Reservation }
  | { kind: 'rejected'; reservation: Reservation; reason: RejectionReason }
  | { kind: 'released'; reservations: Reservation[] }
  | { kind: 'dispatched'; reservations: Reservation[] }
  | { kind: 'moved'; quantityG: number }
  | { kind: 'confirmed'; reservation: Reservation };

export interface Change {
  next: Position;
  /** Counter deltas, applied with `$inc`. */
  delta: { onHandG: number; reservedG: number; availableG: number; version: number };
  /** Reservations written by this change, by id. */
  reservations: Record<string, Reservation>;
  entries: LedgerEntry[];
  guards: Guard[];
  answer: Answer;
}

export type Refusal =
  /** The same reservation id was answered before: a duplicate command gets no second answer. */
  | 'duplicate'
  | 'insufficient_stock'
  | 'unknown_reservation'
  /** Nothing to change: releasing a released reservation, no expired holds, nothing available to write off. */
  | 'nothing_to_do'
  | 'invalid_quantity';

export type Outcome = { ok: true; change: Change } | { ok: false; refusal: Refusal };

/** A position before anything was received. */
export const emptyPosition = (bestBefore: Date): Position => ({ onHandG: 0, reservedG: 0, availableG: 0, version: 0, bestBefore });

export function apply(p: Position, op: Operation, known: Reservations = {}): Outcome {
  switch (op.kind) {
    case 'receive':
    case 'transfer_in': {
      if (!validQuantity(op.quantityG)) return refuse('invalid_quantity');
      const ref = op.kind === 'receive' ? { lotId: op.lotId } : { transferId: op.transferId };
      return change(p, op.at, { onHandG: op.quantityG, reservedG: 0 }, [], {}, [{ kind: op.kind === 'receive' ? 'received' : 'transfer_in', quantityG: op.quantityG, onHandDeltaG: op.quantityG, reservedDeltaG: 0, ...ref }], { kind: 'moved', quantityG: op.quantityG });
    }
    case 'transfer_out': {
      if (!validQuantity(op.quantityG)) return refuse('invalid_quantity');
      if (p.availableG < op.quantityG) return refuse('insufficient_stock');
      return change(
        p,
        op.at,
        { onHandG: -op.quantityG, reservedG: 0 },
        [{ kind: 'atLeast', field: 'availableG', value: op.quantityG }],
        {},
        [{ kind: 'transfer_out', quantityG: op.quantityG, onHandDeltaG: -op.quantityG, reservedDeltaG: 0, transferId: op.transferId }],
        { kind: 'moved', quantityG: op.quantityG },
      );
    }
    case 'reserve':
      return reserve(p, op, known);
    case 'confirm': {
      const r = known[op.reservationId];
      if (!r || (r.status !== 'held' && r.status !== 'confirmed')) return refuse('unknown_reservation');
      if (r.status === 'confirmed') return refuse('nothing_to_do');
      const confirmed: Reservation = { ...r, status: 'confirmed', shipmentId: op.shipmentId, expiresAt: null };
      return change(p, op.at, { onHandG: 0, reservedG: 0 }, [], { [r.reservationId]: confirmed }, [], { kind: 'confirmed', reservation: confirmed });
    }
    case 'release': {
      const r = known[op.reservationId];
      if (!r) return refuse('unknown_reservation');
      if (r.status !== 'held' && r.status !== 'confirmed') return refuse('nothing_to_do');
      return releaseAll(p, op.at, [r], op.reason);
    }
    case 'expire': {
      const due = Object.values(known).filter((r) => r.status === 'held' && r.expiresAt !== null && r.expiresAt.getTime() <= op.at.getTime());
      if (due.length === 0) return refuse('nothing_to_do');
      return releaseAll(p, op.at, due, 'expired');
    }
    case 'dispatch': {
      const leaving = Object.values(known).filter((r) => r.status === 'confirmed' && r.shipmentId === op.shipmentId);
      if (leaving.length === 0) return refuse('nothing_to_do');
      const total = sum(leaving.map((r) => r.quantityG));
      const written: Record<string, Reservation> = {};
      const guards: Guard[] = [
        { kind: 'atLeast', field: 'reservedG', value: total },
        { kind: 'atLeast', field: 'onHandG', value: total },
      ];
      const entries: EntryDraft[] = [];
      for (const r of leaving) {
        written[r.reservationId] = { ...r, status: 'dispatched', closedAt: op.at };
        entries.push({
          kind: 'dispatched',
          quantityG: r.quantityG,
          onHandDeltaG: -r.quantityG,
          reservedDeltaG: -r.quantityG,
          reservationId: r.reservationId,
          orderId: r.orderId,
          shipmentId: op.shipmentId,
        });
      }
      return change(p, op.at, { onHandG: -total, reservedG: -total }, guards, written, entries, {
        kind: 'dispatched',
        reservations: Object.values(written),
      });
    }
    case 'write_off': {
      const q = op.quantityG ?? p.availableG;
      if (q === 0 && op.quantityG === undefined) return refuse('nothing_to_do');
      if (!validQuantity(q)) return refuse('invalid_quantity');
      if (p.availableG < q) return refuse('insufficient_stock');
      return change(
        p,
        op.at,
        { onHandG: -q, reservedG: 0 },
        [{ kind: 'atLeast', field: 'availableG', value: q }],
        {},
        [{ kind: 'written_off', quantityG: q, onHandDeltaG: -q, reservedDeltaG: 0, reason: op.reason }],
        { kind: 'moved', quantityG: q },
      );
    }
  }
}

function reserve(p: Position, op: Extract<Operation, { kind: 'reserve' }>, known: Reservations): Outcome {
  const key = op.reservationId;
  if (known[key]) return refuse('duplicate');
  if (!validQuantity(op.quantityG)) return refuse('invalid_quantity');
  const base = { reservationId: op.reservationId, orderId: op.orderId, quantityG: op.quantityG, at: op.at, shipmentId: null };
  // A rejection is an answer too: it is recorded (without touching any figure) so that the same
  // reservation id is never answered twice, with the condition that justified it.
  const reject = (reason: RejectionReason, guard: Guard): Outcome => {
    const rejected: Reservation = { ...base, status: 'rejected', expiresAt: null, closedAt: op.at, reason };
    return {
      ok: true,
      change: {
        next: p,
        delta: { onHandG: 0, reservedG: 0, availableG: 0, version: 0 },
        reservations: { [key]: rejected },
        entries: [],
        guards: [guard],
        answer: { kind: 'rejected', reservation: rejected, reason },
      },
    };
  };
  if (p.bestBefore.getTime() < op.mustLastUntil.getTime()) {
    return reject('expires_too_soon', { kind: 'bestBeforeBelow', value: op.mustLastUntil });
  }
  if (p.availableG < op.quantityG) return reject('insufficient_stock', { kind: 'below', field: 'availableG', value: op.quantityG });
  const held: Reservation = { ...base, status: 'held', expiresAt: op.expiresAt, closedAt: null, reason: null };
  return change(
    p,
    op.at,
    { onHandG: 0, reservedG: op.quantityG },
    [
      { kind: 'atLeast', field: 'availableG', value: op.quantityG },
      { kind: 'bestBeforeAtLeast', value: op.mustLastUntil },
    ],
    { [key]: held },
    [{ kind: 'reserved', quantityG: op.quantityG, onHandDeltaG: 0, reservedDeltaG: op.quantityG, reservationId: op.reservationId, orderId: op.orderId }],
    { kind: 'reserved', reservation: held },
  );
}

function releaseAll(p: Position, at: Date, items: Reservation[], reason: 'requested' | 'expired'): Outcome {
  const total = sum(items.map((r) => r.quantityG));
  const written: Record<string, Reservation> = {};
  const guards: Guard[] = [{ kind: 'atLeast', field: 'reservedG', value: total }];
  const entries: EntryDraft[] = [];
  for (const r of items) {
    written[r.reservationId] = { ...r, status: 'released', expiresAt: null, closedAt: at, reason };
    entries.push({
      kind: 'released',
      quantityG: r.quantityG,
      onHandDeltaG: 0,
      reservedDeltaG: -r.quantityG,
      reason,
      reservationId: r.reservationId,
      orderId: r.orderId,
    });
  }
  return change(p, at, { onHandG: 0, reservedG: -total }, guards, written, entries, { kind: 'released', reservations: Object.values(written) });
}

type EntryDraft = Omit<LedgerEntry, 'onHandG' | 'reservedG' | 'version' | 'at'>;

/** Applies counter deltas and reservation writes, numbering the ledger entries with the new figures. */
function change(
  p: Position,
  at: Date,
  d: { onHandG: number; reservedG: number },
  guards: Guard[],
  written: Record<string, Reservation>,
  drafts: EntryDraft[],
  answer: Answer,
): Outcome {
  const next: Position = {
    onHandG: p.onHandG + d.onHandG,
    reservedG: p.reservedG + d.reservedG,
    availableG: p.availableG + d.onHandG - d.reservedG,
    version: p.version + 1,
    bestBefore: p.bestBefore,
  };
  let onHandG = p.onHandG;
  let reservedG = p.reservedG;
  const entries = drafts.map((e): LedgerEntry => {
    onHandG += e.onHandDeltaG;
    reservedG += e.reservedDeltaG;
    return { ...e, onHandG, reservedG, version: next.version, at };
  });
  return {
    ok: true,
    change: {
      next,
      delta: { onHandG: d.onHandG, reservedG: d.reservedG, availableG: d.onHandG - d.reservedG, version: 1 },
      reservations: written,
      entries,
      guards,
      answer,
    },
  };
}

/**
 * What a command about a reservation that is no longer open is answered, when "nothing changed"
 * would leave its sender wrong: a confirmation of a reservation released meanwhile (it lapsed, or
 * was given back) is told so — the order it was for does not hold that stock; a release of a
 * reservation whose stock has left is refused — a cancellation must not believe it won. Any other
 * closed reservation needs no answer (a release of one released already: its sender heard of that).
 */
export type LateAnswer = { kind: 'lapsed'; reservation: Reservation } | { kind: 'release_refused'; reservation: Reservation };

export function lateAnswer(command: 'confirm' | 'release', r: Reservation | undefined): LateAnswer | null {
  if (command === 'confirm' && r?.status === 'released') return { kind: 'lapsed', reservation: r };
  if (command === 'release' && r?.status === 'dispatched') return { kind: 'release_refused', reservation: r };
  return null;
}

/**
 * Changes applied one after another, each to the figures the previous one left, as ONE change of
 * the position they started from: what a run of commands for one position writes at once. The
 * figures and counters are the last ones and the sums; reservations keep their last state; the
 * ledger keeps every movement. The guards are the first change's: each later change was decided on
 * figures the earlier ones produced, so the write's version check (the run started from exactly
 * the figures read) covers them.
 */
export function combine(changes: readonly Change[]): Change {
  if (changes.length === 0) throw new Error('combine needs at least one change');
  const delta = { onHandG: 0, reservedG: 0, availableG: 0, version: 0 };
  for (const c of changes) for (const k of Object.keys(delta) as Array<keyof typeof delta>) delta[k] += c.delta[k];
  const last = changes[changes.length - 1];
  return {
    next: last.next,
    delta,
    reservations: Object.assign({}, ...changes.map((c) => c.reservations)) as Record<string, Reservation>,
    entries: changes.flatMap((c) => c.entries),
    guards: changes[0].guards,
    answer: last.answer,
  };
}

/** Whether a stored position meets the guards (what the database checks, evaluated in memory). */
export function guardsHold(p: Position, guards: Guard[]): boolean {
  return guards.every((g) => {
    switch (g.kind) {
      case 'atLeast':
        return p[g.field] >= g.value;
      case 'below':
        return p[g.field] < g.value;
      case 'bestBeforeAtLeast':
        return p.bestBefore.getTime() >= g.value.getTime();
      case 'bestBeforeBelow':
        return p.bestBefore.getTime() < g.value.getTime();
    }
  });
}

/** The same guards as a MongoDB filter (plain data; FerretDB-safe operators only). */
export function guardFilter(guards: Guard[]): Record<string, unknown> {
  const filter: Record<string, Record<string, unknown>> = {};
  const add = (path: string, op: string, value: unknown) => (filter[path] = { ...filter[path], [op]: value });
  for (const g of guards) {
    switch (g.kind) {
      case 'atLeast':
        add(g.field, '$gte', Math.max(g.value, (filter[g.field]?.['$gte'] as number | undefined) ?? g.value));
        break;
      case 'below':
        add(g.field, '$lt', g.value);
        break;
      case 'bestBeforeAtLeast':
        add('bestBefore', '$gte', g.value);
        break;
      case 'bestBeforeBelow':
        add('bestBefore', '$lt', g.value);
        break;
    }
  }
  return filter;
}

/** The invariants every position keeps; returns what is broken (empty when all hold). */
export function invariantViolations(p: Position, ledger: LedgerEntry[], reservations: Reservations): string[] {
  const broken: string[] = [];
  if (p.onHandG !== p.availableG + p.reservedG) broken.push('onHand ≠ available + reserved');
  if (p.onHandG < 0 || p.reservedG < 0 || p.availableG < 0) broken.push('a figure is negative');
  if (sum(ledger.map((e) => e.onHandDeltaG)) !== p.onHandG) broken.push('ledger does not sum to on hand');
  if (sum(ledger.map((e) => e.reservedDeltaG)) !== p.reservedG) broken.push('ledger does not sum to reserved');
  const holding = Object.values(reservations).filter((r) => r.status === 'held' || r.status === 'confirmed');
  if (sum(holding.map((r) => r.quantityG)) !== p.reservedG) broken.push('reserved ≠ Σ open reservations');
  return broken;
}

const validQuantity = (g: number) => Number.isSafeInteger(g) && g > 0;
const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
const refuse = (refusal: Refusal): Outcome => ({ ok: false, refusal });
