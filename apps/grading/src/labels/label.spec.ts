import { brandParts, labelLines, labelSvg, qrModules } from './label';
import { labelSheetPdf, latinOnly } from './label-sheet';

const label = {
  brand: 'Xunwu Passion Fruit (寻乌百香果)',
  produce: 'passion_fruit',
  variety: 'Purple',
  grade: 'Large (70–89 g)',
  boxKg: 2.5,
  bestBefore: '2027-01-02',
  traceCode: '0123456789AB',
  url: 'http://127.0.0.1:3100/01/09520000020103/10/0123456789AB',
};

describe('box label', () => {
  it('splits a brand into its mark and its Latin name', () => {
    expect(brandParts('Lixian Apple (礼县苹果)')).toEqual({ mark: '礼县苹果', name: 'Lixian Apple' });
    expect(brandParts('礼县苹果')).toEqual({ mark: '礼县苹果', name: '' });
  });

  it('shows no brand lines for unbranded produce', () => {
    expect(labelLines({ ...label, brand: null }).map((l) => l.text)[0]).toBe('百香果 Passion fruit · Purple');
    expect(labelLines(label).map((l) => l.text).slice(0, 2)).toEqual(['寻乌百香果', 'Xunwu Passion Fruit']);
  });

  it('escapes what it prints', () => {
    expect(labelSvg({ ...label, variety: '<script>&' })).toContain('&#60;script&#62;&#38;');
  });

  it('keeps modules at least 1 mm wide on the 34 mm code, for a cheap phone camera (version ≤ 4 at level M)', () => {
    expect(qrModules(label.url).size).toBeLessThanOrEqual(33);
  });

  it('keeps the Latin half of a line when no Chinese font is there', () => {
    expect(latinOnly('等级 Grade: 一等品 (grade 1)')).toBe('Grade: (grade 1)');
    expect(latinOnly('寻乌百香果')).toBe('');
    expect(latinOnly('Xunwu Passion Fruit (寻乌百香果)')).toBe('Xunwu Passion Fruit');
  });

  // Its time is a figure of the README (2.6–3.2 s for 500 on the shared dev machine), not asserted: CI's two cores are shared.
  it('prints the largest sheet (500 labels) on 63 A4 pages', async () => {
    const pdf = (await labelSheetPdf(label, 500)).toString('latin1');
    expect(pdf.match(/\/Type \/Page\b/g)).toHaveLength(63);
  });
});
