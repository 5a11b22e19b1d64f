import { IntersectionType } from '@nestjs/swagger';
import { EnvBool, EnvInt } from '@firstmile/config';
import { AuthEnv, HttpEnv } from '@firstmile/http';
import { KafkaEnv } from '@firstmile/messaging';
import { MongoEnv } from '@firstmile/persistence';


export class WarehouseEnv extends IntersectionType(HttpEnv, AuthEnv, KafkaEnv, MongoEnv) {
  @EnvInt({ min: 1, max: 65535 }) PORT = 3103;
  /** Upsert the reference warehouses (reference/places.json) at start-up. */
  @EnvBool() SEED_REFERENCE_DATA = true;
  /** How long a reservation is held before order-routing must confirm it; then the sweep releases it. */
  @EnvInt({ min: 1000 }) RESERVATION_TTL_MS = 15 * 60_000;
  /** How often the expiry sweep looks for lapsed reservations. */
  @EnvInt({ min: 100 }) RESERVATION_SWEEP_MS = 30_000;
  /**
   * How often positions whose last change has owed documents (reservations, ledger entries) for a
   * while are settled: written if a crash cut the change short, and the entry cleared.
   */
  @EnvInt({ min: 100 }) SETTLE_SWEEP_MS = 5_000;
  /** How often stock past its best-before is written off. */
  @EnvInt({ min: 1000 }) WRITE_OFF_SWEEP_MS = 60 * 60_000;
}
