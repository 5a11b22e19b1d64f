import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { JwtService } from '@nestjs/jwt';
import { plainToInstance } from 'class-transformer';
import { IsArray, IsIn, IsInt, IsNotEmpty, IsOptional, IsString, MaxLength, validateSync } from 'class-validator';
import type { FastifyRequest } from 'fastify';
import { ROLES, type Principal, type Role } from '@firstmile/contracts';
import { problemFor, ProblemException } from '../problems/problem';
import { type AuthenticatedRequest, IS_PUBLIC, ROLES_KEY } from './auth.decorators';

class Claims implements Principal {
  @IsString() @IsNotEmpty() @MaxLength(200) sub!: string;
  @IsIn(ROLES) role!: Role;
  @IsOptional() @IsString() @MaxLength(100) coop?: string;
  @IsOptional() @IsArray() @IsString({ each: true }) @MaxLength(100, { each: true }) warehouses?: string[];
  @IsOptional() @IsString() @MaxLength(100) buyer?: string;
  /** Required: a token without an expiry would be a credential forever once leaked. */
  @IsInt() exp!: number;
}

const unauthenticated = (detail: string) => new ProblemException(problemFor(401, detail));

/**
 * Global guard: every route needs a valid bearer token unless marked @Public(), and a role listed in
 * @Roles() when it has one. The algorithm is pinned, so `alg: none` or a swapped algorithm fails.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly jwt: JwtService,
    private readonly reflector: Reflector,
  ) {}

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    if (ctx.getType() !== 'http') return true;
    const targets = [ctx.getHandler(), ctx.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets)) return true;
    const request = ctx.switchToHttp().getRequest<FastifyRequest & AuthenticatedRequest>();
    const principal = await this.authenticate(request.headers.authorization);
    request.principal = principal;
    const roles = this.reflector.getAllAndOverride<Role[] | undefined>(ROLES_KEY, targets);
    if (roles && !roles.includes(principal.role)) {
      throw new ProblemException(problemFor(403, `role ${principal.role} may not do this`));
    }
    return true;
  }

  private async authenticate(header: string | undefined): Promise<Principal> {
    const match = /^Bearer ([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*)$/.exec(header ?? '');
    if (!match) throw unauthenticated('a bearer token is required');
    let payload: unknown;
    try {
      payload = await this.jwt.verifyAsync(match[1], { algorithms: ['HS256'] });
    } catch (err) {
      throw unauthenticated(`invalid token: ${(err as Error).message}`);
    }
    // A signed payload need not be an object (jws signs any string); only a claims object is a caller.
    if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) throw unauthenticated('token claims are not valid');
    const claims = plainToInstance(Claims, payload, { excludeExtraneousValues: false });
    if (validateSync(claims).length > 0) throw unauthenticated('token claims are not valid');
    const { sub, role, coop, warehouses, buyer } = claims;
    return { sub, role, coop, warehouses, buyer };
  }
}
