import { IntersectionType } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsInt, IsNumber, Matches, Max, Min } from 'class-validator';
import { AuthEnv, HttpEnv } from '@firstmile/http';
import { KafkaEnv } from '@firstmile/messaging';
import { MongoEnv } from '@firstmile/persistence';
import { DEFAULT_GRADE_ORDER, formatGradeOrder, GRADE_ORDER_PATTERN } from '@firstmile/routing';

export class OrderRoutingEnv extends IntersectionType(HttpEnv, AuthEnv, KafkaEnv, MongoEnv) {
  @Transform(({ value }) => Number(value)) @IsInt() @Min(1) @Max(65535) PORT = 3104;
  /** Average road speed over the great-circle distance, km/h: transit estimates and ETAs. */
  @Transform(({ value }) => Number(value)) @IsNumber() @Min(1) @Max(200) ROUTING_ROAD_SPEED_KMH = 60;
  /** Picking, packing and hand-over hours added to every shipment's transit. */
  @Transform(({ value }) => Number(value)) @IsNumber() @Min(0) @Max(240) ROUTING_HANDLING_HOURS = 12;
  /** Days of shelf life the fruit must still have when it arrives. */
  @Transform(({ value }) => Number(value)) @IsNumber() @Min(0) @Max(60) ROUTING_SHELF_LIFE_MARGIN_DAYS = 2;
  /** Routing attempts per order when reservations are refused (stock moved meanwhile). */
  @Transform(({ value }) => Number(value)) @IsInt() @Min(1) @Max(20) ROUTING_MAX_ATTEMPTS = 3;
  /** Most warehouses (shipments) one order may be split over. */
  @Transform(({ value }) => Number(value)) @IsInt() @Min(1) @Max(10) ROUTING_MAX_SHIPMENTS = 4;
  /** Grades per produce, best first: `apple:premium>grade_1>grade_2;passion_fruit:jumbo>large>medium`. */
  @Matches(GRADE_ORDER_PATTERN) ROUTING_GRADE_ORDER = formatGradeOrder(DEFAULT_GRADE_ORDER);
  /**
   * How long this process counts stock it asked to reserve as gone before the warehouse answers.
   * Only a guard against a lost answer: answers normally clear the hold within a second.
   */
  @Transform(({ value }) => Number(value)) @IsInt() @Min(1000) ROUTING_HOLD_TTL_MS = 120_000;
}
