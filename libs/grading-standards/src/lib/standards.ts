import type { GradingStandard } from './types';

/** Defects that make an apple unfit for any fresh grade. */
const APPLE_REJECTS = ['rot', 'mould', 'internal_browning', 'insect_live'];


const APPLE_SIZE_CLASSES = {
  // Unknown varieties are held to the strictest sizes: a wrong guess must not up-grade fruit.
  default: 'large',
  varieties: {
    fuji: 'large',
    'red fuji': 'large',
    'yanfu 3': 'large',
    delicious: 'large',
    'red delicious': 'large',
    starking: 'large',
    'red star': 'large',
    qinguan: 'large',
    jonagold: 'large',
    ralls: 'large',
    gala: 'medium',
    'royal gala': 'medium',
    'golden delicious': 'medium',
    jonathan: 'medium',
    honeycrisp: 'medium',
    'pink lady': 'medium',
    'granny smith': 'medium',
    hanfu: 'medium',
    huaniu: 'medium',
    'crab apple': 'small',
    qinyang: 'small',
  },
} as const;

/**
 * Apples, China: GB/T 10651-2008 鲜苹果, with colour coverage from NY/T 1793-2009.
 * Sizes and colours as published in secondary summaries (shared/reference/grading.md).
 */
export const GB_T_10651_2008: GradingStandard = {
  id: 'gb-t-10651-2008',
  name: 'GB/T 10651-2008 Fresh apples (鲜苹果)',
  produce: 'apple',
  source: 'GB/T 10651-2008; colour coverage from NY/T 1793-2009',
  sizeClasses: APPLE_SIZE_CLASSES,
  colorClasses: {
    default: 'striped',
    varieties: {
      'red delicious': 'solid_red',
      starking: 'solid_red',
      'red star': 'solid_red',
      delicious: 'solid_red',
      qinguan: 'solid_red',
      jonathan: 'solid_red',
      huaniu: 'solid_red',
      fuji: 'striped',
      'red fuji': 'striped',
      'yanfu 3': 'striped',
      gala: 'striped',
      'royal gala': 'striped',
      honeycrisp: 'striped',
      // Yellow and green varieties carry no colour requirement.
      'golden delicious': 'none',
      'granny smith': 'none',
    },
  },
  grades: [
    {
      grade: 'premium',
      label: '优等品 (premium)',
      rules: [
        { kind: 'minDiameterMm', bySizeClass: { large: 70, medium: 65, small: 60 } },
        { kind: 'minColorCoveragePct', byColorClass: { solid_red: 90, striped: 50 } },
        // Very slight marks (`bruise_slight` ≤ 0.5 cm², `hail_mark_slight` ≤ 0.1 cm², …) are tolerated; larger ones are not.
        { kind: 'defects', maxTypes: 3, forbidden: [...APPLE_REJECTS, 'sunburn', 'crack', 'bruise', 'bruise_severe', 'hail_mark', 'scab', 'insect_mark'] },
      ],
    },
    {
      grade: 'grade_1',
      label: '一等品 (grade 1)',
      rules: [
        { kind: 'minDiameterMm', bySizeClass: { large: 65, medium: 60, small: 55 } },
        { kind: 'minColorCoveragePct', byColorClass: { solid_red: 80, striped: 33 } },
        { kind: 'defects', maxTypes: 4, forbidden: [...APPLE_REJECTS, 'sunburn', 'crack', 'bruise_severe'] },
      ],
    },
    {
      grade: 'grade_2',
      label: '二等品 (grade 2)',
      rules: [
        { kind: 'minDiameterMm', bySizeClass: { large: 60, medium: 55, small: 50 } },
        { kind: 'minColorCoveragePct', byColorClass: { solid_red: 60, striped: 20 } },
        { kind: 'defects', maxTypes: 5, forbidden: [...APPLE_REJECTS, 'crack', 'bruise_severe'] },
      ],
    },
  ],
};

/**
 * Apples, export: UNECE standard FFV-50. Colour groups A (red), B (mixed red), C (striped);
 * sizing by equatorial diameter.
 */
