import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import type { FilterQuery, Model } from 'mongoose';
import type { OutboundEvent } from '@firstmile/messaging';
import { randomUUID } from 'node:crypto';
import { GroupCommit, initialOutbox, outboxSignal, storedEvents, withEvents } from '@firstmile/persistence';
import { newestFirst, type Page } from '@firstmile/http';
import { Order, type OrderStatus } from './order.schema';

export type OrderRecord = Omit<Order, 'outbox' | 'outboxSize'>;

/** What a saga step decides: the fields it changes and the commands and events it causes. */
export interface OrderChange {
  set: Partial<Record<string, unknown>>;
  events: OutboundEvent[];
}

const HIDDEN = { outbox: 0, outboxSize: 0 } as const;
/**
 * What a saga step reads: the order with its outbox, so that its write can hand the relay the
 * outbox it leaves (see `writeAll`). The store reads the whole document either way.
 */
const SAGA = { outboxSize: 0 } as const;
/** An order as a saga step read it: with the outbox it had then. */
type SagaRead = OrderRecord & { outbox?: OutboundEvent[] };
const NEWEST = newestFirst<OrderRecord>('placedAt');
const MAX_CONFLICTS = 20;
/** Statements per bulk write: FerretDB 1.24 deadlocks on update commands of ~100 statements (see the outbox relay). */
const BULK_CHUNK = 25;

@Injectable()
export class OrdersRepository {
  /** Concurrent creates share one insertMany; each answers for its own document (see GroupCommit). */
  private readonly creates: GroupCommit;

  constructor(@InjectModel(Order.name) private readonly model: Model<Order>) {
    this.creates = new GroupCommit(model);
  }

  /**
   * The order and its order.placed event, in one write; false when an order with its id exists. Resolves once the
   * order is durable, written together with the other creates of the same few milliseconds.
   */
  async insert(order: OrderRecord, events: OutboundEvent[]): Promise<boolean> {
    return this.creates.insert({ ...order, ...initialOutbox(events) });
  }

  findById(id: string): Promise<OrderRecord | null> {
    return this.model.findById(id, HIDDEN).lean<OrderRecord>().exec();
  }

  /** The orders among `ids` that exist, in one read, for a saga step (see `SAGA`). */
  findMany(ids: readonly string[]): Promise<OrderRecord[]> {
    if (ids.length === 0) return Promise.resolve([]);
    return this.model.find({ _id: { $in: [...new Set(ids)] } }, SAGA).lean<SagaRead[]>().exec();
  }

  /** A page of orders, newest first, matching every criterion given; see `Page`. */
  async page(where: { buyerId?: string; status?: OrderStatus; channel?: string }, cursor: string | undefined, limit: number): Promise<Page<OrderRecord>> {
    const filter: FilterQuery<Order> = { ...NEWEST.after(cursor) };
    if (where.buyerId) filter.buyerId = where.buyerId;
    if (where.status) filter.status = where.status;
    if (where.channel) filter.channel = where.channel;
    return NEWEST.page(await this.model.find(filter, HIDDEN).sort(NEWEST.sort).limit(limit + 1).lean<OrderRecord[]>().exec(), limit);
  }

  /** Backordered orders (of any of this produce, when given), longest waiting first. */
  async backordered(limit: number, produce?: readonly string[]): Promise<string[]> {
    const filter: FilterQuery<Order> = { status: 'backordered', ...(produce ? { 'lines.produce': { $in: [...produce] } } : {}) };
    const rows = await this.model.find(filter, { _id: 1 }).sort({ placedAt: 1 }).limit(limit).lean<Array<{ _id: string }>>().exec();
    return rows.map((r) => r._id);
  }

  /**
   * Read, decide, write if nobody wrote in between; otherwise read again. `decide` returns null
   * when the order needs no change (already applied, not its business) and may throw to refuse.
   * Returns whether this call changed the order.
   */
  async transition(id: string, decide: (order: OrderRecord) => OrderChange | null | Promise<OrderChange | null>): Promise<boolean> {
    for (let i = 0; i < MAX_CONFLICTS; i++) {
      const order = await this.model.findById(id, SAGA).lean<SagaRead>().exec();
      if (!order) return false;
      const change = await decide(order);
      if (!change) return false;
      if (await this.write(order, change)) return true;
    }
    throw new Error(`order ${id}: gave up after ${MAX_CONFLICTS} concurrent write conflicts`);
  }

  /**
   * Answers of a batch, each decided on its order: the orders are read at once, and an order's
   * answers decided in turn, each on the order as the ones before it left it (what `transition`
   * one at a time would do), into one change; the changes go in one bulk write. An order that
   * changed in between takes its answers one at a time (`transition`), and so does one whose
   * answers' changes cannot be one `$set` (a field and a field inside it). `decide` returns null
   * when the answer changes nothing, and may throw to refuse: that answer fails, the others stand.
   * Returns the answers that failed and those that changed their order.
   */
  async decideAll<T>(
    answers: readonly T[],
    orderOf: (answer: T) => string,
    decide: (order: OrderRecord, answer: T) => OrderChange | null | Promise<OrderChange | null>,
  ): Promise<{ failed: Map<T, unknown>; changed: Set<T> }> {
    const byOrder = new Map<string, T[]>();
    for (const a of answers) byOrder.set(orderOf(a), [...(byOrder.get(orderOf(a)) ?? []), a]);
    const orders = new Map((await this.findMany([...byOrder.keys()])).map((o) => [o._id, o]));
    const failed = new Map<T, unknown>();
    const decided: Array<{ order: OrderRecord; change: OrderChange; answers: T[]; changing: T[] }> = [];
    const oneByOne: T[] = [];
    for (const [orderId, mine] of byOrder) {
      const o = orders.get(orderId);
      if (!o) continue;
      const folded = await inTurn(o, mine, decide, failed);
      if (folded === 'apart') oneByOne.push(...mine);
      else if (folded) decided.push({ order: o, ...folded, answers: mine });
    }
    const written = await this.writeAll(decided);
    const changed = new Set(decided.filter((_, i) => written[i]).flatMap((d) => d.changing));
    oneByOne.push(...decided.filter((_, i) => !written[i]).flatMap((d) => d.answers));
    for (const a of oneByOne) {
      failed.delete(a);
      await this.transition(orderOf(a), (o) => decide(o, a)).then(
        (done) => done && changed.add(a),
        (err: unknown) => failed.set(a, err),
      );
    }
    return { failed, changed };
  }

