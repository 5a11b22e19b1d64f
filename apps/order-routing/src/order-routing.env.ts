import { IntersectionType } from '@nestjs/swagger';
import { Matches } from 'class-validator';
import { EnvInt, EnvNumber } from '@firstmile/config';
import { AuthEnv, HttpEnv } from '@firstmile/http';
import { KafkaEnv } from '@firstmile/messaging';
import { MongoEnv } from '@firstmile/persistence';
import { DEFAULT_GRADE_ORDER, formatGradeOrder, GRADE_ORDER_PATTERN } from '@firstmile/routing';

export class OrderRoutingEnv extends IntersectionType(HttpEnv, AuthEnv, KafkaEnv, MongoEnv) {
  @EnvInt({ min: 1, max: 65535 }) PORT = 3104;
  /** Average road speed over the great-circle distance, km/h: transit estimates and ETAs. */
  @EnvNumber({ min: 1, max: 200 }) ROUTING_ROAD_SPEED_KMH = 60;
  /** Picking, packing and hand-over hours added to every shipment's transit. */
  @EnvNumber({ min: 0, max: 240 }) ROUTING_HANDLING_HOURS = 12;
  /** Days of shelf life the fruit must still have when it arrives. */
  @EnvNumber({ min: 0, max: 60 }) ROUTING_SHELF_LIFE_MARGIN_DAYS = 2;
  /** Routing attempts per order when reservations are refused (stock moved meanwhile). */
  @EnvInt({ min: 1, max: 20 }) ROUTING_MAX_ATTEMPTS = 3;
  /** Most warehouses (shipments) one order may be split over. */
  @EnvInt({ min: 1, max: 10 }) ROUTING_MAX_SHIPMENTS = 4;
  /** Grades per produce, best first: `apple:premium>grade_1>grade_2;passion_fruit:jumbo>large>medium`. */
  @Matches(GRADE_ORDER_PATTERN) ROUTING_GRADE_ORDER = formatGradeOrder(DEFAULT_GRADE_ORDER);
  /**
   * How long this process counts stock it asked to reserve as gone before the warehouse answers.
   * Only a guard against a lost answer: answers normally clear the hold within a second.
   */
  @EnvInt({ min: 1000 }) ROUTING_HOLD_TTL_MS = 120_000;
}