export const UNECE_FFV_50: GradingStandard = {
  id: 'unece-ffv-50',
  name: 'UNECE FFV-50 Apples',
  produce: 'apple',
  source: 'UNECE standard FFV-50 concerning the marketing and commercial quality control of apples',
  sizeClasses: APPLE_SIZE_CLASSES,
  colorClasses: {
    default: 'C',
    varieties: {
      'red delicious': 'A',
      starking: 'A',
      delicious: 'A',
      'red star': 'A',
      jonathan: 'B',
      qinguan: 'B',
      fuji: 'C',
      'red fuji': 'C',
      gala: 'C',
      'royal gala': 'C',
      honeycrisp: 'C',
      'golden delicious': 'D',
      'granny smith': 'D',
    },
  },
  grades: [
    {
      grade: 'extra',
      label: 'Extra Class',
      rules: [
        { kind: 'minDiameterMm', bySizeClass: { large: 70, medium: 60, small: 60 } },
        { kind: 'minColorCoveragePct', byColorClass: { A: 75, B: 50, C: 33 } },
        { kind: 'defects', maxTypes: 1, forbidden: [...APPLE_REJECTS, 'sunburn', 'crack', 'bruise', 'bruise_severe', 'hail_mark', 'scab'] },
      ],
    },
    {
      grade: 'class_i',
      label: 'Class I',
      rules: [
        { kind: 'minDiameterMm', bySizeClass: { large: 65, medium: 55, small: 55 } },
        { kind: 'minColorCoveragePct', byColorClass: { A: 50, B: 33, C: 10 } },
        { kind: 'defects', maxTypes: 3, forbidden: [...APPLE_REJECTS, 'crack', 'bruise', 'bruise_severe'] },
      ],
    },
    {
      grade: 'class_ii',
      label: 'Class II',
      rules: [
        { kind: 'minDiameterMm', bySizeClass: { large: 65, medium: 55, small: 55 } },
        { kind: 'minColorCoveragePct', byColorClass: { A: 25, B: 10 } },
        { kind: 'defects', maxTypes: 5, forbidden: [...APPLE_REJECTS, 'crack', 'bruise_severe'] },
      ],
    },
  ],
};

const PASSION_FRUIT_REJECTS = ['crack', 'shrivel', 'mould', 'rot'];

/** Purple passion fruit by single-fruit weight, as origin warehouses grade it in practice. */
export const PASSION_FRUIT_WEIGHT: GradingStandard = {
  id: 'passion-fruit-weight',
  name: 'Passion fruit by single-fruit weight (purple)',
  produce: 'passion_fruit',
  source: 'Origin-warehouse practice (no Chinese national standard); minimum requirements after Codex',
  grades: [
    { grade: 'jumbo', label: 'Jumbo (≥ 90 g)', rules: [{ kind: 'minWeightG', min: 90 }, { kind: 'defects', maxTypes: 1, forbidden: PASSION_FRUIT_REJECTS }] },
    { grade: 'large', label: 'Large (70–89 g)', rules: [{ kind: 'minWeightG', min: 70 }, { kind: 'defects', maxTypes: 2, forbidden: PASSION_FRUIT_REJECTS }] },
    { grade: 'medium', label: 'Medium (50–69 g)', rules: [{ kind: 'minWeightG', min: 50 }, { kind: 'defects', maxTypes: 3, forbidden: PASSION_FRUIT_REJECTS }] },
  ],
};

/** Every standard the platform knows. */
export const STANDARDS: readonly GradingStandard[] = [GB_T_10651_2008, UNECE_FFV_50, PASSION_FRUIT_WEIGHT];

/** Which standard a produce is graded by unless configured otherwise. */
export const DEFAULT_STANDARD_BY_PRODUCE: Readonly<Record<string, string>> = {
  apple: GB_T_10651_2008.id,
  passion_fruit: PASSION_FRUIT_WEIGHT.id,
};

export function findStandard(id: string): GradingStandard | undefined {
  return STANDARDS.find((s) => s.id === id);
}
