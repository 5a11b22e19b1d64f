import { html, type Html, raw } from '../pages/html';
import {
  brandName,
  cityName,
  countyName,
  formatDate,
  gradeName,
  type Lang,
  produceName,
  provinceName,
  t,
  varietyName,
  warehouseCity,
} from '../pages/i18n';

/** grading's `GET /v1/provenance/:traceCode`, the fields the page uses. */
export interface ProvenanceView {
  traceCode: string;
  gtin: string;
  produce: string;
  variety: string;
  grade: string;
  brand: string | null;
  standard: string;
  bestBefore: string;
  cooperative: { name: string; county: string; province: string };
  orchard: { name: string };
  harvestedAt: string;
  gradedAt: string;
  journey: { step: string; at: string; place: { warehouseId?: string; name?: string }; to?: { warehouseId?: string; name?: string } }[];
}

// One small inline stylesheet: the page is a single request, readable at 320 px, no web fonts.
const STYLE = raw(`
*{box-sizing:border-box}body{margin:0;font:16px/1.5 system-ui,-apple-system,"PingFang SC","Noto Sans CJK SC","Microsoft YaHei",sans-serif;color:#1b1b1b;background:#f6f5f0}
main{max-width:40rem;margin:0 auto;padding:1rem}header{background:#1f5130;color:#fff;padding:1.25rem 1rem}header .in{max-width:40rem;margin:0 auto}
h1{margin:.25rem 0;font-size:1.75rem;line-height:1.2}.sub{margin:0;opacity:.95}.mark{display:inline-block;border:2px solid #fff;border-radius:4px;padding:0 .4rem;font-weight:700}
nav.lang{text-align:right;margin:-.5rem 0 .5rem}nav.lang a{color:#fff}
section{background:#fff;border-radius:8px;padding:1rem;margin:1rem 0;box-shadow:0 1px 2px rgba(0,0,0,.08)}h2{font-size:1.15rem;margin:0 0 .5rem}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.35rem 1rem;margin:0}dt{color:#4a4a4a}dd{margin:0;font-weight:600}
ol{list-style:none;margin:0;padding:0}li{position:relative;padding:0 0 1rem 1.5rem;border-left:3px solid #8fbf9f;margin-left:.4rem}li:last-child{border-color:transparent}
li::before{content:"";position:absolute;left:-.55rem;top:.3rem;width:.8rem;height:.8rem;border-radius:50%;background:#1f5130}
.when{color:#4a4a4a;font-size:.9rem}.code{font-family:ui-monospace,monospace;letter-spacing:.05em}footer{color:#4a4a4a;font-size:.85rem;text-align:center;padding:1rem}
a{color:#1f5130}
`);

function layout(lang: Lang, title: string, switchHref: string, body: Html, header: Html): Html {
  return html`<!doctype html>
<html lang="${lang === 'zh' ? 'zh-CN' : 'en'}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>
<style>${STYLE}</style>
</head>
<body>
<header><div class="in"><nav class="lang" aria-label="${lang === 'zh' ? '语言' : 'Language'}"><a href="${switchHref}" hreflang="${lang === 'zh' ? 'en' : 'zh'}" lang="${lang === 'zh' ? 'en' : 'zh-CN'}">${t(lang, 'switchLang')}</a></nav>${header}</div></header>
<main>${body}</main>
<footer>${t(lang, 'footer')}</footer>
</body>
</html>`;
}

const other = (lang: Lang): Lang => (lang === 'zh' ? 'en' : 'zh');

/** A place of the journey at city level: a warehouse's city, a checkpoint's name; a delivery's address never. */
function placeOf(step: ProvenanceView['journey'][number], lang: Lang): string | undefined {
  if (step.step === 'delivered' || step.step === 'harvested') return undefined;
  return warehouseCity(step.place.warehouseId, lang) ?? (step.place.name ? cityName(step.place.name, lang) : undefined);
}

export function provenancePage(v: ProvenanceView, lang: Lang, path: string): Html {
  const origin = `${countyName(v.cooperative.county, lang)}${lang === 'zh' ? ' · ' : ', '}${provinceName(v.cooperative.province, lang)}`;
  const produce = `${produceName(v.produce, lang)} · ${varietyName(v.variety, lang)}`;
  const header = html`${v.brand ? html`<p class="sub"><span class="mark">${brandName(v.brand, lang)}</span></p>` : ''}
<h1>${produce}</h1>
<p class="sub">${t(lang, 'grade')}: ${gradeName(v.grade, lang)} · ${origin}</p>`;
  const facts: [string, string | Html][] = [
    [t(lang, 'produce'), produceName(v.produce, lang)],
    [t(lang, 'variety'), varietyName(v.variety, lang)],
    [t(lang, 'grade'), gradeName(v.grade, lang)],
    ...(v.brand ? [[t(lang, 'brand'), brandName(v.brand, lang)] as [string, string]] : []),
    [t(lang, 'cooperative'), v.cooperative.name],
    [t(lang, 'origin'), origin],
    [t(lang, 'orchard'), v.orchard.name],
    [t(lang, 'harvestedAt'), formatDate(v.harvestedAt, lang)],
    [t(lang, 'gradedAt'), formatDate(v.gradedAt, lang)],
    [t(lang, 'bestBefore'), formatDate(v.bestBefore, lang)],
    [t(lang, 'traceCode'), html`<span class="code">${v.traceCode}</span>`],
  ];
  const steps = v.journey.map((s) => {
    const place = placeOf(s, lang);
    const to = s.step === 'transferred' ? (warehouseCity(s.to?.warehouseId, lang) ?? undefined) : undefined;
    const key = `step.${s.step}` as Parameters<typeof t>[1];
    return html`<li><strong>${t(lang, key) ?? s.step}</strong>${place ? html` · ${place}` : ''}${to ? html` → ${to}` : ''}<br><time class="when" datetime="${s.at}">${formatDate(s.at, lang)}</time></li>`;
  });
  const body = html`<section aria-labelledby="facts"><h2 id="facts">${t(lang, 'title')}</h2><dl>${facts.map(([k, val]) => html`<dt>${k}</dt><dd>${val}</dd>`)}</dl></section>
<section aria-labelledby="journey"><h2 id="journey">${t(lang, 'journey')}</h2><ol>${steps}</ol></section>`;
  return layout(lang, `${v.brand ? brandName(v.brand, lang) : produceName(v.produce, lang)} · ${t(lang, 'title')}`, `${path}?lang=${other(lang)}`, body, header);
}

/** The friendly answer to an unknown or malformed code (404), or to grading not answering (503). */
export function provenanceProblemPage(kind: 'notFound' | 'unavailable', lang: Lang, path: string): Html {
  const title = t(lang, kind === 'notFound' ? 'notFoundTitle' : 'unavailableTitle');
  const text = t(lang, kind === 'notFound' ? 'notFoundText' : 'unavailableText');
  return layout(lang, title, `${path}?lang=${other(lang)}`, html`<section><p>${text}</p></section>`, html`<h1>${title}</h1>`);
}
