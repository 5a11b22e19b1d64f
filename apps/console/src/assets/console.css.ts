/**
 * The console's one stylesheet, served from /assets (no CDN, no build step: it ships inside the
 * compiled app). Colours keep WCAG AA contrast (4.5:1 for text); focus is always visible.
 */
export const CONSOLE_CSS = `
*{box-sizing:border-box}
body{margin:0;font:16px/1.5 system-ui,-apple-system,"PingFang SC","Noto Sans CJK SC","Microsoft YaHei",sans-serif;color:#1b1b1b;background:#f6f5f0}
a{color:#1f5130}a:focus-visible,button:focus-visible,input:focus-visible,select:focus-visible,textarea:focus-visible{outline:3px solid #c25e00;outline-offset:2px}
.skip{position:absolute;left:-999px}.skip:focus{left:.5rem;top:.5rem;background:#fff;padding:.5rem;z-index:2}
header.bar{background:#1f5130;color:#fff;padding:.5rem 1rem;display:flex;flex-wrap:wrap;gap:.5rem 1.25rem;align-items:center}
header.bar a{color:#fff}header.bar .who{margin-left:auto;font-size:.9rem}header.bar form{display:inline}
header.bar button{background:transparent;color:#fff;border:1px solid #fff;border-radius:4px;padding:.15rem .5rem;font:inherit;cursor:pointer}
nav ul{list-style:none;margin:0;padding:0;display:flex;flex-wrap:wrap;gap:.25rem 1rem}
main{max-width:72rem;margin:0 auto;padding:1rem}main.narrow{max-width:34rem}
h1{font-size:1.5rem;margin:.5rem 0 1rem}h2{font-size:1.15rem;margin:1.25rem 0 .5rem}
section.card,form.card{background:#fff;border-radius:8px;padding:1rem;margin:0 0 1rem;box-shadow:0 1px 2px rgba(0,0,0,.08)}
.figures{display:grid;grid-template-columns:repeat(auto-fit,minmax(11rem,1fr));gap:.75rem;margin:0 0 1rem}.figures .card{background:#fff;border-radius:8px;padding:.5rem .75rem;box-shadow:0 1px 2px rgba(0,0,0,.08)}.figures p{margin:.2rem 0}
figure.chart{background:#fff;border-radius:8px;padding:.75rem;margin:0 0 1rem;box-shadow:0 1px 2px rgba(0,0,0,.08)}figure.chart figcaption{font-size:.9rem;color:#4a4a45}
table{border-collapse:collapse;width:100%;background:#fff}th,td{text-align:left;padding:.4rem .5rem;border-bottom:1px solid #ddd;vertical-align:top}
th{background:#eceae1}td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
.table-wrap{overflow-x:auto}
label{display:block;font-weight:600;margin:.6rem 0 .2rem}
input,select,textarea{font:inherit;width:100%;max-width:28rem;padding:.45rem;border:1px solid #6b6b6b;border-radius:4px;background:#fff;color:#1b1b1b}
input[type=checkbox]{width:auto}
.row{display:flex;flex-wrap:wrap;gap:0 1rem}.row>div{flex:1 1 10rem}
button,.button{display:inline-block;font:inherit;font-weight:600;background:#1f5130;color:#fff;border:0;border-radius:4px;padding:.5rem 1rem;margin-top:.75rem;cursor:pointer;text-decoration:none}
button.secondary{background:#fff;color:#1f5130;border:1px solid #1f5130}
.hint{color:#4a4a4a;font-size:.9rem;margin:.15rem 0 0}
.error{color:#a4001d;font-weight:600;margin:.2rem 0 0}[aria-invalid=true]{border-color:#a4001d;border-width:2px}
.alert{border-left:4px solid #a4001d;background:#fff3f3;padding:.5rem 1rem;margin:0 0 1rem}.ok{border-left:4px solid #1f5130;background:#f0f7f1;padding:.5rem 1rem;margin:0 0 1rem}
.badge{display:inline-block;padding:0 .4rem;border-radius:4px;font-size:.85rem;font-weight:600;background:#e4e2d8;color:#1b1b1b}
.badge.good{background:#d6ecd9;color:#14401f}.badge.bad{background:#f8d7da;color:#6e0013}.badge.warn{background:#fde8c8;color:#5c3200}
.soon{background:#fde8c8}.expired{background:#f8d7da}
.board{display:grid;grid-template-columns:repeat(auto-fit,minmax(13rem,1fr));gap:1rem}.board ul{list-style:none;padding:0;margin:0}.board li{background:#fff;border-radius:6px;padding:.5rem;margin:.4rem 0;box-shadow:0 1px 2px rgba(0,0,0,.08)}
ol.timeline{list-style:none;padding:0;margin:0}ol.timeline li{border-left:3px solid #8fbf9f;padding:0 0 .75rem 1rem;margin-left:.4rem}
.map-figure{margin:0}.map{width:100%;max-width:36rem;background:#fff;border-radius:8px}ol.legend{margin:.25rem 0 0;padding-left:1.5rem}.dot{display:inline-block;width:.7rem;height:.7rem;border-radius:50%;margin-right:.35rem}.dot.origin{background:#1f5130}.dot.checkpoint{background:#c25e00}.dot.destination{background:#1d3f8f}
.demo{display:flex;flex-wrap:wrap;gap:.5rem}.demo button{margin:0}
code,.code{font-family:ui-monospace,monospace}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:.25rem 1rem}dl.facts dt{color:#4a4a4a}dl.facts dd{margin:0;font-weight:600}
`;
