import { Controller } from '@nestjs/common';
import { ConfirmReservationV1, LotGradedV1, ReleaseReservationV1, ReserveStockV1 } from '@firstmile/contracts';
import { type EventContext, OnEvent } from '@firstmile/messaging';
import { traced } from '@firstmile/telemetry';
import { StockService } from './stock.service';

@Controller()
export class StockConsumer {
  constructor(private readonly stock: StockService) {}

  @OnEvent(LotGradedV1.type)
  onGraded(event: LotGradedV1, ctx: EventContext) {
    return this.stock.receiveGraded(event, ctx.eventId);
  }

  @OnEvent(ReserveStockV1.type)
  onReserve(command: ReserveStockV1) {
    return traced('reserve stock', () => this.stock.reserve(command), {
      'firstmile.order_id': command.orderId,
      'firstmile.sub_lot_id': command.subLotId,
    });
  }

  @OnEvent(ConfirmReservationV1.type)
  onConfirm(command: ConfirmReservationV1) {
    return this.stock.confirm(command);
  }

  @OnEvent(ReleaseReservationV1.type)
  onRelease(command: ReleaseReservationV1) {
    return this.stock.release(command);
  }
}
