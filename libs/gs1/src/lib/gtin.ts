/**
 * GTINs for graded produce: one trade item per produce × grade × regional brand (a branded premium
 * Lixian apple is not the same article as an unbranded grade_2 one).
 *
 * GTIN-14 = indicator digit (0) + GS1 company prefix + item reference + check digit. The company
 * prefix is configuration; the development default uses GS1 prefix 952, which GS1 reserves for
 * demonstrations and examples, so no real article is ever named by a demo label.
 */
export const DEV_COMPANY_PREFIX = '9520000';

/** Stable two-digit codes: a code, once given, never moves (labels already printed carry it). */
const PRODUCE_CODES: Readonly<Record<string, string>> = { apple: '01', passion_fruit: '02' };
const BRAND_CODES: Readonly<Record<string, string>> = {
  'Lixian Apple (礼县苹果)': '01',
  'Jingning Apple (静宁苹果)': '02',
  'Xunwu Passion Fruit (寻乌百香果)': '03',
};

export interface TradeItem {
  produce: string;
  /** The grade, ranked by the produce's grade order (0 = best). */
  gradeRank: number;
  /** The regional brand's name, or null for unbranded produce. */
  brand: string | null;
}

/**
 * Ranks for what is not a graded article: a harvest lot before grading (the produce as picked) and
 * the cull a grading takes out of it. Grades rank 0… from best, and no standard has eight grades.
 */
export const UNGRADED_RANK = 9;
export const CULL_RANK = 8;

export interface GtinOptions {
  /** GS1 company prefix, 6 to 12 digits (default {@link DEV_COMPANY_PREFIX}). */
  companyPrefix?: string;
  /** Explicit item references (`produce|gradeRank|brand or -`), for articles a deployment has registered. */
  itemReferences?: Readonly<Record<string, string>>;
}

/** GS1 mod-10 check digit of the digits before it. */
export function gs1CheckDigit(digits: string): string {
  if (!/^\d+$/.test(digits)) throw new Error(`"${digits}" is not a digit string`);
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    // Weights 3,1,3,… from the rightmost digit.
    sum += Number(digits[digits.length - 1 - i]) * (i % 2 === 0 ? 3 : 1);
  }
  return String((10 - (sum % 10)) % 10);
}

export function isGtin14(value: string): boolean {
  return /^\d{14}$/.test(value) && gs1CheckDigit(value.slice(0, 13)) === value[13];
}

/** The GTIN-14 of a trade item. */
export function gtinFor(item: TradeItem, options: GtinOptions = {}): string {
  const prefix = options.companyPrefix ?? DEV_COMPANY_PREFIX;
  if (!/^\d{6,12}$/.test(prefix)) throw new Error(`GS1 company prefix "${prefix}" is not 6 to 12 digits`);
  const width = 12 - prefix.length;
  const key = `${item.produce}|${item.gradeRank}|${item.brand ?? '-'}`;
  const given = options.itemReferences?.[key];
  const reference = given ?? defaultItemReference(item, width);
  if (!new RegExp(`^\\d{${width}}$`).test(reference)) {
    throw new Error(`item reference "${reference}" for ${key} is not ${width} digits (company prefix ${prefix})`);
  }
  const body = `0${prefix}${reference}`;
  return body + gs1CheckDigit(body);
}

/**
 * Produce code, grade rank and brand code side by side (`PPGBB`, padded to the width); produce or
 * brands without a registered code get a stable hash in the 9… range, so an unknown article still
 * has one GTIN that never changes.
 */
function defaultItemReference(item: TradeItem, width: number): string {
  const produce = PRODUCE_CODES[item.produce];
  const brand = item.brand === null ? '00' : BRAND_CODES[item.brand];
  if (produce && brand && item.gradeRank >= 0 && item.gradeRank <= 9) {
    return `${produce}${item.gradeRank}${brand}`.padStart(width, '0').slice(-width);
  }
  const hashed = String(fnv1a(`${item.produce}|${item.gradeRank}|${item.brand ?? '-'}`) % 10 ** (width - 1));
  return `9${hashed.padStart(width - 1, '0')}`;
}

function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (const byte of Buffer.from(text, 'utf8')) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}
