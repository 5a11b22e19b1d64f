import { Controller } from '@nestjs/common';
import { OrderPlacedV1, ReservationRejectedV1, ShipmentStatusChangedV1, StockReservedV1 } from '@firstmile/contracts';
import { type BatchFailures, type Delivery, failuresOf, OnEvent, OnEvents } from '@firstmile/messaging';
import { OrdersService } from './orders.service';

/** The order saga's inputs. Each handler is idempotent through the order's own states. */
@Controller()
export class OrdersConsumer {
  constructor(private readonly orders: OrdersService) {}

  /**
   * Routing runs from the topic, not the request: a live-stream burst queues up instead of piling on.
   * The orders of a batch (and of batches fetched meanwhile) are routed in one step.
   */
  @OnEvents(OrderPlacedV1.type)
  async onPlaced(batch: Array<Delivery<OrderPlacedV1>>): Promise<BatchFailures<OrderPlacedV1>> {
    const outcomes = await Promise.allSettled(batch.map((d) => d.ctx.traced(() => this.orders.route(d.event.orderId))));
    return new Map(batch.flatMap((d, i) => (outcomes[i].status === 'rejected' ? [[d, (outcomes[i] as PromiseRejectedResult).reason]] : [])));
  }

  @OnEvents(StockReservedV1.type)
  onReserved(batch: Array<Delivery<StockReservedV1>>) {
    return failuresOf(batch, (answers) => this.orders.reservedAll(answers));
  }

  @OnEvent(ReservationRejectedV1.type)
  onRejected(e: ReservationRejectedV1) {
    return this.orders.rejected(e);
  }

  @OnEvent(ShipmentStatusChangedV1.type)
  onShipmentChanged(e: ShipmentStatusChangedV1) {
    return this.orders.shipmentChanged(e);
  }
}
