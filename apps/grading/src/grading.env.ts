import { IntersectionType } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsBoolean, IsInt, Matches, Max, Min } from 'class-validator';
import { AuthEnv, HttpEnv } from '@firstmile/http';
import { KafkaEnv } from '@firstmile/messaging';
import { MongoEnv } from '@firstmile/persistence';

const PRODUCE_MAP = /^([a-z_]+:[A-Za-z0-9._/-]+(,[a-z_]+:[A-Za-z0-9._/-]+)*)?$/;

export class GradingEnv extends IntersectionType(HttpEnv, AuthEnv, KafkaEnv, MongoEnv) {
  @Transform(({ value }) => Number(value)) @IsInt() @Min(1) @Max(65535) PORT = 3102;
  /** Seed the reference brand programs (places.json) at start-up; upserts by id, so restarts are harmless. */
  @Transform(({ value }) => (typeof value === 'string' ? !['false', '0', 'no'].includes(value.toLowerCase()) : Boolean(value)))
  @IsBoolean()
  SEED_REFERENCE_DATA = true;
  /** Which standard grades which produce, `produce:standardId,…`; overrides the built-in defaults per produce. */
  @Matches(PRODUCE_MAP) GRADING_STANDARDS = '';
  /** Shelf life after grading in days, `produce:days,…`; overrides the reference table per produce. */
  @Matches(/^([a-z_]+:\d+(,[a-z_]+:\d+)*)?$/) SHELF_LIFE_DAYS = '';
  /** Shelf life for produce neither the reference table nor SHELF_LIFE_DAYS names. */
  @Transform(({ value }) => Number(value)) @IsInt() @Min(1) @Max(3650) DEFAULT_SHELF_LIFE_DAYS = 14;
}

/** `a:x,b:y` → { a: 'x', b: 'y' } (the format of the map-valued variables above). */
export function parsePairs(value: string): Record<string, string> {
  if (!value) return {};
  return Object.fromEntries(value.split(',').map((pair) => pair.split(':') as [string, string]));
}
