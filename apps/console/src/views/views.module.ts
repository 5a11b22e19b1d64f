import { Module } from '@nestjs/common';
import { TOKEN_VERIFIER } from '@firstmile/http';
import { Upstream } from '../upstream';
import { CoopController } from './coop.controller';
import { GradingController } from './grading.controller';
import { InsightsController } from './insights.controller';
import { OpsController } from './ops.controller';
import { OrdersController } from './orders.controller';
import { SessionController } from './session.controller';
import { ShipmentsController } from './shipments.controller';
import { WarehouseController } from './warehouse.controller';
import { SignedInGuard } from './session';

@Module({
  controllers: [SessionController, CoopController, GradingController, WarehouseController, ShipmentsController, OrdersController, OpsController, InsightsController],
  providers: [
    Upstream,
    SignedInGuard,
    // The same token rules as the services (a secret or a key set, issuer, audience, clock tolerance).
    TOKEN_VERIFIER,
  ],
})
export class ViewsModule {}
