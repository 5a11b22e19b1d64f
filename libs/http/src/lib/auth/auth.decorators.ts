import { createParamDecorator, type ExecutionContext, SetMetadata } from '@nestjs/common';
import type { Principal, Role } from '@firstmile/contracts';

export const IS_PUBLIC = 'firstmile:public';
export const ROLES_KEY = 'firstmile:roles';

/** No token needed (provenance, health, docs). */
export const Public = () => SetMetadata(IS_PUBLIC, true);

/** Roles allowed to call; without it any authenticated caller may. */
export const Roles = (...roles: Role[]) => SetMetadata(ROLES_KEY, roles);

export interface AuthenticatedRequest {
  principal?: Principal;
}

/** The verified caller of the current request. */
export const CurrentPrincipal = createParamDecorator((_: unknown, ctx: ExecutionContext): Principal => {
  const principal = ctx.switchToHttp().getRequest<AuthenticatedRequest>().principal;
  if (!principal) throw new Error('CurrentPrincipal used on a public route');
  return principal;
});
