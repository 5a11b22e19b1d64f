import {
  IsIn,
  IsOptional,
  IsString,
  IsUrl,
  Matches,
  MinLength,
  Validate,
  ValidateIf,
  type ValidationArguments,
  ValidatorConstraint,
  type ValidatorConstraintInterface,
} from 'class-validator';
import { EnvInt, readEnvInt } from '@firstmile/config';

/** HTTP surface settings. */
export class HttpEnv {
  /** Interface to listen on. */
  @IsString() HOST = '127.0.0.1';
  /** Largest accepted request body, bytes; larger answers 413. A full grading batch (10,000 fruits) fits. */
  @EnvInt({ min: 1024 }) BODY_LIMIT_BYTES = 2 * 1024 * 1024;
  /**
   * Which proxies' X-Forwarded-For to believe for the client address (what anonymous callers are
   * rate-limited by): `false` (none, the default), a hop count (`1` behind one ingress), or a
   * comma-separated list of proxy addresses/CIDRs. `true` believes any sender — a client could then
   * pick a new address per request and never be limited.
   */
  @Matches(/^(true|false|\d+|[0-9a-fA-F.:/, ]+)$/) TRUST_PROXY = 'false';
  /** Requests per minute one caller (token subject, else IP) may make before 429. */
  @EnvInt({ min: 1 }) RATE_LIMIT_PER_MINUTE = 6000;
  @IsIn(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']) LOG_LEVEL = 'info';
  /**
   * Least time between two reads behind /metrics' gauges (outbox backlogs, consumer lag), which are
   * public and not rate-limited: scrapes in between get the last values. Counters are always live.
   */
  @EnvInt({ min: 0 }) METRICS_COLLECT_INTERVAL_MS = 5_000;
  /**
   * Processes of this service on its one port (node:cluster; the primary reads it before this
   * class validates it, with the same rule). 1 on Kubernetes, where the Deployment's `replicas:` counts pods.
   */
  @EnvInt({ min: 1, max: 64 }) REPLICAS = 1;
  /** How long one /health/ready answer serves every probe (it pings MongoDB and Kafka). */
  @EnvInt({ min: 0 }) READY_CACHE_MS = 1_000;
}

/** The published secret of development tokens: anyone can mint any role with it. */
export const DEV_JWT_SECRET = 'firstmile-dev-secret';

/** Environments where the development secret is allowed: `npm start` (unset) and jest (`test`). */
export const isDevelopment = (nodeEnv: string | undefined) => nodeEnv === undefined || nodeEnv === 'development' || nodeEnv === 'test';

/**
 * Outside development a service needs a real way to check tokens: an identity provider's key set, or
 * an HS256 secret of at least 32 bytes that is not the published development one. Without it the
 * service refuses to start (validateEnv throws, the process exits non-zero).
 */
@ValidatorConstraint({ name: 'deploymentSecret' })
class DeploymentSecret implements ValidatorConstraintInterface {
  validate(secret: unknown, { object }: ValidationArguments): boolean {
    const env = object as AuthEnv;
    if (isDevelopment(env.NODE_ENV) || env.AUTH_JWKS_URL) return true;
    return typeof secret === 'string' && secret !== DEV_JWT_SECRET && Buffer.byteLength(secret, 'utf8') >= 32;
  }

  defaultMessage({ object }: ValidationArguments): string {
    return (
      `NODE_ENV=${(object as AuthEnv).NODE_ENV} is not development: set AUTH_JWKS_URL (the identity provider's key set), ` +
      `or AUTH_JWT_SECRET to a random secret of at least 32 bytes (the development default is public)`
    );
  }
}

/** Token verification. */
export class AuthEnv {
  /**
   * `development` (the default) or `test` accept the development secret; any other value (the
   * Docker image sets `production`) is a deployment and needs AUTH_JWKS_URL or a secret of its own.
   */
  @IsString() NODE_ENV = 'development';
  /**
   * HS256 secret of development tokens (`npm run token`); not used once AUTH_JWKS_URL is set. Outside
   * development it must be at least 32 bytes and not the development default.
   */
  @IsString() @MinLength(16) @Validate(DeploymentSecret) AUTH_JWT_SECRET = DEV_JWT_SECRET;
  /**
   * The identity provider's JSON Web Key Set. When set, tokens must be RS256 or ES256, name their key
   * (`kid`) and be signed by that key of the set; HS256 tokens are refused. Keys are cached (10 min)
   * and fetched again when a token names an unknown one, at most every 30 s.
   */
  @IsOptional()
  @IsUrl({ require_tld: false, require_protocol: true, protocols: ['http', 'https'] })
  @Matches(/^(https:\/\/|http:\/\/127\.0\.0\.1[:/])/i, { message: 'AUTH_JWKS_URL must be https (http only for 127.0.0.1): the keys decide who is who' })
  AUTH_JWKS_URL?: string = undefined;
  /** Tokens must carry exactly this `iss`. Required with AUTH_JWKS_URL (a provider signs for many). */
  @ValidateIf((env: AuthEnv) => env.AUTH_JWT_ISSUER !== undefined || env.AUTH_JWKS_URL !== undefined)
  @IsString()
  @MinLength(1, { message: 'AUTH_JWT_ISSUER is required with AUTH_JWKS_URL' })
  AUTH_JWT_ISSUER?: string = undefined;
  /** A token's `aud` (a string or a list) must include this value. Required with AUTH_JWKS_URL. */
  @ValidateIf((env: AuthEnv) => env.AUTH_JWT_AUDIENCE !== undefined || env.AUTH_JWKS_URL !== undefined)
  @IsString()
  @MinLength(1, { message: 'AUTH_JWT_AUDIENCE is required with AUTH_JWKS_URL' })
  AUTH_JWT_AUDIENCE?: string = undefined;
  /** Seconds of clock skew allowed between the token's issuer and us when checking `exp` and `nbf`. */
  @EnvInt({ min: 0, max: 300 }) AUTH_JWT_CLOCK_TOLERANCE_S = 30;
}

/**
 * Fastify's `bodyLimit` from BODY_LIMIT_BYTES, read before HttpEnv is validated, with its rule: an
 * empty value is the default (`Number('')` made it a limit of 0 bytes, every body a 413).
 */
export function bodyLimitOf(env: NodeJS.ProcessEnv): number {
  return readEnvInt('BODY_LIMIT_BYTES', 2 * 1024 * 1024, { min: 1024 }, env);
}

/** Fastify's `trustProxy` from TRUST_PROXY (see HttpEnv). */
export function trustProxyOf(value: string | undefined): boolean | number | string {
  if (value === undefined || value === '' || value === 'false') return false;
  if (value === 'true') return true;
  return /^\d+$/.test(value) ? Number(value) : value;
}
