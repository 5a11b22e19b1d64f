import {
  applyDecorators,
  type CallHandler,
  createParamDecorator,
  type ExecutionContext,
  Injectable,
  type NestInterceptor,
  SetMetadata,
  UseInterceptors,
} from '@nestjs/common';
import { HTTP_CODE_METADATA } from '@nestjs/common/constants';
import { InjectModel } from '@nestjs/mongoose';
import { Cron, CronExpression } from '@nestjs/schedule';
import { ApiHeader } from '@nestjs/swagger';
import { createHash } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Model } from 'mongoose';
import { catchError, from, map, mergeMap, type Observable, of, throwError } from 'rxjs';
import type { AuthenticatedRequest } from '../auth/auth.decorators';
import { problemFor, problemType, ProblemException } from '../problems/problem';
import { IdempotencyRecord } from './idempotency-record.schema';

const KEY = /^[\x21-\x7e]{1,200}$/;
/** Metadata of a handler that answers for its own idempotency (see `Idempotent`). */
export const BY_RESOURCE = 'firstmile:idempotency:by-resource';
/** Metadata of a handler that honours `Idempotency-Key` (read by the OpenAPI description). */
export const IDEMPOTENT = 'firstmile:idempotency';
const REPLAY_WINDOW_MS = 24 * 60 * 60 * 1000;
/** An in-flight claim older than this belongs to a request that died; a retry may take it over. */
const STALE_CLAIM_MS = 60_000;

const hash = (value: string) => createHash('sha256').update(value).digest('hex');

/** Key order does not make two bodies different. (Bodies nested over MAX_BODY_DEPTH never get here.) */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

const reused = () =>
  new ProblemException(problemFor(422, 'this Idempotency-Key was used with a different body', { type: problemType('idempotency-key-reused') }));

const reusedByAnother = () =>
  new ProblemException(
    problemFor(422, 'this Idempotency-Key was used by the same subject with other roles or tenancy', { type: problemType('idempotency-key-reused') }),
  );

/** What authorised the first answer: the caller's role and tenancy claims (order-insensitive). */
function callerHash(p: AuthenticatedRequest['principal']): string {
  if (!p) return hash('-');
  return hash(canonical({ role: p.role, coop: p.coop ?? null, buyer: p.buyer ?? null, warehouses: [...(p.warehouses ?? [])].sort() }));
}

/**
 * `Idempotency-Key` on creating POSTs: the first answer (status and body) is stored in the service's
 * own database and replayed for the same key and body, across restarts, for 24 h. A key is scoped to
 * the token subject, the method and the resolved path (so `:id` counts); a replay is given only to a
 * caller with the same role and tenancy claims as the first (else 422), since it skips the handler's
 * object-level checks. The same key with another body is 422; while the first request is still
 * running, 409.
 *
 * A handler marked `@Idempotent({ byResource: true })` answers for itself instead: the resource it
 * creates has an id derived from the key and records the body's hash, so its one insert is the claim
 * and the stored answer at once (two writes fewer per request). A retry finds the resource and
 * returns `replayOf(...)`; another body is 422; there is no "still in progress" state to answer 409.
 */
@Injectable()
export class IdempotencyInterceptor implements NestInterceptor {
  constructor(@InjectModel(IdempotencyRecord.name) private readonly records: Model<IdempotencyRecord>) {}

  async intercept(ctx: ExecutionContext, next: CallHandler): Promise<Observable<unknown>> {
    const request = ctx.switchToHttp().getRequest<FastifyRequest & AuthenticatedRequest>();
    const reply = ctx.switchToHttp().getResponse<FastifyReply>();
    const raw = request.headers['idempotency-key'];
    if (raw === undefined) return next.handle();
    const key = Array.isArray(raw) ? raw[0] : raw;
    if (!KEY.test(key)) {
      throw new ProblemException(problemFor(400, 'Idempotency-Key must be 1-200 visible ASCII characters'));
    }
    // The resolved path, not the route pattern: the same key on another `:id` is another request
    // (it used to replay the first answer and do nothing).
    const path = request.url.split('?')[0];
    const id = hash(`${request.principal?.sub ?? '-'}\n${request.method}\n${path}\n${key}`);
    const bodyHash = hash(canonical(request.body ?? null));
    const caller = callerHash(request.principal);
    const now = new Date();

    (request as IdempotentRequest).idempotency = { seed: id, bodyHash };
    if (Reflect.getMetadata(BY_RESOURCE, ctx.getHandler())) {
      return next.handle().pipe(
        map((body: unknown) => {
          if (!(body instanceof Replayed)) return body;
          void reply.header('idempotent-replayed', 'true');
          return body.body;
        }),
      );
    }
    const existing = await this.claim(id, bodyHash, caller, now);
    if (existing) {
      if (existing.bodyHash !== bodyHash) throw reused();
      // The stored answer was authorised for the first caller's role and tenancy; the handler's
      // object-level checks do not run on a replay, so one with other claims gets nothing of it.
      if (existing.caller !== caller) throw reusedByAnother();
      if (existing.state === 'in_flight') {
        throw ProblemException.conflict('a request with this Idempotency-Key is still in progress', 'idempotency-key-in-flight');
      }
      void reply.status(existing.status ?? 200).header('idempotent-replayed', 'true');
      return of(existing.body);
    }

    const status = Reflect.getMetadata(HTTP_CODE_METADATA, ctx.getHandler()) ?? (request.method === 'POST' ? 201 : 200);
    return next.handle().pipe(
      mergeMap((body) =>
        from(
          this.records
            .updateOne({ _id: id }, { $set: { state: 'done', status, body: body ?? null } })
            .then(() => body),
        ),
      ),
      // A failed request created nothing: release the key so the client may retry with it.
      catchError((err: unknown) => from(this.records.deleteOne({ _id: id })).pipe(mergeMap(() => throwError(() => err)))),
    );
  }

