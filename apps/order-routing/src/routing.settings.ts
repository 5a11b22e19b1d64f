import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { parseGradeOrder, type RoutingPolicy } from '@firstmile/routing';
import type { OrderRoutingEnv } from './order-routing.env';

/** The routing policy and saga bounds, read once from validated configuration. */
@Injectable()
export class RoutingSettings {
  readonly policy: RoutingPolicy;
  readonly maxAttempts: number;
  readonly holdTtlMs: number;

  constructor(config: ConfigService<OrderRoutingEnv, true>) {
    this.policy = {
      gradeOrder: parseGradeOrder(config.get('ROUTING_GRADE_ORDER', { infer: true })),
      roadSpeedKmh: config.get('ROUTING_ROAD_SPEED_KMH', { infer: true }),
      handlingHours: config.get('ROUTING_HANDLING_HOURS', { infer: true }),
      shelfLifeMarginDays: config.get('ROUTING_SHELF_LIFE_MARGIN_DAYS', { infer: true }),
      maxShipments: config.get('ROUTING_MAX_SHIPMENTS', { infer: true }),
    };
    this.maxAttempts = config.get('ROUTING_MAX_ATTEMPTS', { infer: true });
    this.holdTtlMs = config.get('ROUTING_HOLD_TTL_MS', { infer: true });
  }
}

export const SOURCE = 'firstmile/order-routing';
