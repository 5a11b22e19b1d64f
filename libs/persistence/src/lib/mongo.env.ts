import { IsString, Matches } from 'class-validator';

/** MongoDB settings every service shares. Each service owns its database: `<prefix>firstmile_<name>`. */
export class MongoEnv {
  /** Any MongoDB-wire server: MongoDB itself, or the embedded FerretDB. */
  @Matches(/^mongodb(\+srv)?:\/\//) MONGO_URL = 'mongodb://127.0.0.1:27017/';
  /** Prepended to the database name (tests use one per run). */
  @IsString() @Matches(/^[A-Za-z0-9_-]*$/) MONGO_DB_PREFIX = '';
}
