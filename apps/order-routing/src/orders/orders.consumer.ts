import { Controller } from '@nestjs/common';
import { OrderPlacedV1, ReservationRejectedV1, ShipmentStatusChangedV1, StockReservedV1 } from '@firstmile/contracts';
import { OnEvent } from '@firstmile/messaging';
import { traced } from '@firstmile/telemetry';
import { OrdersService } from './orders.service';

/** The order saga's inputs. Each handler is idempotent through the order's own states. */
@Controller()
export class OrdersConsumer {
  constructor(private readonly orders: OrdersService) {}

  /** Routing runs from the topic, not the request: a live-stream burst queues up instead of piling on. */
  @OnEvent(OrderPlacedV1.type)
  onPlaced(e: OrderPlacedV1) {
    return traced('route order', () => this.orders.route(e.orderId), { 'firstmile.order_id': e.orderId });
  }

  @OnEvent(StockReservedV1.type)
  onReserved(e: StockReservedV1) {
    return this.orders.reserved(e);
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
