import { html, type Html } from '../pages/html';

/*
 * Charts as inline SVG, drawn on the server: they need no JavaScript and no chart library, read
 * the same in every browser, and carry their numbers as text (a <title> per bar and a table beside
 * each chart) for screen readers.
 */

export interface Bar {
  label: string;
  value: number;
  /** Shown in the tooltip and the caption; the value itself when absent. */
  text?: string;
}

const W = 640;
const fmt = (n: number) => n.toLocaleString('en-US', { maximumFractionDigits: 3 });

/** Vertical bars over time (one per day), with the first and last day under the axis. */
export function columns(title: string, bars: readonly Bar[], unit: string): Html {
  const h = 160;
  const max = Math.max(0, ...bars.map((b) => b.value));
  const step = bars.length > 0 ? W / bars.length : W;
  const width = Math.max(1, step * 0.8);
  return html`<figure class="chart"><svg viewBox="0 0 ${W} ${h + 24}" role="img" aria-label="${title}" width="100%" preserveAspectRatio="xMidYMid meet">
<line x1="0" y1="${h}" x2="${W}" y2="${h}" stroke="#9a988f"/>
${bars.map((b, i) => {
  const bh = max > 0 ? (b.value / max) * (h - 8) : 0;
  return html`<rect x="${(i * step + (step - width) / 2).toFixed(1)}" y="${(h - bh).toFixed(1)}" width="${width.toFixed(1)}" height="${bh.toFixed(1)}" fill="#2f7d4a"><title>${b.label}: ${b.text ?? `${fmt(b.value)} ${unit}`}</title></rect>`;
})}
${bars.length > 0 ? html`<text x="0" y="${h + 18}" font-size="12">${bars[0].label}</text><text x="${W}" y="${h + 18}" font-size="12" text-anchor="end">${bars[bars.length - 1].label}</text>` : ''}
</svg><figcaption>${title} (peak ${fmt(max)} ${unit})</figcaption></figure>`;
}

/** Horizontal bars, one per category, with the value written after each bar. */
export function rows(title: string, bars: readonly Bar[], unit: string): Html {
  const line = 26;
  const h = Math.max(line, bars.length * line);
  const max = Math.max(0, ...bars.map((b) => b.value));
  const label = 150;
  const room = W - label - 140;
  return html`<figure class="chart"><svg viewBox="0 0 ${W} ${h}" role="img" aria-label="${title}" width="100%" preserveAspectRatio="xMidYMid meet">
${bars.map((b, i) => {
  const bw = max > 0 ? (b.value / max) * room : 0;
  const y = i * line;
  return html`<text x="${label - 8}" y="${y + 17}" font-size="13" text-anchor="end">${b.label}</text><rect x="${label}" y="${y + 4}" width="${bw.toFixed(1)}" height="${line - 8}" fill="#2f7d4a"><title>${b.label}: ${b.text ?? `${fmt(b.value)} ${unit}`}</title></rect><text x="${(label + bw + 6).toFixed(1)}" y="${y + 17}" font-size="13">${b.text ?? `${fmt(b.value)} ${unit}`}</text>`;
})}
</svg><figcaption>${title}</figcaption></figure>`;
}
