import {
  CULL_RANK,
  digitalLink,
  gtinFor,
  locationLink,
  organisationGln,
  UNGRADED_RANK,
} from '@firstmile/gs1';
import { STANDARDS } from '@firstmile/grading-standards';

/** Rank of a grade the standards do not know (a standard added elsewhere): its own article, "other". */
export const UNKNOWN_GRADE_RANK = 7;

/**
 * A grade's rank, 0 = best, in the standard that grades it for this produce: the same rank the labels
 * compute from the lot's standard, since no two standards of one produce share a grade name.
 */
export function gradeRank(produce: string, grade: string): number {
  for (const standard of STANDARDS) {
    if (standard.produce !== produce) continue;
    const i = standard.grades.findIndex((g) => g.grade === grade);
    if (i >= 0) return i;
  }
  return UNKNOWN_GRADE_RANK;
}

export interface IdentifierSettings {
  /** DIGITAL_LINK_BASE */
  base: string;
  /** GS1_COMPANY_PREFIX */
  companyPrefix: string;
}

/**
 * EPCIS identifiers, all GS1 Digital Link URIs. Lots and sub-lots are class-level (GTIN + batch/lot,
 * an LGTIN): they travel in quantity lists with kilograms, never as instance EPCs.
 * - a harvest lot: the produce's ungraded article (rank 9), batch = the lot id;
 * - a graded sub-lot: produce × grade × brand, batch = its trace code (the label's URI);
 * - the cull of a grading: the produce's cull article (rank 8), batch = the lot id;
 * - a warehouse or orchard: `414/{organisation GLN}/254/{its id}`.
 */
export class Identifiers {
  private readonly gln: string;

  constructor(private readonly settings: IdentifierSettings) {
    this.gln = organisationGln(settings.companyPrefix);
  }

  lot(produce: string, lotId: string): string {
    return this.link(gtinFor({ produce, gradeRank: UNGRADED_RANK, brand: null }, this.options), lotId);
  }

  subLot(s: { produce: string; grade: string; brand: string | null; traceCode: string }): string {
    return this.link(
      gtinFor(
        { produce: s.produce, gradeRank: gradeRank(s.produce, s.grade), brand: s.brand ?? null },
        this.options,
      ),
      s.traceCode,
    );
  }

  cull(produce: string, lotId: string): string {
    return this.link(gtinFor({ produce, gradeRank: CULL_RANK, brand: null }, this.options), lotId);
  }

  place(id: string): string {
    return locationLink(this.settings.base, this.gln, id);
  }

  private get options() {
    return { companyPrefix: this.settings.companyPrefix };
  }

  private link(gtin: string, lot: string): string {
    return digitalLink(this.settings.base, gtin, lot);
  }
}
