import { IntersectionType } from '@nestjs/swagger';
import { IsOptional, IsString, IsUrl, Matches } from 'class-validator';
import { EnvBool, EnvInt } from '@firstmile/config';
import { DEV_COMPANY_PREFIX } from '@firstmile/gs1';
import { AuthEnv, HttpEnv } from '@firstmile/http';
import { KafkaEnv, READ_MODEL_FETCH_MIN_BYTES } from '@firstmile/messaging';
import { MongoEnv } from '@firstmile/persistence';

const PRODUCE_MAP = /^([a-z_]+:[A-Za-z0-9._/-]+(,[a-z_]+:[A-Za-z0-9._/-]+)*)?$/;

export class GradingEnv extends IntersectionType(HttpEnv, AuthEnv, KafkaEnv, MongoEnv) {
  @EnvInt({ min: 1, max: 65535 }) PORT = 3102;
  /** Its events feed read models: fetched a quarter of a second at a time under load (KafkaEnv's bounds). */
  override KAFKA_FETCH_MIN_BYTES = READ_MODEL_FETCH_MIN_BYTES;
  /** Seed the reference brand programs (places.json) at start-up; upserts by id, so restarts are harmless. */
  @EnvBool() SEED_REFERENCE_DATA = true;
  /** Which standard grades which produce, `produce:standardId,…`; overrides the built-in defaults per produce. */
  @Matches(PRODUCE_MAP) GRADING_STANDARDS = '';
  /** Shelf life after grading in days, `produce:days,…`; overrides the reference table per produce. */
  @Matches(/^([a-z_]+:\d+(,[a-z_]+:\d+)*)?$/) SHELF_LIFE_DAYS = '';
  /** Shelf life for produce neither the reference table nor SHELF_LIFE_DAYS names. */
  @EnvInt({ min: 1, max: 3650 }) DEFAULT_SHELF_LIFE_DAYS = 14;
  /** GS1 company prefix of the GTINs on labels and provenance (6–12 digits); 952… is GS1's prefix for demonstrations. */
  @Matches(/^\d{6,12}$/) GS1_COMPANY_PREFIX = DEV_COMPANY_PREFIX;
  /** Where the public provenance pages live: labels' QR codes hold `{PUBLIC_BASE_URL}/01/{gtin}/10/{traceCode}`. */
  @IsUrl({ require_tld: false, require_protocol: true, protocols: ['http', 'https'] }) PUBLIC_BASE_URL = 'http://127.0.0.1:3100';
  /** A TrueType font with Chinese glyphs for PDF label sheets; without one (none found) sheets print the Latin text only. */
  @IsOptional() @IsString() LABEL_CJK_FONT?: string = undefined;
}

/** `a:x,b:y` → { a: 'x', b: 'y' } (the format of the map-valued variables above). */
export function parsePairs(value: string): Record<string, string> {
  if (!value) return {};
  return Object.fromEntries(value.split(',').map((pair) => pair.split(':') as [string, string]));
}
