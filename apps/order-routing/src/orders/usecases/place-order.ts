import { Injectable } from '@nestjs/common';
import { OrderPlacedV1, type Principal } from '@firstmile/contracts';
import { Access, type IdempotencyClaim, problemFor, ProblemException, type Replayed, replayOf } from '@firstmile/http';
import { newEvent } from '@firstmile/messaging';
import { derivedId, newId } from '@firstmile/persistence';
import { SOURCE } from '../../routing.settings';
import type { PlaceOrderDto } from '../dto/place-order.dto';
import type { OrderStatus } from '../order.schema';
import { type OrderRecord, OrdersRepository } from '../orders.repository';

/** POST /v1/orders: the order and its order.placed, in one write; routing happens from the topic. */
@Injectable()
export class PlaceOrder {
  constructor(private readonly orders: OrdersRepository) {}

  /**
   * `claim`: the request's Idempotency-Key, hashed. The order's id derives from it and the order
   * records the body's hash, so this one insert is the key's claim and its stored answer: a retry
   * finds the order and gets the first answer again (another body: 422).
   */
  async place(
    caller: Principal,
    dto: PlaceOrderDto,
    claim?: IdempotencyClaim,
    now = new Date(),
  ): Promise<{ id: string; status: OrderStatus } | Replayed<{ id: string; status: OrderStatus }>> {
    if (!caller.buyer) throw new ProblemException(problemFor(403, 'a buyer token must carry the buyer claim'));
    const destination = {
      city: dto.destination.city,
      location: { lat: dto.destination.location.lat, lon: dto.destination.location.lon },
      ...(dto.destination.address !== undefined ? { address: dto.destination.address } : {}),
    };
    const lines = dto.lines.map((l) => ({
      produce: l.produce,
      minGrade: l.minGrade,
      ...(l.brand !== undefined ? { brand: l.brand } : {}),
      quantityKg: l.quantityKg,
    }));
    const order: OrderRecord = {
      _id: claim ? derivedId('ORD', claim.seed) : newId('ORD'),
      ...(claim ? { requestHash: claim.bodyHash } : {}),
      buyerId: caller.buyer,
      channel: dto.channel,
      destination,
      ...(dto.deliverBy ? { deliverBy: new Date(dto.deliverBy) } : {}),
      lines,
      status: 'received',
      attempt: 0,
      allocations: [],
      reservations: {},
      shipments: [],
      shipmentStatus: {},
      rev: 0,
      placedAt: now,
      updatedAt: now,
    };
    const placed: OrderPlacedV1 = {
      orderId: order._id,
      buyerId: order.buyerId,
      channel: order.channel,
      destination,
      ...(dto.deliverBy ? { deliverBy: new Date(dto.deliverBy).toISOString() } : {}),
      lines,
      placedAt: now.toISOString(),
    };
    const answer = { id: order._id, status: 'received' as const };
    if (await this.orders.insert(order, [newEvent(OrderPlacedV1.type, placed, { source: SOURCE, time: now })])) return answer;
    // Only a claim derives an existing id: this is a retry (or a request racing it).
    // The key's identity is the token's subject, which may act for another buyer by now: then the
    // key was used for another request (422), and nothing of the first order is shown.
    const first = await this.orders.findById(order._id);
    return replayOf(claim as IdempotencyClaim, first && Access.buyer(caller, first.buyerId) ? first.requestHash : undefined, () => answer);
  }
}
