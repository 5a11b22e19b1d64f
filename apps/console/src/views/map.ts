import { REFERENCE_WAREHOUSES } from '@firstmile/reference';
import { html, type Html, raw } from '../pages/html';

/**
 * A coarse outline of China's mainland, Hainan and Taiwan as [lon, lat] (about 100 points, drawn
 * from memory of the border at the scale of a phone screen): enough to place checkpoints on, no tile
 * server and nothing fetched at run time. Not a survey; it is a backdrop.
 */
const MAINLAND: [number, number][] = [
  [122.3, 53.5], [125.5, 53.0], [127.6, 49.8], [130.6, 48.9], [132.5, 47.7], [134.7, 48.3], [133.1, 45.1], [131.1, 44.4],
  [130.6, 42.4], [128.0, 41.5], [124.4, 40.0], [121.6, 38.9], [121.0, 40.8], [119.5, 39.8], [117.7, 39.0], [118.9, 37.5],
  [120.7, 37.8], [122.6, 37.4], [120.3, 36.0], [119.2, 34.6], [120.8, 32.0], [121.9, 30.9], [121.9, 29.9], [121.4, 28.2],
  [119.6, 26.0], [118.1, 24.5], [116.7, 23.3], [114.2, 22.3], [113.0, 22.0], [110.4, 21.2], [110.2, 20.3], [109.7, 21.5],
  [108.1, 21.5], [106.7, 22.0], [105.3, 23.3], [103.9, 22.5], [102.1, 21.4], [101.7, 21.2], [99.2, 22.1], [98.7, 24.1],
  [97.5, 24.7], [98.7, 27.6], [97.3, 28.2], [96.2, 29.2], [94.0, 28.0], [92.0, 27.8], [88.8, 27.3], [86.0, 27.9],
  [84.0, 28.6], [81.0, 30.2], [79.0, 31.3], [78.7, 32.6], [79.5, 35.5], [77.8, 35.5], [75.9, 36.8], [74.9, 37.2],
  [73.5, 39.4], [74.9, 40.5], [76.8, 41.0], [80.2, 42.1], [80.8, 43.2], [80.4, 44.9], [82.5, 45.2], [82.3, 46.0],
  [83.0, 47.2], [85.6, 47.1], [87.3, 49.1], [90.0, 47.9], [91.0, 46.5], [90.9, 45.3], [95.3, 44.2], [96.4, 42.7],
  [100.8, 42.6], [105.0, 41.6], [107.0, 42.3], [110.5, 42.6], [111.9, 43.7], [114.5, 44.8], [116.7, 46.6], [119.9, 46.7],
  [117.8, 47.9], [117.4, 49.6], [119.3, 50.3], [120.2, 51.7],
];
const HAINAN: [number, number][] = [[108.6, 19.2], [110.0, 20.1], [111.0, 19.6], [110.5, 18.7], [109.5, 18.2], [108.7, 18.5]];
const TAIWAN: [number, number][] = [[121.0, 25.0], [121.9, 25.1], [121.6, 23.5], [120.9, 22.0], [120.2, 22.6], [120.1, 23.6]];

const WEST = 72;
const NORTH = 54.5;
const SCALE = 10;
/** Equirectangular, squeezed east-west by cos 35° so the country keeps its shape at mid-latitudes. */
const COS = Math.cos((35 * Math.PI) / 180);
export const project = (lon: number, lat: number): [number, number] => [(lon - WEST) * COS * SCALE, (NORTH - lat) * SCALE];
const WIDTH = Math.ceil((136 - WEST) * COS * SCALE);
const HEIGHT = Math.ceil((NORTH - 17.5) * SCALE);

const polygon = (points: [number, number][]): string =>
  points.map(([lon, lat]) => project(lon, lat).map((v) => v.toFixed(1)).join(',')).join(' ');

export interface MapPoint {
  lat: number;
  lon: number;
  label: string;
  kind: 'origin' | 'checkpoint' | 'destination';
}

