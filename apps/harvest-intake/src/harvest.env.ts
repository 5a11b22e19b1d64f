import { IntersectionType } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsInt, Matches, Max, Min } from 'class-validator';
import { AuthEnv, HttpEnv } from '@firstmile/http';
import { KafkaEnv } from '@firstmile/messaging';
import { MongoEnv } from '@firstmile/persistence';

export class HarvestEnv extends IntersectionType(HttpEnv, AuthEnv, KafkaEnv, MongoEnv) {
  @Transform(({ value }) => Number(value)) @IsInt() @Min(1) @Max(65535) PORT = 3101;
  /** Produce the catalog knows, comma-separated. */
  @Matches(/^[a-z_]+(,[a-z_]+)*$/) PRODUCE_CATALOG = 'apple,passion_fruit,navel_orange,tribute_mandarin,pineapple';
  /** How far back a harvest may be logged. */
  @Transform(({ value }) => Number(value)) @IsInt() @Min(1) MAX_HARVEST_AGE_DAYS = 30;
}
