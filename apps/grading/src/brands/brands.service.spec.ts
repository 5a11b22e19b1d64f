import { brandId } from './brands.service';

describe('brandId', () => {
  it('derives a stable id from the Latin part of the name', () => {
    expect(brandId('Lixian Apple (礼县苹果)')).toBe('BRAND-LIXIAN-APPLE');
    expect(brandId('  Xunwu  Passion-Fruit ')).toBe('BRAND-XUNWU-PASSION-FRUIT');
    expect(brandId('礼县苹果')).toBe('BRAND-X');
  });
});
