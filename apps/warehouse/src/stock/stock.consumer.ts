import { Controller } from '@nestjs/common';
import { ConfirmReservationV1, LotGradedV1, ReleaseReservationV1, ReserveStockV1 } from '@firstmile/contracts';
import { type BatchFailures, type Delivery, failuresOf, OnEvents } from '@firstmile/messaging';
import { StockService } from './stock.service';

/**
 * warehouse.commands → stock. Reservation commands are taken a fetched run at a time: the commands
 * of one position are decided in turn and written once (see `StockService.reserveAll`).
 */
@Controller()
export class StockConsumer {
  constructor(private readonly stock: StockService) {}

  /** A batch of graded lots: their sub-lots' positions created together (see `StockService.receiveGradedAll`). */
  @OnEvents(LotGradedV1.type)
  async onGraded(batch: Array<Delivery<LotGradedV1>>): Promise<BatchFailures<LotGradedV1>> {
    const failed = await this.stock.receiveGradedAll(batch.map((d) => ({ command: d.event, ctx: d.ctx, eventId: d.ctx.eventId })));
    return new Map([...failed].map(([i, err]) => [batch[i], err]));
  }

  @OnEvents(ReserveStockV1.type)
  onReserve(batch: Array<Delivery<ReserveStockV1>>) {
    return failuresOf(batch, (commands) => this.stock.reserveAll(commands));
  }

  @OnEvents(ConfirmReservationV1.type)
  onConfirm(batch: Array<Delivery<ConfirmReservationV1>>) {
    return failuresOf(batch, (commands) => this.stock.confirmAll(commands));
  }

  @OnEvents(ReleaseReservationV1.type)
  onRelease(batch: Array<Delivery<ReleaseReservationV1>>) {
    return failuresOf(batch, (commands) => this.stock.releaseAll(commands));
  }
}
