import { type ExecutionContext, Injectable } from '@nestjs/common';
import { SkipThrottle, ThrottlerGuard, type ThrottlerLimitDetail, type ThrottlerOptions } from '@nestjs/throttler';
import type { FastifyRequest } from 'fastify';
import { type AuthenticatedRequest, IS_PUBLIC } from './auth/auth.decorators';
import { bearerTokenOf } from './auth/token-verifier';
import { problemFor, ProblemException } from './problems/problem';

/**
 * The two rate limits (named throttlers of @nestjs/throttler):
 * - `default`: callers with a verified token, by token subject, per route. Named `default` so that
 *   @Throttle()/@SkipThrottle() without a name mean it, as the library documents.
 * - `anonymous`: everyone else — no token, a token that failed, any caller of a @Public() route —
 *   by client address (see TRUST_PROXY), one count for all routes, so spreading bad tokens over many
 *   routes gains nothing.
 */
export const CALLER_LIMIT = 'default';
export const ADDRESS_LIMIT = 'anonymous';

/** The throttlers for ThrottlerModule: both allow `perMinute` requests a minute. */
export function rateLimits(perMinute: number): ThrottlerOptions[] {
  return [
    { name: CALLER_LIMIT, ttl: 60_000, limit: perMinute },
    { name: ADDRESS_LIMIT, ttl: 60_000, limit: perMinute, generateKey: (_ctx, address) => `${ADDRESS_LIMIT}:${address}` },
  ];
}

/** Neither limit: health probes and metrics scrapes come from one address as often as they like. */
export const SkipRateLimits = () => SkipThrottle({ [CALLER_LIMIT]: true, [ADDRESS_LIMIT]: true });

/** One named throttler of the module's, answered as problem+json 429 with Retry-After. */
abstract class OneLimitGuard extends ThrottlerGuard {
  protected abstract readonly limitName: string;

  override async onModuleInit(): Promise<void> {
    await super.onModuleInit();
    this.throttlers = this.throttlers.filter((t) => t.name === this.limitName);
  }

  protected override async throwThrottlingException(ctx: ExecutionContext, detail: ThrottlerLimitDetail): Promise<void> {
    // The library names the header after the throttler (Retry-After-anonymous) unless it is `default`.
    this.setResponseHeader(this.getRequestResponse(ctx).res, 'Retry-After', detail.timeToBlockExpire);
    throw new ProblemException(problemFor(429, 'rate limit exceeded; retry after the Retry-After delay'));
  }
}

/**
 * Runs first, before any token is verified: counts by address every request that brings no token to
 * check (no or malformed Authorization, or a @Public route, where tokens are not read), and refuses it
 * with 429 once the address is over its limit, without spending a verification on it. A request with
 * a token for a protected route passes on to the AuthGuard, which counts it here (countRefused) only
 * if the token fails — so a valid token is never refused because of its address (one office, one
 * NAT), and a flood of bad tokens from one address is answered 429 all the same.
 */
@Injectable()
export class AddressRateLimitGuard extends OneLimitGuard {
  protected readonly limitName = ADDRESS_LIMIT;

  override async canActivate(ctx: ExecutionContext): Promise<boolean> {
    if (ctx.getType() !== 'http') return true;
    const isPublic = this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, [ctx.getHandler(), ctx.getClass()]);
    const request = ctx.switchToHttp().getRequest<FastifyRequest>();
    if (!isPublic && bearerTokenOf(request.headers.authorization)) return true;
    return super.canActivate(ctx);
  }

  /** A token the AuthGuard refused: counts it against the address; throws the 429 once over the limit. */
  async countRefused(ctx: ExecutionContext): Promise<void> {
    await super.canActivate(ctx);
  }
}

/** Runs after the AuthGuard: limits each verified caller by token subject; Kafka handlers are not throttled. */
@Injectable()
export class CallerRateLimitGuard extends OneLimitGuard {
  protected readonly limitName = CALLER_LIMIT;

  override async canActivate(ctx: ExecutionContext): Promise<boolean> {
    if (ctx.getType() !== 'http') return true;
    // No principal: a @Public route, counted by address already.
    if (!ctx.switchToHttp().getRequest<AuthenticatedRequest>().principal) return true;
    return super.canActivate(ctx);
  }

  protected override async getTracker(req: Record<string, unknown> & AuthenticatedRequest): Promise<string> {
    return req.principal?.sub ?? String(req['ip']);
  }
}
