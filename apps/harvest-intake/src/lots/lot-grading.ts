import type { GradingSummary, LotStatus, VoidRefused } from './lot.schema';

/**
 * The one rule of a lot graded while it was being voided: the grading service decides which came
 * first (its lot outcome is written once, graded or voided), and a lot.graded means the grading
 * came first there — the fruit went over the line and its stock is in the warehouse. So grading
 * wins everywhere: harvest-intake's voided lot becomes graded, and the void it had answered is kept
 * as refused (`voidRefused`) so the manager sees what happened instead of a graded lot with a void
 * reason.
 */
export function gradingRecorded(
  lot: { status: LotStatus; voidReason?: string; voidedAt?: Date },
  grading: GradingSummary,
  now: Date,
): { set: Record<string, unknown>; unset: Record<string, ''> } {
  const set: Record<string, unknown> = { status: 'graded', grading };
  if (lot.status !== 'voided') return { set, unset: {} };
  const refused: VoidRefused = {
    reason: lot.voidReason ?? '',
    requestedAt: lot.voidedAt ?? now,
    refusedAt: now,
    detail: `the lot was graded (${grading.gradedAt}) before the void reached grading; the grading stands`,
  };
  return { set: { ...set, voidRefused: refused }, unset: { voidReason: '', voidedAt: '' } };
}
