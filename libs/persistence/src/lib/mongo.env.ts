import { IsString, Matches } from 'class-validator';
import { EnvInt } from '@firstmile/config';

/** MongoDB settings every service shares. Each service owns its database: `<prefix>firstmile_<name>`. */
export class MongoEnv {
  /** Any MongoDB-wire server: MongoDB itself, or the embedded FerretDB. */
  @Matches(/^mongodb(\+srv)?:\/\//) MONGO_URL = 'mongodb://127.0.0.1:27017/';
  /** Prepended to the database name (tests use one per run). */
  @IsString() @Matches(/^[A-Za-z0-9_-]*$/) MONGO_DB_PREFIX = '';
  /**
   * How often the outbox relay scans for staged events nobody named (another process's, or this
   * one's before a crash). OutboxRelayModule reads it when the module is declared, with this rule.
   */
  @EnvInt({ min: 10 }) OUTBOX_POLL_MS = 5000;
}
