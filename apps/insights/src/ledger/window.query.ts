import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsISO8601, IsOptional } from 'class-validator';
import { problemFor, ProblemException } from '@firstmile/http';
import type { Window } from './ledger.repository';

const DAY_MS = 86_400_000;
/** Without `from`: this many days before `to`. */
export const DEFAULT_DAYS = 30;
/** The longest window one request may ask for. */
export const MAX_DAYS = 366;

/** `?from&to`: a half-open window [from, to) of ISO-8601 times. */
export class WindowQuery {
  @ApiPropertyOptional({ example: '2026-09-01T00:00:00Z', description: `Start, inclusive (default: ${DEFAULT_DAYS} days before \`to\`)` })
  @IsOptional()
  @IsISO8601({ strict: true })
  from?: string;
  @ApiPropertyOptional({ example: '2026-12-01T00:00:00Z', description: 'End, exclusive (default: now)' })
  @IsOptional()
  @IsISO8601({ strict: true })
  to?: string;
}

/** The window asked for; 400 when it is empty, reversed or longer than MAX_DAYS. */
export function windowOf(q: WindowQuery, now = new Date()): Window {
  const to = q.to ? new Date(q.to) : now;
  const from = q.from ? new Date(q.from) : new Date(to.getTime() - DEFAULT_DAYS * DAY_MS);
  // ISO-8601 that no Date holds (beyond ±275,760 years) would otherwise fail later as a 500.
  if (Number.isNaN(to.getTime()) || Number.isNaN(from.getTime())) throw ProblemException.validation([{ field: Number.isNaN(to.getTime()) ? 'to' : 'from', message: 'must be a time' }]);
  if (from.getTime() >= to.getTime()) throw ProblemException.validation([{ field: 'from', message: 'must be before to' }]);
  if (to.getTime() - from.getTime() > MAX_DAYS * DAY_MS) {
    throw new ProblemException(problemFor(400, `a window of at most ${MAX_DAYS} days`, { errors: [{ field: 'from', message: `at most ${MAX_DAYS} days before to` }] }));
  }
  return { from, to };
}
