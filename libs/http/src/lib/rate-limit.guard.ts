import { type ExecutionContext, Injectable } from '@nestjs/common';
import { ThrottlerGuard } from '@nestjs/throttler';
import type { AuthenticatedRequest } from './auth/auth.decorators';
import { problemFor, ProblemException } from './problems/problem';

/** Limits each caller (its token subject, else its address); Kafka handlers are not throttled. */
@Injectable()
export class RateLimitGuard extends ThrottlerGuard {
  override async canActivate(ctx: ExecutionContext): Promise<boolean> {
    if (ctx.getType() !== 'http') return true;
    return super.canActivate(ctx);
  }

  protected override async getTracker(req: Record<string, unknown> & AuthenticatedRequest): Promise<string> {
    return req.principal?.sub ?? String(req['ip']);
  }

  protected override async throwThrottlingException(): Promise<void> {
    throw new ProblemException(problemFor(429, 'rate limit exceeded; retry after the Retry-After delay'));
  }
}
