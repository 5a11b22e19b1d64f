import { brandId } from './brands.service';

describe('brandId', () => {
  it('derives a stable, readable id from the Latin part of the name', () => {
    expect(brandId('Lixian Apple (礼县苹果)')).toMatch(/^BRAND-LIXIAN-APPLE-[0-9a-f]{12}$/);
    expect(brandId('Lixian Apple (礼县苹果)')).toBe(brandId('Lixian Apple (礼县苹果)'));
    expect(brandId('  Xunwu  Passion-Fruit ')).toMatch(/^BRAND-XUNWU-PASSION-FRUIT-[0-9a-f]{12}$/);
  });

  // Issue 22.13: every name without Latin letters was BRAND-X, so a second Chinese-only brand got 409.
  it('gives every name its own id, Latin letters or not', () => {
    const names = ['礼县苹果', '寻乌百香果', '德庆贡柑', '赣南脐橙', 'Lixian Apple', 'Lixian Apple (礼县苹果)', 'Lixian Apple (陇南)', 'lixian apple', '...', '!!!'];
    const ids = names.map(brandId);
    expect(new Set(ids).size).toBe(names.length);
    for (const id of ids) expect(id).toMatch(/^BRAND-([A-Z0-9-]+-)?[0-9a-f]{12}$/);
  });

  it('keeps ids short whatever the name', () => {
    expect(brandId(`${'Very Long Brand '.repeat(12)}`).length).toBeLessThanOrEqual(6 + 60 + 1 + 12);
  });
});
