import { brandName, countyName, negotiateLang } from './i18n';

describe('page language', () => {
  it('takes ?lang first, then the best of zh and en by q-value, else Chinese', () => {
    expect(negotiateLang('en', 'zh-CN')).toBe('en');
    expect(negotiateLang('zh', 'en')).toBe('zh');
    expect(negotiateLang(undefined, 'en-GB,en;q=0.9')).toBe('en');
    expect(negotiateLang(undefined, 'zh-TW,zh;q=0.9,en;q=0.8')).toBe('zh');
    expect(negotiateLang(undefined, 'en;q=0.3, zh-CN;q=0.8')).toBe('zh');
    expect(negotiateLang(undefined, 'fr-FR, de;q=0.9')).toBe('zh');
    expect(negotiateLang(undefined, undefined)).toBe('zh');
    expect(negotiateLang(['en', 'zh'], 'zh')).toBe('zh');
    expect(negotiateLang(undefined, 'en;q=0')).toBe('zh');
  });

  it('names brands and counties in the page\'s language', () => {
    expect(brandName('Xunwu Passion Fruit (寻乌百香果)', 'zh')).toBe('寻乌百香果');
    expect(brandName('Xunwu Passion Fruit (寻乌百香果)', 'en')).toBe('Xunwu Passion Fruit');
    expect(countyName('CN-GS-LIXIAN', 'zh')).toBe('礼县');
    expect(countyName('CN-XX-UNKNOWN', 'en')).toBe('CN-XX-UNKNOWN');
  });
});
