import { Controller } from '@nestjs/common';
import { LotGradedV1 } from '@firstmile/contracts';
import { type EventContext, OnEvent } from '@firstmile/messaging';
import { LotsService } from './lots.service';

@Controller()
export class LotsConsumer {
  constructor(private readonly lots: LotsService) {}

  @OnEvent(LotGradedV1.type)
  onGraded(event: LotGradedV1, ctx: EventContext) {
    return this.lots.recordGrading(event, ctx.eventId);
  }
}
