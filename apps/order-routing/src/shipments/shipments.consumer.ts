import { Controller } from '@nestjs/common';
import { OrderRoutedV1, StockDispatchedV1 } from '@firstmile/contracts';
import { type Delivery, OnEvent, OnEvents } from '@firstmile/messaging';
import { ShipmentsService } from './shipments.service';

/** Shipments come from the order's own routed event and move on the warehouse's dispatch. */
@Controller()
export class ShipmentsConsumer {
  constructor(private readonly shipments: ShipmentsService) {}

  /** A batch of routed orders: their shipments in one insert. */
  @OnEvents(OrderRoutedV1.type)
  onRouted(batch: Array<Delivery<OrderRoutedV1>>) {
    return this.shipments.createAll(batch.map((d) => ({ command: d.event, ctx: d.ctx })));
  }

  @OnEvent(StockDispatchedV1.type)
  onDispatched(e: StockDispatchedV1) {
    return this.shipments.dispatched(e);
  }
}
