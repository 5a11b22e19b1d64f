import { CULL, type Fruit, type GradingStandard, type Rule, type VarietyClasses } from './types';

/** The class a variety falls in; unknown varieties get the table's default. */
export function classOf(table: VarietyClasses | undefined, variety: string): string | undefined {
  if (!table) return undefined;
  return table.varieties[variety.trim().toLowerCase()] ?? table.default;
}

/**
 * Whether a fruit meets one rule. A rule that needs a measurement the line did not take is not met:
 * a grade is earned by evidence, so a fruit without a colour reading cannot prove a colour grade.
 */
export function meetsRule(rule: Rule, fruit: Fruit, sizeClass: string | undefined, colorClass: string | undefined): boolean {
  switch (rule.kind) {
    case 'minDiameterMm': {
      const min = sizeClass === undefined ? undefined : rule.bySizeClass[sizeClass];
      if (min === undefined) return true;
      return fruit.diameterMm !== undefined && fruit.diameterMm >= min;
    }
    case 'minColorCoveragePct': {
      const min = colorClass === undefined ? undefined : rule.byColorClass[colorClass];
      if (min === undefined) return true;
      return fruit.colorCoveragePct !== undefined && fruit.colorCoveragePct >= min;
    }
    case 'minWeightG':
      return fruit.weightG >= rule.min;
    case 'defects': {
      const types = new Set(fruit.defects ?? []);
      if (types.size > rule.maxTypes) return false;
      for (const t of types) if (rule.forbidden.includes(t)) return false;
      return true;
    }
  }
}

export type Grader = (fruit: Fruit) => string;

/**
 * A grader for one variety under one standard: the variety's classes are looked up once, so
 * grading a batch of ten thousand fruits is a tight loop.
 */
export function graderFor(standard: GradingStandard, variety: string): Grader {
  const sizeClass = classOf(standard.sizeClasses, variety);
  const colorClass = classOf(standard.colorClasses, variety);
  return (fruit) => {
    for (const g of standard.grades) {
      if (g.rules.every((r) => meetsRule(r, fruit, sizeClass, colorClass))) return g.grade;
    }
    return CULL;
  };
}

/** A fruit's grade: the best grade whose every rule it meets, else cull. */
export const gradeFruit = (standard: GradingStandard, variety: string, fruit: Fruit): string => graderFor(standard, variety)(fruit);

/** Grades of a standard, best first, then cull. */
export const gradeOrder = (standard: GradingStandard): string[] => [...standard.grades.map((g) => g.grade), CULL];

export const isGradeOf = (standard: GradingStandard, grade: string): boolean => standard.grades.some((g) => g.grade === grade);

/** Whether `grade` is `minGrade` or better under the standard; grades the standard does not know never are. */
export function meetsMinGrade(standard: GradingStandard, grade: string, minGrade: string): boolean {
  const order = standard.grades.map((g) => g.grade);
  const rank = order.indexOf(grade);
  const min = order.indexOf(minGrade);
  return rank >= 0 && min >= 0 && rank <= min;
}

export interface GradeTally {
  fruits: number;
  /** Summed fruit weight in milligrams: integers, so tallies add up exactly across batches. */
  mg: number;
}

/** Per-grade counts and weights of one batch (cull included); what is stored instead of per-fruit rows. */
export function tallyBatch(grader: Grader, fruits: readonly Fruit[]): Record<string, GradeTally> {
  const tally: Record<string, GradeTally> = {};
  for (const fruit of fruits) {
    const grade = grader(fruit);
    const t = (tally[grade] ??= { fruits: 0, mg: 0 });
    t.fruits += 1;
    t.mg += Math.round(fruit.weightG * 1000);
  }
  return tally;
}
