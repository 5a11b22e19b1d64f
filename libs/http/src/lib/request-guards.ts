import type { Provider } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { APP_GUARD } from '@nestjs/core';
import { AuthGuard } from './auth/auth.guard';
import { TokenVerifier } from './auth/token-verifier';
import type { AuthEnv } from './env';
import { AddressRateLimitGuard, CallerRateLimitGuard } from './rate-limit.guard';

/**
 * The global guards, in the order Nest runs them (the order of APP_GUARD providers): the address
 * limit before any token is verified, then authentication and roles, then the per-caller limit.
 * Needs ThrottlerModule (with `rateLimits()`) and a TokenVerifier.
 */
export const REQUEST_GUARDS: Provider[] = [
  AddressRateLimitGuard,
  { provide: APP_GUARD, useExisting: AddressRateLimitGuard },
  { provide: APP_GUARD, useClass: AuthGuard },
  { provide: APP_GUARD, useClass: CallerRateLimitGuard },
];

/** The TokenVerifier the AuthEnv settings describe. */
export const TOKEN_VERIFIER: Provider = {
  provide: TokenVerifier,
  inject: [ConfigService],
  useFactory: (config: ConfigService<AuthEnv, true>) =>
    TokenVerifier.fromEnv({
      AUTH_JWT_SECRET: config.get('AUTH_JWT_SECRET', { infer: true }),
      AUTH_JWKS_URL: config.get('AUTH_JWKS_URL', { infer: true }),
      AUTH_JWT_ISSUER: config.get('AUTH_JWT_ISSUER', { infer: true }),
      AUTH_JWT_AUDIENCE: config.get('AUTH_JWT_AUDIENCE', { infer: true }),
      AUTH_JWT_CLOCK_TOLERANCE_S: config.get('AUTH_JWT_CLOCK_TOLERANCE_S', { infer: true }),
    }),
};
