import { findStandard, gradeOrder } from '@firstmile/grading-standards';
import { gtinFor } from '@firstmile/gs1';

/**
 * The GTIN-14 of a graded sub-lot's trade item. The grade's rank is its place in the order of the
 * standard it was graded by (0 = best), the order grading itself splits lots by, so a label, the
 * provenance page and EPCIS events name the same article.
 */
export function gtinOfSubLot(s: { produce: string; standard: string; grade: string; brand: string | null }, companyPrefix?: string): string {
  const standard = findStandard(s.standard);
  // A standard no longer known still gets a stable GTIN: gtinFor hashes ranks it has no code for.
  const gradeRank = standard ? gradeOrder(standard).indexOf(s.grade) : -1;
  return gtinFor({ produce: s.produce, gradeRank, brand: s.brand }, companyPrefix ? { companyPrefix } : {});
}
