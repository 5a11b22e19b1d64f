/** Grades per produce, best first. Configuration, not code: a deployment may add produce or grades. */
export type GradeOrder = Readonly<Record<string, readonly string[]>>;

export const DEFAULT_GRADE_ORDER: GradeOrder = {
  apple: ['premium', 'grade_1', 'grade_2'],
  passion_fruit: ['jumbo', 'large', 'medium'],
};

/** The same order as a setting: `apple:premium>grade_1>grade_2;passion_fruit:jumbo>large>medium`. */
export const GRADE_ORDER_PATTERN = /^[a-z_]+:[a-z0-9_]+(>[a-z0-9_]+)*(;[a-z_]+:[a-z0-9_]+(>[a-z0-9_]+)*)*$/;

export function parseGradeOrder(spec: string): GradeOrder {
  if (!GRADE_ORDER_PATTERN.test(spec)) throw new Error(`grade order "${spec}" is not produce:best>next>…;produce:…`);
  return Object.fromEntries(
    spec.split(';').map((entry) => {
      const [produce, grades] = entry.split(':');
      return [produce, grades.split('>')];
    }),
  );
}

export const formatGradeOrder = (order: GradeOrder): string =>
  Object.entries(order)
    .map(([produce, grades]) => `${produce}:${grades.join('>')}`)
    .join(';');

/** Rank of a grade for a produce, 0 = best; undefined when the grade (or produce) is unknown. */
export function gradeRank(order: GradeOrder, produce: string, grade: string): number | undefined {
  const i = order[produce]?.indexOf(grade) ?? -1;
  return i < 0 ? undefined : i;
}

/** True when `grade` is `minGrade` or better. An unknown grade never qualifies. */
export function gradeAtLeast(order: GradeOrder, produce: string, grade: string, minGrade: string): boolean {
  const have = gradeRank(order, produce, grade);
  const want = gradeRank(order, produce, minGrade);
  return have !== undefined && want !== undefined && have <= want;
}
