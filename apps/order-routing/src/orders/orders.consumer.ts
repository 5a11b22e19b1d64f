import { Controller } from '@nestjs/common';
import {
  OrderPlacedV1,
  ReservationLapsedV1,
  ReservationRejectedV1,
  ReservationReleasedV1,
  ReservationReleaseRefusedV1,
  ShipmentStatusChangedV1,
  StockReservedV1,
} from '@firstmile/contracts';
import { type BatchFailures, type Delivery, failuresOf, OnEvent, OnEvents } from '@firstmile/messaging';
import { StockViewService } from '../stock-view/stock-view.service';
import { AnswerReservation } from './usecases/answer-reservation';
import { CancelOrder } from './usecases/cancel-order';
import { FollowShipments } from './usecases/follow-shipments';
import { RouteOrder } from './usecases/route-order';

/** The order saga's inputs. Each handler is idempotent through the order's own states. */
@Controller()
export class OrdersConsumer {
  constructor(
    private readonly routing: RouteOrder,
    private readonly answers: AnswerReservation,
    private readonly shipments: FollowShipments,
    private readonly cancelling: CancelOrder,
    private readonly stock: StockViewService,
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

  @OnEvents(ReservationRejectedV1.type)
  onRejected(batch: Array<Delivery<ReservationRejectedV1>>) {
    return failuresOf(batch, (answers) => this.routing.rejectedAll(answers));
  }

  /** Released stock is free again (the stock view, which wakes backorders); a cancellation may be waiting for it. */
  @OnEvents(ReservationReleasedV1.type)
  async onReleased(batch: Array<Delivery<ReservationReleasedV1>>): Promise<BatchFailures<ReservationReleasedV1>> {
    // The view takes the newest figures of each position in one write, as it takes stock received.
    await this.stock.arrivedAll(batch.map((d) => d.event));
    return failuresOf(batch, (answers) => this.cancelling.releasedAll(answers));
  }

  @OnEvents(ReservationReleaseRefusedV1.type)
  onReleaseRefused(batch: Array<Delivery<ReservationReleaseRefusedV1>>) {
    return failuresOf(batch, (answers) => this.cancelling.refusedAll(answers));
  }

  @OnEvents(ReservationLapsedV1.type)
  onLapsed(batch: Array<Delivery<ReservationLapsedV1>>) {
    return failuresOf(batch, (answers) => this.routing.lapsedAll(answers));
  }

  @OnEvent(ShipmentStatusChangedV1.type)
  onShipmentChanged(e: ShipmentStatusChangedV1) {
    return this.shipments.shipmentChanged(e);
  }
}
