import { CULL, type Fruit } from './types';
import { GB_T_10651_2008, PASSION_FRUIT_WEIGHT, STANDARDS, UNECE_FFV_50, findStandard } from './standards';
import { gradeFruit, gradeOrder, graderFor, meetsMinGrade, tallyBatch } from './grade';

const fuji = (f: Partial<Fruit>): Fruit => ({ weightG: 250, diameterMm: 80, colorCoveragePct: 95, defects: [], ...f });
const gbt = (variety: string, f: Partial<Fruit>) => gradeFruit(GB_T_10651_2008, variety, fuji(f));

describe('GB/T 10651-2008 apples', () => {
  it('grades a large, well-coloured, clean Fuji premium', () => {
    expect(gbt('Fuji', {})).toBe('premium');
  });

  it('puts a large-variety fruit of exactly 70 mm in premium and one of 69.9 mm in grade_1', () => {
    expect(gbt('Fuji', { diameterMm: 70 })).toBe('premium');
    expect(gbt('Fuji', { diameterMm: 69.9 })).toBe('grade_1');
  });

  it('walks the size ladder of a large variety down to cull', () => {
    expect(gbt('Fuji', { diameterMm: 65 })).toBe('grade_1');
    expect(gbt('Fuji', { diameterMm: 64.9 })).toBe('grade_2');
    expect(gbt('Fuji', { diameterMm: 60 })).toBe('grade_2');
    expect(gbt('Fuji', { diameterMm: 59.9 })).toBe(CULL);
  });

  it('sizes medium varieties by their own class (65 mm is premium for Gala)', () => {
    expect(gbt('Gala', { diameterMm: 65 })).toBe('premium');
    expect(gbt('Gala', { diameterMm: 64.9 })).toBe('grade_1');
    expect(gbt('gala ', { diameterMm: 55 })).toBe('grade_2');
  });

  it('holds unknown varieties to the large-fruit sizes', () => {
    expect(gbt('Mystery Pippin', { diameterMm: 69 })).toBe('grade_1');
  });

  it('needs the colour of the colour class: solid-red 90/80/60, striped 50/33/20', () => {
    expect(gbt('Red Delicious', { colorCoveragePct: 90 })).toBe('premium');
    expect(gbt('Red Delicious', { colorCoveragePct: 89.9 })).toBe('grade_1');
    expect(gbt('Red Delicious', { colorCoveragePct: 60 })).toBe('grade_2');
    expect(gbt('Red Delicious', { colorCoveragePct: 59 })).toBe(CULL);
    expect(gbt('Fuji', { colorCoveragePct: 50 })).toBe('premium');
    expect(gbt('Fuji', { colorCoveragePct: 33 })).toBe('grade_1');
    expect(gbt('Fuji', { colorCoveragePct: 19.9 })).toBe(CULL);
  });

  it('grades a fruit without a colour reading cull when its variety has a colour rule', () => {
    expect(gbt('Fuji', { colorCoveragePct: undefined })).toBe(CULL);
  });

  it('asks no colour of yellow varieties, so a missing reading does not matter there', () => {
    expect(gbt('Golden Delicious', { colorCoveragePct: undefined, diameterMm: 66 })).toBe('premium');
  });

  it('grades a fruit without a diameter cull', () => {
    expect(gbt('Fuji', { diameterMm: undefined })).toBe(CULL);
  });

  it('drops a premium-sized fruit with sunburn two grades, to grade_2', () => {
    expect(gbt('Fuji', { defects: ['sunburn'] })).toBe('grade_2');
  });

  it('tolerates up to three very slight defect types in premium, not four', () => {
    expect(gbt('Fuji', { defects: ['bruise_slight', 'hail_mark_slight', 'scab_slight'] })).toBe('premium');
    expect(gbt('Fuji', { defects: ['bruise_slight', 'hail_mark_slight', 'scab_slight', 'russet_slight'] })).toBe('grade_1');
    expect(gbt('Fuji', { defects: ['bruise_slight', 'bruise_slight'] })).toBe('premium');
  });

  it('culls cracked or rotten fruit whatever its size', () => {
    expect(gbt('Fuji', { defects: ['crack'] })).toBe(CULL);
    expect(gbt('Fuji', { defects: ['rot'] })).toBe(CULL);
  });

  it('takes the lowest grade any single rule allows (size AND colour AND defects)', () => {
    expect(gbt('Fuji', { diameterMm: 67, colorCoveragePct: 25 })).toBe('grade_2');
  });
});

describe('UNECE FFV-50 apples', () => {
  it('has its own classes and thresholds', () => {
    expect(gradeFruit(UNECE_FFV_50, 'Fuji', fuji({}))).toBe('extra');
    expect(gradeFruit(UNECE_FFV_50, 'Fuji', fuji({ diameterMm: 69.9 }))).toBe('class_i');
    expect(gradeFruit(UNECE_FFV_50, 'Fuji', fuji({ colorCoveragePct: 5 }))).toBe('class_ii');
    expect(gradeFruit(UNECE_FFV_50, 'Fuji', fuji({ diameterMm: 64.9 }))).toBe(CULL);
  });
});

describe('passion fruit by weight', () => {
  const pf = (weightG: number, defects: string[] = []) => gradeFruit(PASSION_FRUIT_WEIGHT, 'Purple', { weightG, defects });

  it('bands by single-fruit weight: jumbo ≥ 90, large 70–89, medium 50–69, else cull', () => {
    expect(pf(90)).toBe('jumbo');
    expect(pf(89.9)).toBe('large');
    expect(pf(70)).toBe('large');
    expect(pf(69.99)).toBe('medium');
    expect(pf(50)).toBe('medium');
    expect(pf(49.9)).toBe(CULL);
  });

  it('culls cracked, shrivelled or mouldy fruit', () => {
    expect(pf(120, ['crack'])).toBe(CULL);
    expect(pf(120, ['shrivel'])).toBe(CULL);
    expect(pf(120, ['mould'])).toBe(CULL);
  });
});

describe('grade order', () => {
  it('compares grades within a standard', () => {
    expect(gradeOrder(GB_T_10651_2008)).toEqual(['premium', 'grade_1', 'grade_2', CULL]);
    expect(meetsMinGrade(GB_T_10651_2008, 'premium', 'grade_1')).toBe(true);
    expect(meetsMinGrade(GB_T_10651_2008, 'grade_1', 'grade_1')).toBe(true);
    expect(meetsMinGrade(GB_T_10651_2008, 'grade_2', 'grade_1')).toBe(false);
    expect(meetsMinGrade(GB_T_10651_2008, CULL, 'grade_2')).toBe(false);
    expect(meetsMinGrade(UNECE_FFV_50, 'extra', 'grade_1')).toBe(false);
  });

  it('every standard has unique grade names and can be found by id', () => {
    for (const s of STANDARDS) {
      expect(new Set(s.grades.map((g) => g.grade)).size).toBe(s.grades.length);
      expect(findStandard(s.id)).toBe(s);
    }
  });
});

describe('tallyBatch', () => {
  it('counts fruits and weighs them in milligrams per grade', () => {
    const tally = tallyBatch(graderFor(GB_T_10651_2008, 'Fuji'), [fuji({ weightG: 250.5 }), fuji({ weightG: 249.5 }), fuji({ diameterMm: 50, weightG: 100 })]);
    expect(tally).toEqual({ premium: { fruits: 2, mg: 500_000 }, [CULL]: { fruits: 1, mg: 100_000 } });
  });
});
