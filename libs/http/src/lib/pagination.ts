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

/**
 * Newest first by a creation time, ties broken by id (ids are random, so the id alone is no order).
 * The cursor carries the last row's time and id, so pages stay stable while rows are added.
 */
export function newestFirst<T extends { _id: string }>(field: keyof T & string) {
  return {
    sort: { [field]: -1, _id: -1 } as Record<string, -1>,
    /** The filter for the rows after `cursor` (none when there is no cursor). */
    after(cursor: string | undefined): Record<string, unknown> {
      if (!cursor) return {};
      const value = Cursor.decode(cursor);
      const bar = value.indexOf('|');
      const at = new Date(value.slice(0, bar));
      const id = value.slice(bar + 1);
      if (bar < 0 || !id || Number.isNaN(at.getTime())) throw new ProblemException(problemFor(400, 'cursor is not valid'));
      return { $or: [{ [field]: { $lt: at } }, { [field]: at, _id: { $lt: id } }] };
    },
    page(rows: T[], limit: number): Page<T> {
      return Cursor.page(rows, limit, (r) => `${new Date(r[field] as Date | string).toISOString()}|${r._id}`);
    },
  };
}
