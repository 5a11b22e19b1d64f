import { Controller } from '@nestjs/common';
import { OrderRoutedV1, StockDispatchedV1 } from '@firstmile/contracts';
import { OnEvent } from '@firstmile/messaging';
import { ShipmentsService } from './shipments.service';

/** Shipments come from the order's own routed event and move on the warehouse's dispatch. */
@Controller()
export class ShipmentsConsumer {
  constructor(private readonly shipments: ShipmentsService) {}

  @OnEvent(OrderRoutedV1.type)
  onRouted(e: OrderRoutedV1) {
    return this.shipments.create(e);
  }

  @OnEvent(StockDispatchedV1.type)
  onDispatched(e: StockDispatchedV1) {
    return this.shipments.dispatched(e);
  }
}
