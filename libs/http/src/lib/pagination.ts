import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsInt, IsOptional, Matches, Max, Min } from 'class-validator';
import { problemFor, ProblemException } from './problems/problem';

/** `?limit=&cursor=` on every list. */
export class PageQuery {
  @ApiPropertyOptional({ minimum: 1, maximum: 500, default: 50 })
  @IsOptional()
  @Transform(({ value }) => Number(value))
  @IsInt()
  @Min(1)
  @Max(500)
  limit = 50;

  @ApiPropertyOptional({ description: 'Opaque cursor from the previous page' })
  @IsOptional()
  @Matches(/^[A-Za-z0-9_-]{1,200}$/)
  cursor?: string;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** Cursors are the last seen sort key, base64url-encoded: stable under inserts, no skip/offset scans. */
export const Cursor = {
  encode: (value: string): string => Buffer.from(value, 'utf8').toString('base64url'),
  decode(cursor: string): string {
    const value = Buffer.from(cursor, 'base64url').toString('utf8');
    if (!value) throw new ProblemException(problemFor(400, 'cursor is not valid'));
    return value;
  },
  /** Fetch limit+1 rows; the extra one tells whether there is a next page. */
  page<T>(rows: T[], limit: number, keyOf: (row: T) => string): Page<T> {
    const items = rows.slice(0, limit);
    return { items, nextCursor: rows.length > limit ? Cursor.encode(keyOf(items[items.length - 1])) : null };
  },
};
