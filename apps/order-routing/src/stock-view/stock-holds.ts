import { Injectable } from '@nestjs/common';
import { RoutingSettings } from '../routing.settings';

interface Hold {
  position: string;
  grams: number;
  until: number;
}

/**
 * Stock this process has asked the warehouse to reserve but whose answer has not come back yet.
 * The view only learns of a reservation from the warehouse's answer, so without these a burst of
 * orders routed in the same second would all pick the same sub-lot and most would be refused.
 * It is an optimisation only: the warehouse's conditional reservation is what prevents
 * over-reserving, and a replica or a restart that does not see these just re-routes more often.
 */
@Injectable()
export class StockHolds {
  private readonly holds = new Map<string, Hold>();

  constructor(private readonly settings: RoutingSettings) {}

  add(reservationId: string, position: string, grams: number, now = Date.now()): void {
    this.holds.set(reservationId, { position, grams, until: now + this.settings.holdTtlMs });
  }

  clear(reservationId: string): void {
    this.holds.delete(reservationId);
  }

  /** Grams held per position. */
  byPosition(now = Date.now()): Map<string, number> {
    const held = new Map<string, number>();
    for (const [id, h] of this.holds) {
      if (h.until < now) this.holds.delete(id);
      else held.set(h.position, (held.get(h.position) ?? 0) + h.grams);
    }
    return held;
  }
}
