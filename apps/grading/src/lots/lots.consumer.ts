import { Controller } from '@nestjs/common';
import { LotLoggedV1, LotVoidedV1 } from '@firstmile/contracts';
import { type Delivery, OnEvent, OnEvents } from '@firstmile/messaging';
import { LotsService } from './lots.service';

/** harvest.lots → pending lots. Both handlers are idempotent by the lot's own state (insert-once, void-if-pending). */
@Controller()
export class LotsConsumer {
  constructor(private readonly lots: LotsService) {}

  /** A batch of logged lots: one insert. */
  @OnEvents(LotLoggedV1.type)
  onLogged(batch: Array<Delivery<LotLoggedV1>>) {
    return this.lots.onLogged(batch.map((d) => ({ command: d.event, ctx: d.ctx })));
  }

  @OnEvent(LotVoidedV1.type)
  onVoided(event: LotVoidedV1) {
    return this.lots.onVoided(event);
  }
}
