import { DEV_COMPANY_PREFIX, digitalLink, glnExtension, gs1CheckDigit, gtinFor, isGtin14, locationLink, organisationGln, parseDigitalLinkPath } from '../index';

describe('GTINs', () => {
  it('computes the GS1 check digit (GS1 General Specifications worked example)', () => {
    // GTIN-13 629104150021-3, the example of the GS1 check digit calculator.
    expect(gs1CheckDigit('629104150021')).toBe('3');
    expect(isGtin14('06291041500213')).toBe(true);
    expect(isGtin14('06291041500214')).toBe(false);
  });

  it('gives each produce × grade × brand its own stable GTIN-14 under the company prefix', () => {
    const branded = gtinFor({ produce: 'apple', gradeRank: 0, brand: 'Lixian Apple (礼县苹果)' });
    const plain = gtinFor({ produce: 'apple', gradeRank: 0, brand: null });
    const grade2 = gtinFor({ produce: 'apple', gradeRank: 2, brand: null });
    expect(branded).toBe('09520000010010');
    expect(new Set([branded, plain, grade2]).size).toBe(3);
    for (const g of [branded, plain, grade2]) {
      expect(isGtin14(g)).toBe(true);
      expect(g.slice(1, 8)).toBe(DEV_COMPANY_PREFIX);
    }
  });

  it('hashes unknown produce and brands into the 9… range, the same every time', () => {
    const a = gtinFor({ produce: 'kiwi', gradeRank: 1, brand: 'Zhouzhi Kiwi' });
    expect(a).toBe(gtinFor({ produce: 'kiwi', gradeRank: 1, brand: 'Zhouzhi Kiwi' }));
    expect(a[8]).toBe('9');
    expect(isGtin14(a)).toBe(true);
  });

  it('takes a deployment company prefix and registered item references', () => {
    const g = gtinFor(
      { produce: 'apple', gradeRank: 1, brand: null },
      { companyPrefix: '6901234', itemReferences: { 'apple|1|-': '00042' } },
    );
    expect(g).toBe(`0690123400042${gs1CheckDigit('0690123400042')}`);
    expect(() => gtinFor({ produce: 'apple', gradeRank: 1, brand: null }, { companyPrefix: '12' })).toThrow(/6 to 12 digits/);
  });
});

describe('Digital Link', () => {
  it('builds and reads /01/{gtin}/10/{lot}', () => {
    const gtin = gtinFor({ produce: 'passion_fruit', gradeRank: 1, brand: 'Xunwu Passion Fruit (寻乌百香果)' });
    const uri = digitalLink('http://127.0.0.1:3100/', gtin, 'FM-7Q2K 9X');
    expect(uri).toBe(`http://127.0.0.1:3100/01/${gtin}/10/FM-7Q2K%209X`);
    expect(parseDigitalLinkPath(new URL(uri).pathname)).toEqual({ gtin, lot: 'FM-7Q2K 9X' });
  });

  it('refuses what is not a Digital Link', () => {
    expect(parseDigitalLinkPath('/01/09520000010011/10/X')).toBeNull(); // wrong check digit
    expect(parseDigitalLinkPath('/p/FM-7Q2K')).toBeNull();
    expect(() => digitalLink('http://x', '123', 'L')).toThrow(/GTIN-14/);
    expect(() => digitalLink('http://x', '09520000010010', 'x'.repeat(21))).toThrow(/1 to 20/);
  });
});

describe('locations', () => {
  it('names a place by the organisation GLN and the place id as its extension (AI 254)', () => {
    const gln = organisationGln(DEV_COMPANY_PREFIX);
    expect(gln).toBe(`952000000000${gs1CheckDigit('952000000000')}`);
    expect(locationLink('http://127.0.0.1:3100/', gln, 'WH-LIXIAN-ORIGIN')).toBe(`http://127.0.0.1:3100/414/${gln}/254/WH-LIXIAN-ORIGIN`);
  });

  it('fits a long id into the 20 characters of AI 254, stably and distinctly', () => {
    const a = glnExtension('WH-A-VERY-LONG-WAREHOUSE-IDENTIFIER-1');
    const b = glnExtension('WH-A-VERY-LONG-WAREHOUSE-IDENTIFIER-2');
    expect(a).toHaveLength(20);
    expect(a).toBe(glnExtension('WH-A-VERY-LONG-WAREHOUSE-IDENTIFIER-1'));
    expect(a).not.toBe(b);
    expect(() => locationLink('http://x', '9520000000001', 'X')).toThrow(/not a GLN/);
  });
});
