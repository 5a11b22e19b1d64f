import { REFERENCE_COUNTIES, REFERENCE_WAREHOUSES } from '@firstmile/reference';

export type Lang = 'zh' | 'en';

/**
 * The page's language: `?lang=` first (a link on the page switches), then the best of zh/en in
 * Accept-Language by q-value, else Chinese — the consumers scanning a box are in China.
 */
export function negotiateLang(query: unknown, acceptLanguage: string | undefined): Lang {
  if (query === 'en' || query === 'zh') return query;
  let best: { lang: Lang; q: number } | undefined;
  for (const part of (acceptLanguage ?? '').split(',')) {
    const [tag, ...params] = part.trim().toLowerCase().split(';');
    const q = Number(params.find((p) => p.trim().startsWith('q='))?.trim().slice(2) ?? '1');
    const lang = tag === '*' ? undefined : tag.startsWith('zh') ? 'zh' : tag.startsWith('en') ? 'en' : undefined;
    if (lang && Number.isFinite(q) && q > 0 && (!best || q > best.q)) best = { lang, q };
  }
  return best?.lang ?? 'zh';
}

const PROVINCES: Record<string, string> = {
  Gansu: '甘肃省',
  Jiangxi: '江西省',
  Guangdong: '广东省',
  Shaanxi: '陕西省',
  Sichuan: '四川省',
  Hubei: '湖北省',
  Zhejiang: '浙江省',
  Beijing: '北京市',
  Shanghai: '上海市',
};

const CITIES: Record<string, string> = {
  Lixian: '礼县',
  Xunwu: '寻乌',
  Deqing: '德庆',
  Lanzhou: '兰州',
  "Xi'an": '西安',
  Chengdu: '成都',
  Wuhan: '武汉',
  Hangzhou: '杭州',
  Shanghai: '上海',
  Guangzhou: '广州',
  Beijing: '北京',
};

const PRODUCE: Record<string, [string, string]> = {
  apple: ['苹果', 'Apple'],
  passion_fruit: ['百香果', 'Passion fruit'],
  navel_orange: ['脐橙', 'Navel orange'],
};

const VARIETIES: Record<string, string> = { Fuji: '富士', 'Red Delicious': '红元帅', Purple: '紫香', Gala: '嘎啦', 'Golden Delicious': '金冠' };

const GRADES: Record<string, [string, string]> = {
  premium: ['优等品', 'Premium'],
  grade_1: ['一等品', 'Grade 1'],
  grade_2: ['二等品', 'Grade 2'],
  extra: ['特级', 'Extra Class'],
  class_i: ['一级', 'Class I'],
  class_ii: ['二级', 'Class II'],
  jumbo: ['特大果', 'Jumbo'],
  large: ['大果', 'Large'],
  medium: ['中果', 'Medium'],
  cull: ['等外品', 'Cull'],
};

export const produceName = (produce: string, lang: Lang): string => PRODUCE[produce]?.[lang === 'zh' ? 0 : 1] ?? produce;
export const varietyName = (variety: string, lang: Lang): string => (lang === 'zh' ? (VARIETIES[variety] ?? variety) : variety);
export const gradeName = (grade: string, lang: Lang): string => GRADES[grade]?.[lang === 'zh' ? 0 : 1] ?? grade;
export const provinceName = (province: string, lang: Lang): string => (lang === 'zh' ? (PROVINCES[province] ?? province) : province);
export const cityName = (city: string, lang: Lang): string => (lang === 'zh' ? (CITIES[city] ?? city) : city);

/** A county id (`CN-GS-LIXIAN`) as a name: 礼县 / Lixian County. */
export function countyName(countyId: string, lang: Lang): string {
  const c = REFERENCE_COUNTIES.find((x) => x.id === countyId);
  if (!c) return countyId;
  return lang === 'zh' ? c.nameZh : `${c.name} County`;
}

/** A warehouse's city, never its address: the page tells places at city level only. */
export function warehouseCity(warehouseId: string | undefined, lang: Lang): string | undefined {
  const w = REFERENCE_WAREHOUSES.find((x) => x.id === warehouseId);
  return w ? cityName(w.city, lang) : undefined;
}

/** `Lixian Apple (礼县苹果)` → the brand in the page's language. */
export function brandName(brand: string, lang: Lang): string {
  const m = /^(.*?)\s*\((.+)\)\s*$/.exec(brand);
  if (!m) return brand;
  return lang === 'zh' ? m[2] : m[1];
}

export function formatDate(iso: string, lang: Lang): string {
  const d = new Date(iso);
  // Dates of the chain are China time, whatever the server's zone.
  return new Intl.DateTimeFormat(lang === 'zh' ? 'zh-CN' : 'en-GB', { timeZone: 'Asia/Shanghai', year: 'numeric', month: lang === 'zh' ? 'long' : 'short', day: 'numeric' }).format(d);
}

const MESSAGES = {
  zh: {
    title: '产品溯源',
    traceCode: '溯源码',
    produce: '产品',
    variety: '品种',
    grade: '等级',
    brand: '区域公用品牌',
    cooperative: '合作社',
    origin: '产地',
    orchard: '果园',
    harvestedAt: '采收日期',
    gradedAt: '分级日期',
    bestBefore: '最佳食用期至',
    standard: '分级标准',
    journey: '流通轨迹',
    'step.harvested': '采收',
    'step.graded': '分级',
    'step.received': '入库',
    'step.transferred': '调拨',
    'step.dispatched': '发货',
    'step.in_transit': '运输中',
    'step.delivered': '已送达',
    to: '发往',
    notFoundTitle: '未找到该溯源码',
    notFoundText: '请核对包装上的溯源码。刚分级的产品可能需要几分钟后才能查询。',
    unavailableTitle: '暂时无法查询',
    unavailableText: '溯源服务暂时不可用，请稍后再试。',
    switchLang: 'English',
    footer: '由 Firstmile 提供溯源信息 · GS1 数字链接',
  },
  en: {
    title: 'Where your fruit comes from',
    traceCode: 'Trace code',
    produce: 'Produce',
    variety: 'Variety',
    grade: 'Grade',
    brand: 'Regional brand',
    cooperative: 'Cooperative',
    origin: 'Origin',
    orchard: 'Orchard',
    harvestedAt: 'Harvested',
    gradedAt: 'Graded',
    bestBefore: 'Best before',
    standard: 'Grading standard',
    journey: 'Journey',
    'step.harvested': 'Harvested',
    'step.graded': 'Graded',
    'step.received': 'Received',
    'step.transferred': 'Transferred',
    'step.dispatched': 'Dispatched',
    'step.in_transit': 'In transit',
    'step.delivered': 'Delivered',
    to: 'to',
    notFoundTitle: 'Trace code not found',
    notFoundText: 'Please check the code on the box. Produce graded in the last few minutes may not be traceable yet.',
    unavailableTitle: 'Tracing is unavailable',
    unavailableText: 'The tracing service is not answering right now. Please try again in a moment.',
    switchLang: '中文',
    footer: 'Traceability by Firstmile · GS1 Digital Link',
  },
} as const;

export type MessageKey = keyof (typeof MESSAGES)['zh'];
export const t = (lang: Lang, key: MessageKey): string => MESSAGES[lang][key];
export const isMessageKey = (key: string): key is MessageKey => key in MESSAGES.zh;
