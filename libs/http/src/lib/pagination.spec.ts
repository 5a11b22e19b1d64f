import { Cursor, newestFirst } from './pagination';
import { ProblemException } from './problems/problem';

interface Row {
  _id: string;
  createdAt: Date;
}

describe('newestFirst', () => {
  const newest = newestFirst<Row>('createdAt');
  const at = (s: number) => new Date(Date.UTC(2026, 10, 23, 12, 0, s));
  const rows: Row[] = [
    { _id: 'LOT-B', createdAt: at(3) },
    { _id: 'LOT-A', createdAt: at(2) },
    { _id: 'LOT-C', createdAt: at(2) },
  ];

  it('sorts by the time, then by id, both descending', () => {
    expect(newest.sort).toEqual({ createdAt: -1, _id: -1 });
  });

  it('continues after the last row of a page: older rows, or the same time with a smaller id', () => {
    const page = newest.page(rows, 2);
    expect(page.items.map((r) => r._id)).toEqual(['LOT-B', 'LOT-A']);
    expect(page.nextCursor).not.toBeNull();
    expect(newest.after(page.nextCursor ?? undefined)).toEqual({
      $or: [{ createdAt: { $lt: at(2) } }, { createdAt: at(2), _id: { $lt: 'LOT-A' } }],
    });
    expect(newest.page(rows, 3).nextCursor).toBeNull();
    expect(newest.after(undefined)).toEqual({});
  });

  it.each([Cursor.encode('not-a-time|LOT-A'), Cursor.encode('2026-11-23T12:00:00.000Z'), Cursor.encode('2026-11-23T12:00:00.000Z|')])(
    'refuses a cursor it did not make (%s) with a 400',
    (cursor) => {
      let thrown: unknown;
      try {
        newest.after(cursor);
      } catch (err) {
        thrown = err;
      }
      expect(thrown).toBeInstanceOf(ProblemException);
      expect((thrown as ProblemException).getStatus()).toBe(400);
    },
  );
});
