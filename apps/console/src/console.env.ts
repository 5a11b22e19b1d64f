import { IntersectionType } from '@nestjs/swagger';
import { IsOptional, IsString, IsUrl } from 'class-validator';
import { EnvBool, EnvInt } from '@firstmile/config';
import { AuthEnv, HttpEnv } from '@firstmile/http';

const url = () => IsUrl({ require_tld: false, require_protocol: true, protocols: ['http', 'https'] });

export class ConsoleEnv extends IntersectionType(HttpEnv, AuthEnv) {
  @EnvInt({ min: 1, max: 65535 }) PORT = 3100;
  /** The services whose public APIs the console calls, with the signed-in caller's token. */
  @url() HARVEST_INTAKE_URL = 'http://127.0.0.1:3101';
  @url() GRADING_URL = 'http://127.0.0.1:3102';
  @url() WAREHOUSE_URL = 'http://127.0.0.1:3103';
  @url() ORDER_ROUTING_URL = 'http://127.0.0.1:3104';
  @url() INSIGHTS_URL = 'http://127.0.0.1:3105';
  /** Zipkin's UI, for the ops view's links from an order or a lot to its trace; no links when unset. */
  @IsOptional() @url() ZIPKIN_URL?: string = undefined;
  /** Longest wait for a service's answer before the page says it is unavailable. */
  @EnvInt({ min: 100, max: 60_000 }) UPSTREAM_TIMEOUT_MS = 5000;
  /**
   * Development only: a JSON file `{ "<who>": "<token>" }` whose tokens the sign-in page offers as
   * one-click demo roles (`npm start` writes it after seeding). Unset in production.
   */
  @IsOptional() @IsString() CONSOLE_DEMO_TOKENS_FILE?: string = undefined;
  /** Mark the session cookie Secure (serve the console over HTTPS when this is on). */
  @EnvBool() COOKIE_SECURE = false;
}
