import { Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { type AuthEnv, TokenVerifier } from '@firstmile/http';
import { Upstream } from '../upstream';
import { CoopController } from './coop.controller';
import { GradingController } from './grading.controller';
import { OpsController } from './ops.controller';
import { OrdersController } from './orders.controller';
import { SessionController } from './session.controller';
import { ShipmentsController } from './shipments.controller';
import { WarehouseController } from './warehouse.controller';
import { SignedInGuard } from './session';

@Module({
  controllers: [SessionController, CoopController, GradingController, WarehouseController, ShipmentsController, OrdersController, OpsController],
  providers: [
    Upstream,
    SignedInGuard,
    {
      provide: TokenVerifier,
      inject: [ConfigService],
      useFactory: (config: ConfigService<AuthEnv, true>) =>
        TokenVerifier.fromEnv({
          AUTH_JWT_SECRET: config.get('AUTH_JWT_SECRET', { infer: true }),
          AUTH_JWKS_URL: config.get('AUTH_JWKS_URL', { infer: true }),
          AUTH_JWT_ISSUER: config.get('AUTH_JWT_ISSUER', { infer: true }),
          AUTH_JWT_AUDIENCE: config.get('AUTH_JWT_AUDIENCE', { infer: true }),
          AUTH_JWT_CLOCK_TOLERANCE_S: config.get('AUTH_JWT_CLOCK_TOLERANCE_S', { infer: true }),
        }),
    },
  ],
})
export class ViewsModule {}
