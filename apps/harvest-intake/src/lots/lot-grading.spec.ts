import { gradingRecorded } from './lot-grading';

describe('gradingRecorded: a lot graded while it was being voided', () => {
  const grading = { gradedAt: '2026-09-01T08:00:00.000Z', standard: 'GB/T 10651-2008', kgByGrade: { premium: 90 }, cullKg: 10, subLotIds: ['SL-1'] };
  const now = new Date('2026-09-01T08:00:05.000Z');

  it('records a logged lot as graded, touching nothing else', () => {
    expect(gradingRecorded({ status: 'logged' }, grading, now)).toEqual({ set: { status: 'graded', grading }, unset: {} });
  });

  it('turns a voided lot into a graded one whose void is shown as refused, not as a void reason beside a grading', () => {
    const voidedAt = new Date('2026-09-01T08:00:01.000Z');
    const change = gradingRecorded({ status: 'voided', voidReason: 'Logged twice', voidedAt }, grading, now);
    expect(change.set).toEqual({
      status: 'graded',
      grading,
      voidRefused: { reason: 'Logged twice', requestedAt: voidedAt, refusedAt: now, detail: expect.stringContaining('graded') },
    });
    expect(change.unset).toEqual({ voidReason: '', voidedAt: '' });
  });
});
