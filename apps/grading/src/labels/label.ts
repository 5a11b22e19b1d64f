import QRCode from 'qrcode';

/** What one box label shows; everything is public (it is printed on the box). */
export interface LabelData {
  /** The regional brand (`Lixian Apple (礼县苹果)`), or null for unbranded produce. */
  brand: string | null;
  produce: string;
  variety: string;
  /** The grade's name in its standard (`一等品 (grade 1)`). */
  grade: string;
  boxKg: number;
  /** YYYY-MM-DD. */
  bestBefore: string;
  traceCode: string;
  /** The GS1 Digital Link URL of the provenance page: the QR code's content. */
  url: string;
}

const PRODUCE_NAMES: Readonly<Record<string, string>> = { apple: '苹果 Apple', passion_fruit: '百香果 Passion fruit', navel_orange: '脐橙 Navel orange' };

/** `Lixian Apple (礼县苹果)` → mark 礼县苹果, name Lixian Apple; a name without a mark is its own mark. */
export function brandParts(brand: string): { mark: string; name: string } {
  const m = /^(.*?)\s*\((.+)\)\s*$/.exec(brand);
  return m ? { mark: m[2], name: m[1] } : { mark: brand, name: '' };
}

export const produceName = (produce: string): string => PRODUCE_NAMES[produce] ?? produce;

/** The QR code's modules (true = dark). Level M: a box gets scuffed, and M still fits the URL in a small code. */
export function qrModules(url: string): { size: number; dark(x: number, y: number): boolean } {
  const qr = QRCode.create(url, { errorCorrectionLevel: 'M' });
  return { size: qr.modules.size, dark: (x, y) => qr.modules.get(y, x) === 1 };
}

const escapeXml = (s: string): string => s.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** One path for all dark modules, one square per module, in label millimetres. */
function qrPath(url: string, x0: number, y0: number, side: number): string {
  const qr = qrModules(url);
  const m = side / qr.size;
  let d = '';
  for (let y = 0; y < qr.size; y++) {
    for (let x = 0; x < qr.size; x++) {
      if (qr.dark(x, y)) d += `M${(x0 + x * m).toFixed(3)} ${(y0 + y * m).toFixed(3)}h${m.toFixed(3)}v${m.toFixed(3)}h-${m.toFixed(3)}z`;
    }
  }
  return d;
}

/** Where the QR code sits on the label (mm): 5 mm from the edges keeps its 4-module quiet zone clear. */
export const QR_BOX = { x: 61, y: 5, side: 34 } as const;

/** The QR code as one SVG path in label millimetres (for the PDF too: PDFKit draws SVG paths). */
export const qrCodePath = (url: string): string => qrPath(url, QR_BOX.x, QR_BOX.y, QR_BOX.side);

/** Text lines of the label, top to bottom, shared by the SVG and the PDF. */
export function labelLines(l: LabelData): { text: string; size: number; bold?: boolean }[] {
  const brand = l.brand ? brandParts(l.brand) : null;
  return [
    ...(brand ? [{ text: brand.mark, size: 7, bold: true }, ...(brand.name ? [{ text: brand.name, size: 3 }] : [])] : []),
    { text: `${produceName(l.produce)} · ${l.variety}`, size: 3.6, bold: true },
    { text: `等级 Grade: ${l.grade}`, size: 3 },
    { text: `净含量 Net wt: ${l.boxKg} kg`, size: 3 },
    { text: `保质期至 Best before: ${l.bestBefore}`, size: 3 },
  ];
}

/**
 * A print-ready 100 × 60 mm label: brand mark, produce, grade, net weight, best-before on the left;
 * the QR code (a 4-module quiet zone kept clear) and the trace code in text on the right.
 */
export function labelSvg(l: LabelData): string {
  const { side: qrSide, x: qrX, y: qrY } = QR_BOX;
  let y = 6;
  const text = labelLines(l)
    .map((line) => {
      y += line.size * 1.25;
      return `<text x="5" y="${y.toFixed(2)}" font-size="${line.size}"${line.bold ? ' font-weight="700"' : ''}>${escapeXml(line.text)}</text>`;
    })
    .join('');
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="100mm" height="60mm" viewBox="0 0 100 60" role="img" aria-label="${escapeXml(`${l.brand ?? produceName(l.produce)} ${l.traceCode}`)}">`,
    `<rect width="100" height="60" fill="#fff"/>`,
    `<rect x="0.5" y="0.5" width="99" height="59" rx="2" fill="none" stroke="#000" stroke-width="0.3"/>`,
    `<g font-family="'Noto Sans CJK SC','Source Han Sans SC','PingFang SC','Microsoft YaHei','Droid Sans Fallback',sans-serif" fill="#000">${text}</g>`,
    `<path d="${qrCodePath(l.url)}" fill="#000"/>`,
    `<text x="${qrX + qrSide / 2}" y="${qrY + qrSide + 6}" font-family="'DejaVu Sans Mono',monospace" font-size="4" font-weight="700" text-anchor="middle" letter-spacing="0.3">${escapeXml(l.traceCode)}</text>`,
    `<text x="${qrX + qrSide / 2}" y="${qrY + qrSide + 10.5}" font-family="sans-serif" font-size="2.6" text-anchor="middle">扫码溯源 Scan to trace</text>`,
    `</svg>`,
  ].join('');
}
