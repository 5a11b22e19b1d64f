import fc from 'fast-check';
import {
  apply,
  type Change,
  combine,
  emptyPosition,
  guardFilter,
  guardsHold,
  invariantViolations,
  lateAnswer,
  type LedgerEntry,
  type Operation,
  type Position,
  type Reservation,
  toGrams,
  toKg,
} from './stock-position';

const T0 = Date.parse('2026-11-01T00:00:00Z');
const BEST_BEFORE = new Date(T0 + 30 * 86_400_000);
const at = (minutes: number) => new Date(T0 + minutes * 60_000);

/** Operations over a small id space, so releases, confirms and dispatches hit existing reservations. */
const operation: fc.Arbitrary<Operation> = fc.oneof(
  fc.record({ kind: fc.constant('receive' as const), quantityG: fc.integer({ min: 1, max: 50_000 }), lotId: fc.constant('LOT-1'), at: fc.constant(at(0)) }),
  fc.record({ kind: fc.constant('transfer_in' as const), quantityG: fc.integer({ min: 1, max: 20_000 }), transferId: fc.constantFrom('T1', 'T2'), at: fc.constant(at(1)) }),
  fc.record({ kind: fc.constant('transfer_out' as const), quantityG: fc.integer({ min: 1, max: 20_000 }), transferId: fc.constantFrom('T3', 'T4'), at: fc.constant(at(2)) }),
  fc.record({
    kind: fc.constant('reserve' as const),
    reservationId: fc.constantFrom('R1', 'R2', 'R3', 'R4', 'R5', 'R.6'),
    orderId: fc.constant('O1'),
    quantityG: fc.integer({ min: 1, max: 15_000 }),
    mustLastUntil: fc.integer({ min: 0, max: 40 }).map((d) => new Date(T0 + d * 86_400_000)),
    expiresAt: fc.integer({ min: 1, max: 30 }).map(at),
    at: fc.constant(at(3)),
  }),
  fc.record({ kind: fc.constant('confirm' as const), reservationId: fc.constantFrom('R1', 'R2', 'R3', 'R.6'), shipmentId: fc.constantFrom('S1', 'S2'), at: fc.constant(at(4)) }),
  fc.record({ kind: fc.constant('release' as const), reservationId: fc.constantFrom('R1', 'R2', 'R4', 'R9'), reason: fc.constant('requested' as const), at: fc.constant(at(5)) }),
  fc.record({ kind: fc.constant('expire' as const), at: fc.integer({ min: 0, max: 40 }).map(at) }),
  fc.record({ kind: fc.constant('dispatch' as const), shipmentId: fc.constantFrom('S1', 'S2', 'S3'), at: fc.constant(at(6)) }),
  fc.record({ kind: fc.constant('write_off' as const), reason: fc.constant('expired'), at: fc.constant(at(7)) }),
  fc.record({ kind: fc.constant('write_off' as const), reason: fc.constant('damaged'), quantityG: fc.integer({ min: 1, max: 5_000 }), at: fc.constant(at(7)) }),
);

interface State {
  position: Position;
  ledger: LedgerEntry[];
  /** Every reservation of the position, as the repository stores them. */
  reservations: Record<string, Reservation>;
}

function run(ops: Operation[]): State {
  let position = emptyPosition(BEST_BEFORE);
  const ledger: LedgerEntry[] = [];
  const reservations: Record<string, Reservation> = {};
  for (const op of ops) {
    const outcome = apply(position, op, reservations);
    if (!outcome.ok) continue;
    const { change } = outcome;
    // The conditions the database checks hold on the state the change was computed from.
    expect(guardsHold(position, change.guards)).toBe(true);
    expect(change.next.version).toBe(position.version + change.delta.version);
    expect(change.next.onHandG).toBe(position.onHandG + change.delta.onHandG);
    expect(change.next.availableG).toBe(position.availableG + change.delta.availableG);
    expect(change.next.reservedG).toBe(position.reservedG + change.delta.reservedG);
    // A change that moves no figure and writes no reservation would be a write for nothing.
    expect(change.delta.version === 1 || change.answer.kind === 'rejected').toBe(true);
    ledger.push(...change.entries);
    Object.assign(reservations, change.reservations);
    position = change.next;
    expect(invariantViolations(position, ledger, reservations)).toEqual([]);
  }
  return { position, ledger, reservations };
}

