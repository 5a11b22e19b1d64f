import { Controller } from '@nestjs/common';
import { StockReceivedV1, TransferDispatchedV1, TransferReceivedV1 } from '@firstmile/contracts';
import { type Delivery, OnEvent, OnEvents } from '@firstmile/messaging';
import { StockViewService } from './stock-view.service';

/**
 * warehouse.stock → the stock view. Version-gated writes make redeliveries harmless, so no event
 * ids are kept. Stock that arrives or is freed wakes the backordered orders of its produce. Reservation answers (released ones too) and dispatches are consumed where they also
 * move an order or a shipment (one handler per event type), and update this view there.
 */
@Controller()
export class StockViewConsumer {
  constructor(private readonly stock: StockViewService) {}

  /** A batch: graded lots bring a sub-lot each a moment, and a busy season many a second. */
  @OnEvents(StockReceivedV1.type)
  onReceived(batch: Array<Delivery<StockReceivedV1>>) {
    return this.stock.arrivedAll(batch.map((d) => d.event));
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
