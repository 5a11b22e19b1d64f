import {
  type CanActivate,
  createParamDecorator,
  type ExecutionContext,
  ForbiddenException,
  HttpException,
  Injectable,
  SetMetadata,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import type { Principal, Role } from '@firstmile/contracts';
import { TokenVerifier } from '@firstmile/http';

export const SESSION_COOKIE = 'fm_session';

/** The signed-in caller: the claims the services will see, and the token the console forwards. */
export interface Caller {
  principal: Principal;
  token: string;
}

/** Not signed in (or the token expired): the error filter answers a redirect to the sign-in page. */
export class SignInRequired extends HttpException {
  constructor() {
    super('Sign in first', 401);
  }
}

export function cookieOf(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return decodeURIComponent(part.slice(eq + 1).trim());
  }
  return undefined;
}

const ROLES = 'console:roles';
/** The roles a view is for; the services check again, with their object-level rules. */
export const ForRoles = (...roles: Role[]) => SetMetadata(ROLES, roles);

export const CurrentCaller = createParamDecorator((_: unknown, ctx: ExecutionContext): Caller => ctx.switchToHttp().getRequest<FastifyRequest & { caller: Caller }>().caller);

/**
 * Every view: a valid session token (verified here exactly as the services verify it, so an expired
 * token sends the person to sign in instead of to a page of 401s), the view's role, and for forms,
 * a same-origin request. The cookie is SameSite=Strict; the Origin check is the second lock against
 * cross-site form posts.
 */
@Injectable()
export class SignedInGuard implements CanActivate {
  constructor(
    private readonly verifier: TokenVerifier,
    private readonly reflector: Reflector,
  ) {}

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    const req = ctx.switchToHttp().getRequest<FastifyRequest & { caller?: Caller }>();
    const token = cookieOf(req.headers.cookie, SESSION_COOKIE);
    if (!token) throw new SignInRequired();
    let principal: Principal;
    try {
      principal = (await this.verifier.verify(token)) as unknown as Principal;
    } catch {
      throw new SignInRequired();
    }
    if (req.method !== 'GET' && req.method !== 'HEAD' && !sameOrigin(req)) throw new ForbiddenException('Cross-site form posts are refused');
    const roles = this.reflector.getAllAndOverride<Role[] | undefined>(ROLES, [ctx.getHandler(), ctx.getClass()]);
    if (roles && !roles.includes(principal.role)) throw new ForbiddenException(`This view is for ${roles.join(', ')}; you are signed in as ${principal.role}`);
    req.caller = { principal, token };
    return true;
  }
}

export function sameOrigin(req: FastifyRequest): boolean {
  const origin = req.headers.origin;
  if (!origin) return true;
  try {
    return new URL(origin).host === req.headers.host;
  } catch {
    return false;
  }
}