describe('stock position', () => {
  it('keeps on hand = available + reserved, nothing negative and the ledger summing to on hand, over any operation sequence', () => {
    fc.assert(
      fc.property(fc.array(operation, { maxLength: 60 }), (ops) => {
        run(ops);
      }),
      { numRuns: 2000 },
    );
  });

  it('conserves grams: received + transferred in − transferred out − dispatched − written off = on hand', () => {
    fc.assert(
      fc.property(fc.array(operation, { maxLength: 60 }), (ops) => {
        const { position, ledger } = run(ops);
        const by = (k: LedgerEntry['kind']) => ledger.filter((e) => e.kind === k).reduce((s, e) => s + e.quantityG, 0);
        expect(by('received') + by('transfer_in') - by('transfer_out') - by('dispatched') - by('written_off')).toBe(position.onHandG);
        expect(by('reserved') - by('released') - by('dispatched')).toBe(position.reservedG);
      }),
      { numRuns: 500 },
    );
  });

  it('answers a reservation id once: a second reserve, release or confirm changes nothing', () => {
    fc.assert(
      fc.property(fc.array(operation, { maxLength: 40 }), operation, (ops, op) => {
        const { position, reservations } = run(ops);
        const first = apply(position, op, reservations);
        if (!first.ok || !['reserve', 'release', 'confirm', 'expire', 'dispatch'].includes(op.kind)) return;
        expect(apply(first.change.next, op, { ...reservations, ...first.change.reservations }).ok).toBe(false);
      }),
      { numRuns: 500 },
    );
  });

  it('never reserves more than is available, nor stock that will not last', () => {
    const p = apply(emptyPosition(BEST_BEFORE), { kind: 'receive', quantityG: 10_000, lotId: 'L', at: at(0) });
    if (!p.ok) throw new Error('receive refused');
    const base = { kind: 'reserve' as const, orderId: 'O', expiresAt: at(15), at: at(1) };
    const tooMuch = apply(p.change.next, { ...base, reservationId: 'A', quantityG: 10_001, mustLastUntil: at(0) });
    expect(tooMuch.ok && tooMuch.change.answer).toMatchObject({ kind: 'rejected', reason: 'insufficient_stock' });
    const tooLate = apply(p.change.next, { ...base, reservationId: 'B', quantityG: 1, mustLastUntil: new Date(BEST_BEFORE.getTime() + 1) });
    expect(tooLate.ok && tooLate.change.answer).toMatchObject({ kind: 'rejected', reason: 'expires_too_soon' });
    const exact = apply(p.change.next, { ...base, reservationId: 'C', quantityG: 10_000, mustLastUntil: BEST_BEFORE });
    expect(exact.ok && exact.change.next).toMatchObject({ availableG: 0, reservedG: 10_000, onHandG: 10_000 });
  });

  it('expires only held reservations whose time has come, and confirmed ones never', () => {
    let p = emptyPosition(BEST_BEFORE);
    const known: Record<string, Reservation> = {};
    const step = (op: Operation) => {
      const o = apply(p, op, known);
      if (!o.ok) throw new Error(`${op.kind} refused: ${o.refusal}`);
      p = o.change.next;
      Object.assign(known, o.change.reservations);
      return o.change;
    };
    step({ kind: 'receive', quantityG: 5000, lotId: 'L', at: at(0) });
    const r = { kind: 'reserve' as const, orderId: 'O', quantityG: 1000, mustLastUntil: at(0), at: at(1) };
    step({ ...r, reservationId: 'A', expiresAt: at(10) });
    step({ ...r, reservationId: 'B', expiresAt: at(20) });
    step({ ...r, reservationId: 'C', expiresAt: at(5) });
    step({ kind: 'confirm', reservationId: 'C', shipmentId: 'S', at: at(2) });
    expect(apply(p, { kind: 'expire', at: at(9) }, known)).toEqual({ ok: false, refusal: 'nothing_to_do' });
    const expired = step({ kind: 'expire', at: at(15) });
    expect(expired.answer).toMatchObject({ kind: 'released', reservations: [{ reservationId: 'A', reason: 'expired' }] });
    expect(p).toMatchObject({ reservedG: 2000, availableG: 3000 });
    expect(Object.values(known).filter((r) => r.status === 'held').map((r) => r.reservationId)).toEqual(['B']);
    const sent = step({ kind: 'dispatch', shipmentId: 'S', at: at(16) });
    expect(sent.entries).toMatchObject([{ kind: 'dispatched', quantityG: 1000, reservationId: 'C', shipmentId: 'S' }]);
    expect(p).toMatchObject({ onHandG: 4000, reservedG: 1000, availableG: 3000 });
  });

  it('answers a confirmation that comes after the reservation lapsed, and a release that comes after its stock left', () => {
    let p = emptyPosition(BEST_BEFORE);
    const known: Record<string, Reservation> = {};
    const step = (op: Operation) => {
      const o = apply(p, op, known);
      if (o.ok) {
        p = o.change.next;
        Object.assign(known, o.change.reservations);
      }
      return o;
    };
    step({ kind: 'receive', quantityG: 5000, lotId: 'L', at: at(0) });
    const r = { kind: 'reserve' as const, orderId: 'O', quantityG: 1000, mustLastUntil: at(0), at: at(1) };
    step({ ...r, reservationId: 'LATE', expiresAt: at(10) });
    step({ ...r, reservationId: 'GONE', expiresAt: at(10) });
    step({ kind: 'confirm', reservationId: 'GONE', shipmentId: 'S', at: at(2) });
    step({ kind: 'expire', at: at(15) });
    step({ kind: 'dispatch', shipmentId: 'S', at: at(16) });

    // The confirmation of the lapsed one changes nothing, and is answered "lapsed", not only logged.
    expect(step({ kind: 'confirm', reservationId: 'LATE', shipmentId: 'S', at: at(17) })).toEqual({ ok: false, refusal: 'unknown_reservation' });
    expect(lateAnswer('confirm', known['LATE'])).toMatchObject({ kind: 'lapsed', reservation: { reservationId: 'LATE', status: 'released', reason: 'expired' } });
    // The release of the dispatched one releases nothing, and is refused: the cancel it serves lost.
    expect(step({ kind: 'release', reservationId: 'GONE', reason: 'requested', at: at(18) })).toEqual({ ok: false, refusal: 'nothing_to_do' });
    expect(lateAnswer('release', known['GONE'])).toMatchObject({ kind: 'release_refused', reservation: { reservationId: 'GONE', status: 'dispatched' } });
    // Nothing to say otherwise: a release of a released one, a confirmation of a confirmed or dispatched one, an unknown id.
    expect(lateAnswer('release', known['LATE'])).toBeNull();
    expect(lateAnswer('confirm', known['GONE'])).toBeNull();
    expect(lateAnswer('confirm', undefined)).toBeNull();
  });

  it('combines a run of changes into one that leaves exactly what applying them one by one leaves', () => {
    fc.assert(
      fc.property(fc.array(operation, { minLength: 1, maxLength: 30 }), (ops) => {
        const start = run(ops.slice(0, Math.floor(ops.length / 2)));
        let position = start.position;
        const known: Record<string, Reservation> = { ...start.reservations };
        const changes: Change[] = [];
        for (const op of ops.slice(Math.floor(ops.length / 2))) {
          const outcome = apply(position, op, known);
          if (!outcome.ok || outcome.change.delta.version === 0) continue;
          changes.push(outcome.change);
          Object.assign(known, outcome.change.reservations);
          position = outcome.change.next;
        }
        if (changes.length === 0) return;
        const one = combine(changes);
        expect(one.next).toEqual(position);
        expect(one.delta).toEqual({
          onHandG: position.onHandG - start.position.onHandG,
          reservedG: position.reservedG - start.position.reservedG,
          availableG: position.availableG - start.position.availableG,
          version: position.version - start.position.version,
        });
        expect({ ...start.reservations, ...one.reservations }).toEqual(known);
        expect(invariantViolations(position, [...start.ledger, ...one.entries], known)).toEqual([]);
        expect(guardsHold(start.position, one.guards)).toBe(true);
      }),
    );
  });

  it('turns guards into a FerretDB-safe filter', () => {
    expect(
      guardFilter([
        { kind: 'atLeast', field: 'availableG', value: 5 },
        { kind: 'atLeast', field: 'availableG', value: 9 },
        { kind: 'bestBeforeAtLeast', value: BEST_BEFORE },
        { kind: 'atLeast', field: 'reservedG', value: 2 },
      ]),
    ).toEqual({
      availableG: { $gte: 9 },
      bestBefore: { $gte: BEST_BEFORE },
      reservedG: { $gte: 2 },
    });
  });

  it('converts kilograms to grams exactly', () => {
    expect(toGrams(1234.567)).toBe(1_234_567);
    expect(toGrams(0.001)).toBe(1);
    expect(toKg(toGrams(0.1) + toGrams(0.2))).toBe(0.3);
  });
});
