import { type CanActivate, type ExecutionContext, Injectable, Logger } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { plainToInstance } from 'class-transformer';
import { IsArray, IsIn, IsInt, IsNotEmpty, IsOptional, IsString, MaxLength, validateSync } from 'class-validator';
import type { FastifyRequest } from 'fastify';
import { LRUCache } from 'lru-cache';
import { ROLES, type Principal, type Role } from '@firstmile/contracts';
import { problemFor, ProblemException } from '../problems/problem';
import { AddressRateLimitGuard } from '../rate-limit.guard';
import { type AuthenticatedRequest, IS_PUBLIC, ROLES_KEY } from './auth.decorators';
import { bearerTokenOf, SigningKeysUnavailable, TokenVerifier } from './token-verifier';

class Claims implements Principal {
  @IsString() @IsNotEmpty() @MaxLength(200) sub!: string;
  @IsIn(ROLES) role!: Role;
  @IsOptional() @IsString() @MaxLength(100) coop?: string;
  @IsOptional() @IsArray() @IsString({ each: true }) @MaxLength(100, { each: true }) warehouses?: string[];
  @IsOptional() @IsString() @MaxLength(100) buyer?: string;
  @IsOptional() @IsString() @MaxLength(100) county?: string;
  /** Required: a token without an expiry would be a credential forever once leaked. */
  @IsInt() exp!: number;
}

const unauthenticated = (detail: string) => new ProblemException(problemFor(401, detail));

/**
 * A verified token's principal is kept this long at most (and never past the token's `exp`), so a
 * caller's next requests skip the signature check and the claims' validation. Well inside the time
 * the key set itself is trusted without a fetch (TokenVerifierOptions.jwksMaxAgeMs, 10 min), so
 * keeping adds no time during which a withdrawn key is still honoured.
 */
export const VERIFIED_TOKEN_TTL_MS = 60_000;
/** Tokens kept at most: the least recently used go first. Only verified tokens are kept. */
export const VERIFIED_TOKENS_MAX = 10_000;

/**
 * Global guard: every route needs a valid bearer token unless marked @Public(), and a role listed in
 * @Roles() when it has one. The algorithms are pinned (see TokenVerifier), so `alg: none` or a swapped
 * algorithm fails.
 *
 * It runs between the two rate limits (see REQUEST_GUARDS): callers without a token were already
 * counted by address; a token that fails here is counted by address too, and once that address is
 * over its limit the answer is 429 instead of 401. A valid token is never held back by its address.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  private readonly logger = new Logger('Auth');
  private lastKeyWarning = 0;
  /** Principals of tokens verified lately, by the token itself (see VERIFIED_TOKEN_TTL_MS). */
  private readonly verified = new LRUCache<string, Principal>({ max: VERIFIED_TOKENS_MAX });

  constructor(
    private readonly tokens: TokenVerifier,
    private readonly reflector: Reflector,
    private readonly addressLimit: AddressRateLimitGuard,
  ) {}

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    if (ctx.getType() !== 'http') return true;
    const targets = [ctx.getHandler(), ctx.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets)) return true;
    const request = ctx.switchToHttp().getRequest<FastifyRequest & AuthenticatedRequest>();
    const token = bearerTokenOf(request.headers.authorization);
    if (!token) throw unauthenticated('a bearer token is required');
    const principal = await this.authenticate(token, ctx);
    request.principal = principal;
    const roles = this.reflector.getAllAndOverride<Role[] | undefined>(ROLES_KEY, targets);
    if (roles && !roles.includes(principal.role)) {
      throw new ProblemException(problemFor(403, `role ${principal.role} may not do this`));
    }
    return true;
  }

  private async authenticate(token: string, ctx: ExecutionContext): Promise<Principal> {
    const known = this.verified.get(token);
    if (known) return known;
    let payload: unknown;
    try {
      payload = await this.tokens.verify(token);
    } catch (err) {
      if (err instanceof SigningKeysUnavailable) {
        // Every caller is refused while the provider's keys are out of reach: say so in the log (once
        // a minute, not once a request), and do not count it against the caller's address.
        if (Date.now() - this.lastKeyWarning > 60_000) {
          this.lastKeyWarning = Date.now();
          this.logger.warn(`${err.message}; every token is refused until they can be`);
        }
        throw unauthenticated('the token could not be verified now');
      }
      await this.addressLimit.countRefused(ctx);
      throw unauthenticated(`invalid token: ${(err as Error).message}`);
    }
    const claims = plainToInstance(Claims, payload, { excludeExtraneousValues: false });
    if (validateSync(claims).length > 0) {
      await this.addressLimit.countRefused(ctx);
      throw unauthenticated('token claims are not valid');
    }
    const { sub, role, coop, warehouses, buyer, county, exp } = claims;
    // Frozen: every request of this token shares it.
    const principal = Object.freeze({ sub, role, coop, warehouses, buyer, county });
    const ttl = Math.floor(Math.min(VERIFIED_TOKEN_TTL_MS, exp * 1000 - Date.now()));
    if (ttl >= 1) this.verified.set(token, principal, { ttl });
    return principal;
  }
}
