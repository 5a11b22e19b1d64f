import { Controller } from '@nestjs/common';
import { OrderPlacedV1, ReservationRejectedV1, ShipmentStatusChangedV1, StockReservedV1 } from '@firstmile/contracts';
import { type BatchFailures, type Delivery, failuresOf, OnEvent, OnEvents } from '@firstmile/messaging';
import { AnswerReservation } from './usecases/answer-reservation';
import { FollowShipments } from './usecases/follow-shipments';
import { RouteOrder } from './usecases/route-order';

/** The order saga's inputs. Each handler is idempotent through the order's own states. */
@Controller()
export class OrdersConsumer {
  constructor(
    private readonly routing: RouteOrder,
    private readonly answers: AnswerReservation,
    private readonly shipments: FollowShipments,
  ) {}

  /**
   * Routing runs from the topic, not the request: a live-stream burst queues up instead of piling on.
   * The orders of a batch (and of batches fetched meanwhile) are routed in one step.
   */
  @OnEvents(OrderPlacedV1.type)
  async onPlaced(batch: Array<Delivery<OrderPlacedV1>>): Promise<BatchFailures<OrderPlacedV1>> {
    const outcomes = await Promise.allSettled(batch.map((d) => d.ctx.traced(() => this.routing.route(d.event.orderId))));
    return new Map(batch.flatMap((d, i) => (outcomes[i].status === 'rejected' ? [[d, (outcomes[i] as PromiseRejectedResult).reason]] : [])));
  }

  @OnEvents(StockReservedV1.type)
  onReserved(batch: Array<Delivery<StockReservedV1>>) {
    return failuresOf(batch, (answers) => this.answers.reservedAll(answers));
  }

  @OnEvent(ReservationRejectedV1.type)
  onRejected(e: ReservationRejectedV1) {
    return this.routing.rejected(e);
  }

  @OnEvent(ShipmentStatusChangedV1.type)
  onShipmentChanged(e: ShipmentStatusChangedV1) {
    return this.shipments.shipmentChanged(e);
  }
}
