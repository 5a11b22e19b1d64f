import { Controller } from '@nestjs/common';
import { ConfirmReservationV1, LotGradedV1, ReleaseReservationV1, ReserveStockV1 } from '@firstmile/contracts';
import { type BatchFailures, type Delivery, type EventContext, OnEvent, OnEvents } from '@firstmile/messaging';
import { type Command, type Failures, StockService } from './stock.service';

/**
 * warehouse.commands → stock. Reservation commands are taken a fetched run at a time: the commands
 * of one position are decided in turn and written once (see `StockService.reserveAll`).
 */
@Controller()
export class StockConsumer {
  constructor(private readonly stock: StockService) {}

  @OnEvent(LotGradedV1.type)
  onGraded(event: LotGradedV1, ctx: EventContext) {
    return this.stock.receiveGraded(event, ctx.eventId);
  }

  @OnEvents(ReserveStockV1.type)
  onReserve(batch: Array<Delivery<ReserveStockV1>>) {
    return failedOf(batch, (commands) => this.stock.reserveAll(commands));
  }

  @OnEvents(ConfirmReservationV1.type)
  onConfirm(batch: Array<Delivery<ConfirmReservationV1>>) {
    return failedOf(batch, (commands) => this.stock.confirmAll(commands));
  }

  @OnEvents(ReleaseReservationV1.type)
  onRelease(batch: Array<Delivery<ReleaseReservationV1>>) {
    return failedOf(batch, (commands) => this.stock.releaseAll(commands));
  }
}

/** Runs a batch as commands and answers the deliveries whose command failed. */
async function failedOf<C>(batch: Array<Delivery<C>>, run: (commands: Array<Command<C>>) => Promise<Failures<C>>): Promise<BatchFailures<C>> {
  const commands = batch.map((d) => ({ command: d.event, ctx: d.ctx, delivery: d }));
  const failed = await run(commands);
  return new Map(commands.filter((c) => failed.has(c)).map((c) => [c.delivery, failed.get(c)]));
}
