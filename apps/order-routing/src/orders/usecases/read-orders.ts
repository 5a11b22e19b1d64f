import { Injectable } from '@nestjs/common';
import type { Principal } from '@firstmile/contracts';
import { Access, type Page } from '@firstmile/http';
import type { ListOrdersQuery } from '../dto/list-orders.query';
import { type OrderView, view } from '../order-view';
import { type OrderRecord, OrdersRepository } from '../orders.repository';

/** GET /v1/orders and /v1/orders/:id: a buyer sees its own orders, ops everyone's. */
@Injectable()
export class ReadOrders {
  constructor(private readonly orders: OrdersRepository) {}

  async get(caller: Principal, id: string): Promise<OrderView> {
    return view(await this.owned(caller, id));
  }

  /** A buyer's own orders (ops: everyone's, or one buyer's), newest first. */
  async list(caller: Principal, q: ListOrdersQuery): Promise<Page<OrderView>> {
    const buyerId = caller.role === 'ops' ? q.buyerId : caller.buyer;
    if (caller.role !== 'ops' && (!buyerId || (q.buyerId !== undefined && q.buyerId !== buyerId))) return { items: [], nextCursor: null };
    const page = await this.orders.page({ buyerId, status: q.status, channel: q.channel }, q.cursor, q.limit);
    return { items: page.items.map(view), nextCursor: page.nextCursor };
  }

  /** The order if the caller may see it; someone else's answers the same 404 as a missing one. */
  async owned(caller: Principal, id: string): Promise<OrderRecord> {
    const order = await this.orders.findById(id);
    return Access.orNotFound(order, (o) => Access.buyer(caller, o.buyerId), 'order', id);
  }
}