  /** Drops answers whose replay window has passed. */
  @Cron(CronExpression.EVERY_HOUR)
  async sweep(now = new Date()): Promise<number> {
    const { deletedCount } = await this.records.deleteMany({ expiresAt: { $lte: now } });
    return deletedCount;
  }

  /** Inserts an in-flight claim; returns the existing record when the key is taken. */
  private async claim(id: string, bodyHash: string, caller: string, now: Date): Promise<IdempotencyRecord | null> {
    const fresh = { _id: id, bodyHash, caller, state: 'in_flight' as const, createdAt: now, expiresAt: new Date(now.getTime() + REPLAY_WINDOW_MS) };
    try {
      await this.records.create(fresh);
      return null;
    } catch (err) {
      if ((err as { code?: number }).code !== 11000) throw err;
    }
    const existing = await this.records.findById(id).lean<IdempotencyRecord>();
    if (existing && existing.expiresAt.getTime() <= now.getTime()) {
      await this.records.deleteOne({ _id: id, expiresAt: existing.expiresAt });
      return this.claim(id, bodyHash, caller, now);
    }
    if (!existing) return this.claim(id, bodyHash, caller, now);
    if (existing.state === 'in_flight' && existing.bodyHash === bodyHash && existing.caller === caller && now.getTime() - existing.createdAt.getTime() > STALE_CLAIM_MS) {
      const taken = await this.records.updateOne({ _id: id, state: 'in_flight', createdAt: existing.createdAt }, { $set: { createdAt: now } });
      if (taken.modifiedCount === 1) return null;
    }
    return existing;
  }
}

/** A request's idempotency identity (caller, route and key, hashed) and its body's hash. */
export interface IdempotencyClaim {
  seed: string;
  bodyHash: string;
}

interface IdempotentRequest {
  idempotency?: IdempotencyClaim;
}

/**
 * The request's idempotency identity when it carries an `Idempotency-Key`, else undefined. A handler
 * that derives the id of what it creates from it (`derivedId`) makes the create itself idempotent: a
 * retry that takes over the claim of a request that died after its write — but before its answer was
 * stored — finds the first one's document instead of creating a second.
 */
export const IdempotencySeed = createParamDecorator(
  (_: unknown, ctx: ExecutionContext): string | undefined => ctx.switchToHttp().getRequest<IdempotentRequest>().idempotency?.seed,
);

/** The whole claim, for a handler marked `@Idempotent({ byResource: true })`. */
export const IdempotencyOf = createParamDecorator(
  (_: unknown, ctx: ExecutionContext): IdempotencyClaim | undefined => ctx.switchToHttp().getRequest<IdempotentRequest>().idempotency,
);

/** What a `byResource` handler returns when the key's resource already exists: sent with `idempotent-replayed`. */
export class Replayed<T> {
  constructor(readonly body: T) {}
}

/**
 * The answer to replay for the resource this key created, or 422 when it was created from another
 * body (`createdFrom`: the hash it recorded, undefined when the caller may not see it).
 */
export function replayOf<T>(claim: IdempotencyClaim, createdFrom: string | undefined, answer: () => T): Replayed<T> {
  if (createdFrom !== claim.bodyHash) throw reused();
  return new Replayed(answer());
}

/**
 * Marks a creating POST as honouring `Idempotency-Key`. `byResource`: the handler's own insert is
 * the claim (see `IdempotencyInterceptor`).
 */
export const Idempotent = (options: { byResource?: boolean } = {}) =>
  applyDecorators(
    ...(options.byResource ? [SetMetadata(BY_RESOURCE, true)] : []),
    SetMetadata(IDEMPOTENT, true),
    UseInterceptors(IdempotencyInterceptor),
    ApiHeader({
      name: 'Idempotency-Key',
      required: false,
      schema: { type: 'string', pattern: KEY.source },
      description: options.byResource
        ? 'Replays the first answer for the same key and body; same key with another body → 422.'
        : 'Replays the first answer for 24 h; same key with another body → 422; while in flight → 409.',
    }),
  );
