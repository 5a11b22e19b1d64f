import { Controller } from '@nestjs/common';
import { StockReceivedV1, TransferDispatchedV1, TransferReceivedV1 } from '@firstmile/contracts';
import { OnEvent } from '@firstmile/messaging';
import { StockViewService } from './stock-view.service';

/**
 * warehouse.stock → the stock view. Version-gated writes make redeliveries harmless, so no event
 * ids are kept. Stock that arrives or is freed wakes the backordered orders of its produce. Reservation answers (released ones too) and dispatches are consumed where they also
 * move an order or a shipment (one handler per event type), and update this view there.
 */
@Controller()
export class StockViewConsumer {
  constructor(private readonly stock: StockViewService) {}

  @OnEvent(StockReceivedV1.type)
  onReceived(e: StockReceivedV1) {
    return this.stock.arrived(e);
  }

  @OnEvent(TransferDispatchedV1.type)
  onTransferDispatched(e: TransferDispatchedV1) {
    return this.stock.apply(e);
  }

  @OnEvent(TransferReceivedV1.type)
  onTransferReceived(e: TransferReceivedV1) {
    return this.stock.arrived(e);
  }
}