  /** Applies a change decided on `order` if nobody wrote the order since it was read. */
  async write(order: OrderRecord, change: OrderChange): Promise<boolean> {
    const [written] = await this.writeAll([{ order, change }]);
    return written;
  }

  /**
   * Applies each change decided on its order if nobody wrote that order since it was read, in one
   * bulk write; answers which were applied. Each write leaves its own token in the order, so when
   * some lost their race one read tells which.
   *
   * The relay hears of the written orders that staged events with the outbox each now holds: the
   * one read with the order, then the new events. Every write of an order is conditional on the
   * revision it read and the relay's pulls only remove entries, so that is the outbox less what
   * was pulled since (which the relay knows it published) — it need not read the order back.
   */
  async writeAll(changes: ReadonlyArray<{ order: OrderRecord; change: OrderChange }>): Promise<boolean[]> {
    if (changes.length === 0) return [];
    const now = new Date();
    const tokens = changes.map(() => randomUUID());
    // The chunks go at once: each statement locks only its own order in the store.
    const chunks: number[] = [];
    for (let i = 0; i < changes.length; i += BULK_CHUNK) chunks.push(i);
    const settled = await Promise.allSettled(
      chunks.map((i) =>
        this.model.bulkWrite(
          changes.slice(i, i + BULK_CHUNK).map(({ order, change }, j) => ({
            updateOne: {
              filter: { _id: order._id, rev: order.rev },
              update: withEvents<Order>({ $set: { ...change.set, updatedAt: now, writeToken: tokens[i + j] }, $inc: { rev: 1 } }, change.events) as never,
            },
          })),
          { ordered: false },
        ),
      ),
    );
    const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) {
      // Some chunks may have been written: the relay reads those orders rather than wait for its scan.
      const ids = changes.filter((c) => c.change.events.length > 0).map((c) => c.order._id);
      if (ids.length > 0) outboxSignal.emit('staged', this.model.collection.collectionName, ids);
      throw failed.reason;
    }
    const modified = settled.reduce((n, r) => n + (r.status === 'fulfilled' ? r.value.modifiedCount : 0), 0);
    let written = changes.map(() => true);
    if (modified !== changes.length) {
      const stored = new Map(
        (await this.model.find({ _id: { $in: changes.map((c) => c.order._id) } }, { writeToken: 1 }).lean<Array<{ _id: string; writeToken?: string }>>().exec()).map((d) => [d._id, d.writeToken]),
      );
      written = changes.map((c, i) => stored.get(c.order._id) === tokens[i]);
    }
    // A bulk write runs no update middleware: the relay hears of the staged events here.
    const staged = changes.filter((c, i) => written[i] && c.change.events.length > 0);
    if (staged.length > 0) {
      outboxSignal.emit(
        'staged',
        this.model.collection.collectionName,
        staged.map((c) => c.order._id),
        staged.map(({ order, change }) => {
          const before = (order as SagaRead).outbox;
          return before ? [...before, ...storedEvents(this.model, change.events)] : undefined;
        }),
      );
    }
    return written;
  }
}

/**
 * One order's answers decided in turn, each on the order as the ones before it left it, as one
 * change and the answers that changed something; null when none did; 'apart' when the changes
 * cannot be one `$set` (one sets a field another sets a field inside of). An answer whose
 * decision throws is set in `failed` and changes nothing.
 */
async function inTurn<T>(
  o: OrderRecord,
  answers: readonly T[],
  decide: (order: OrderRecord, answer: T) => OrderChange | null | Promise<OrderChange | null>,
  failed: Map<T, unknown>,
): Promise<{ change: OrderChange; changing: T[] } | null | 'apart'> {
  let order = o;
  const change: OrderChange = { set: {}, events: [] };
  const changing: T[] = [];
  for (const answer of answers) {
    let next: OrderChange | null;
    try {
      next = await decide(order, answer);
    } catch (err) {
      failed.set(answer, err);
      continue;
    }
    if (!next) continue;
    changing.push(answer);
    Object.assign(change.set, next.set);
    change.events.push(...next.events);
    order = withSet(order, next.set);
  }
  if (changing.length === 0) return null;
  const paths = Object.keys(change.set);
  if (paths.some((p) => paths.some((q) => q.startsWith(`${p}.`)))) return 'apart';
  return { change, changing };
}

/** The order as a `$set` of these fields (dotted paths into sub-documents) leaves it. */
function withSet(o: OrderRecord, set: OrderChange['set']): OrderRecord {
  const next = structuredClone(o) as unknown as Record<string, unknown>;
  for (const [path, value] of Object.entries(set)) {
    const keys = path.split('.');
    let at = next;
    for (const k of keys.slice(0, -1)) at = (at[k] ??= {}) as Record<string, unknown>;
    at[keys[keys.length - 1]] = value;
  }
  return next as unknown as OrderRecord;
}
