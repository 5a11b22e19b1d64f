import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import type { FilterQuery, Model, UpdateQuery } from 'mongoose';
import type { OutboundEvent } from '@firstmile/messaging';
import { GroupCommit, initialOutbox, withEvents } from '@firstmile/persistence';
import { Order } from './order.schema';

export type OrderRecord = Omit<Order, 'outbox' | 'outboxSize'>;

/** What a saga step decides: the fields it changes and the commands and events it causes. */
export interface OrderChange {
  set: Partial<Record<string, unknown>>;
  events: OutboundEvent[];
}

const HIDDEN = { outbox: 0, outboxSize: 0 } as const;
const MAX_CONFLICTS = 20;

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

  find(filter: FilterQuery<Order>, sort: Record<string, 1 | -1>, limit: number): Promise<OrderRecord[]> {
    return this.model.find(filter, HIDDEN).sort(sort).limit(limit).lean<OrderRecord[]>().exec();
  }

  /** Backordered orders and the produce they wait for, longest waiting first. */
  async backordered(limit: number): Promise<Array<{ id: string; produce: string[] }>> {
    const rows = await this.model
      .find({ status: 'backordered' }, { 'lines.produce': 1 })
      .sort({ placedAt: 1 })
      .limit(limit)
      .lean<Array<{ _id: string; lines: Array<{ produce: string }> }>>()
      .exec();
    return rows.map((r) => ({ id: r._id, produce: r.lines.map((l) => l.produce) }));
  }

  /**
   * Read, decide, write if nobody wrote in between; otherwise read again. `decide` returns null
   * when the order needs no change (already applied, not its business) and may throw to refuse.
   * Returns whether this call changed the order.
   */
  async transition(id: string, decide: (order: OrderRecord) => OrderChange | null | Promise<OrderChange | null>): Promise<boolean> {
    for (let i = 0; i < MAX_CONFLICTS; i++) {
      const order = await this.findById(id);
      if (!order) return false;
      const change = await decide(order);
      if (!change) return false;
      if (await this.write(order, change)) return true;
    }
    throw new Error(`order ${id}: gave up after ${MAX_CONFLICTS} concurrent write conflicts`);
  }

  /** Applies a change decided on `order` if nobody wrote the order since it was read. */
  async write(order: OrderRecord, change: OrderChange): Promise<boolean> {
    const update: UpdateQuery<Order> = { $set: { ...change.set, updatedAt: new Date() }, $inc: { rev: 1 } };
    const r = await this.model.updateOne({ _id: order._id, rev: order.rev }, withEvents<Order>(update, change.events));
    return r.modifiedCount === 1;
  }
}
