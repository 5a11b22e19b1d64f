/** One fruit as a grading line measures it. Anything the line did not measure is left out. */
export interface Fruit {
  weightG: number;
  diameterMm?: number;
  colorCoveragePct?: number;
  /** Defect types seen on the fruit, e.g. `bruise_slight`, `sunburn`, `crack`. */
  defects?: readonly string[];
}

/**
 * One rule a grade demands. Thresholds are data, so a standard is configuration: a new standard or a
 * revised threshold is an edit of a table, not of code.
 */
export type Rule =
  /** Minimum fruit diameter, per variety size class (`large`, `medium`, `small`). */
  | { kind: 'minDiameterMm'; bySizeClass: Readonly<Record<string, number>> }
  /** Minimum share of the surface in the variety's colour, per colour class; a class absent here demands nothing. */
  | { kind: 'minColorCoveragePct'; byColorClass: Readonly<Record<string, number>> }
  /** Minimum single-fruit weight. */
  | { kind: 'minWeightG'; min: number }
  /** At most `maxTypes` defect types, none of them `forbidden`. */
  | { kind: 'defects'; maxTypes: number; forbidden: readonly string[] };

export interface GradeDefinition {
  /** Machine name used everywhere (`premium`, `grade_1`, `jumbo`). */
  grade: string;
  label: string;
  rules: readonly Rule[];
}

export interface VarietyClasses {
  /** Used for varieties the table does not name. */
  default: string;
  /** Lower-case variety name → class. */
  varieties: Readonly<Record<string, string>>;
}

export interface GradingStandard {
  id: string;
  name: string;
  produce: string;
  source: string;
  /** Best first; what meets none of them is `cull`. */
  grades: readonly GradeDefinition[];
  sizeClasses?: VarietyClasses;
  colorClasses?: VarietyClasses;
}

/** Below the last grade: juice and processing. */
export const CULL = 'cull';
