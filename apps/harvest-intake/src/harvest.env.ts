import { IntersectionType } from '@nestjs/swagger';
import { Matches } from 'class-validator';
import { EnvInt } from '@firstmile/config';
import { AuthEnv, HttpEnv } from '@firstmile/http';
import { KafkaEnv } from '@firstmile/messaging';
import { MongoEnv } from '@firstmile/persistence';

export class HarvestEnv extends IntersectionType(HttpEnv, AuthEnv, KafkaEnv, MongoEnv) {
  @EnvInt({ min: 1, max: 65535 }) PORT = 3101;
  /** Produce the catalog knows, comma-separated. */
  @Matches(/^[a-z_]+(,[a-z_]+)*$/) PRODUCE_CATALOG = 'apple,passion_fruit,navel_orange,tribute_mandarin,pineapple';
  /** How far back a harvest may be logged. */
  @EnvInt({ min: 1 }) MAX_HARVEST_AGE_DAYS = 30;
}
