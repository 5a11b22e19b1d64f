import { Controller } from '@nestjs/common';
import { LotLoggedV1, LotVoidedV1 } from '@firstmile/contracts';
import { OnEvent } from '@firstmile/messaging';
import { LotsService } from './lots.service';

/** harvest.lots → pending lots. Both handlers are idempotent by the lot's own state (insert-once, void-if-pending). */
@Controller()
export class LotsConsumer {
  constructor(private readonly lots: LotsService) {}

  @OnEvent(LotLoggedV1.type)
  onLogged(event: LotLoggedV1) {
    return this.lots.onLogged(event);
  }

  @OnEvent(LotVoidedV1.type)
  onVoided(event: LotVoidedV1) {
    return this.lots.onVoided(event);
  }
}