/**
 * The journey on the outline: framed on its points (at least 10° × 7°, so a short route is not a
 * dot on a continent), a line through them in order, each numbered and named in a list below —
 * names beside close points would overlap, and a list reads out well in a screen reader.
 */
export function journeyMap(points: MapPoint[], title: string): Html {
  const xy = points.map((p) => project(p.lon, p.lat));
  const colour = { origin: '#1f5130', checkpoint: '#c25e00', destination: '#1d3f8f' };
  const xs = xy.map(([x]) => x);
  const ys = xy.map(([, y]) => y);
  const minW = 10 * COS * SCALE;
  const minH = 7 * SCALE;
  const [left, right, top, bottom] = xs.length ? [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)] : [0, WIDTH, 0, HEIGHT];
  let w = Math.max(minW, (right - left) * 1.4);
  let h = Math.max(minH, (bottom - top) * 1.4);
  // Landscape, like the screen it is on: between 4:3 and 2:1, and never more than the whole map.
  if (w < h * 1.33) w = h * 1.33;
  if (w > h * 2) h = w / 2;
  [w, h] = [Math.min(w, WIDTH), Math.min(h, HEIGHT)];
  const x0 = Math.max(0, Math.min(WIDTH - w, (left + right) / 2 - w / 2));
  const y0 = Math.max(0, Math.min(HEIGHT - h, (top + bottom) / 2 - h / 2));
  const r = w / 45;
  // The network's cities as landmarks, so an inland route is not three dots on a blank.
  const seen = new Set<string>();
  const landmarks = REFERENCE_WAREHOUSES.filter((c) => !seen.has(c.city) && seen.add(c.city))
    .map((c) => ({ city: c.city, at: project(c.location.lon, c.location.lat) }))
    .filter(({ at: [x, y] }) => x > x0 && x < x0 + w && y > y0 && y < y0 + h && xy.every(([px, py]) => Math.hypot(px - x, py - y) > r * 3));
  const outline = (pts: [number, number][]) => `<polygon points="${polygon(pts)}" fill="#fffdf7" stroke="#6b6b6b" stroke-width="1.5" vector-effect="non-scaling-stroke"/>`;
  return html`<figure class="map-figure"><svg class="map" viewBox="${x0.toFixed(1)} ${y0.toFixed(1)} ${w.toFixed(1)} ${h.toFixed(1)}" role="img" aria-labelledby="map-title"><title id="map-title">${title}</title>
<rect x="${x0.toFixed(1)}" y="${y0.toFixed(1)}" width="${w.toFixed(1)}" height="${h.toFixed(1)}" fill="#d9e6ef"/>
${raw(outline(MAINLAND) + outline(HAINAN) + outline(TAIWAN))}
${xy.length > 1 ? raw(`<polyline points="${xy.map(([x, y]) => `${x.toFixed(1)},${y.toFixed(1)}`).join(' ')}" fill="none" stroke="#c25e00" stroke-width="3" stroke-dasharray="8 5" vector-effect="non-scaling-stroke"/>`) : ''}
${landmarks.map((l) => html`<g><circle cx="${l.at[0].toFixed(1)}" cy="${l.at[1].toFixed(1)}" r="${(r / 3).toFixed(2)}" fill="#6b6b6b"/><text x="${(l.at[0] + r / 2).toFixed(1)}" y="${(l.at[1] + r / 3).toFixed(1)}" font-size="${r.toFixed(2)}" fill="#4a4a4a">${l.city}</text></g>`)}
${points.map((p, i) => html`<g><circle class="stop" cx="${xy[i][0].toFixed(1)}" cy="${xy[i][1].toFixed(1)}" r="${r.toFixed(2)}" fill="${colour[p.kind]}"/><text x="${xy[i][0].toFixed(1)}" y="${(xy[i][1] + r * 0.4).toFixed(1)}" font-size="${(r * 1.2).toFixed(2)}" text-anchor="middle" fill="#fff" font-weight="700">${i + 1}</text></g>`)}
</svg><figcaption><ol class="legend">${points.map((p) => html`<li><span class="dot ${p.kind}"></span>${p.label}</li>`)}</ol></figcaption></figure>`;
}
