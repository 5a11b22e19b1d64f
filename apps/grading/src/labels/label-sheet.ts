import fs from 'node:fs';
import PDFDocument from 'pdfkit';
import { type LabelData, labelLines, QR_BOX, qrCodePath } from './label';

const MM = 72 / 25.4;
/** A4 portrait holds 2 × 4 labels of 100 × 60 mm with room to cut. */
const COLUMNS = 2;
const ROWS = 4;
const MARGIN_X = (210 - COLUMNS * 100) / 2;
const MARGIN_Y = (297 - ROWS * 60) / 2;
export const LABELS_PER_PAGE = COLUMNS * ROWS;

/**
 * Fonts able to print the Chinese half of a label, first one found wins. The standard PDF fonts have
 * no Chinese glyphs; without one of these the sheet prints the Latin half only (never tofu).
 */
const CJK_FONTS = ['/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf', '/usr/share/fonts/truetype/wqy/wqy-microhei.ttc', '/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc'];

export function findCjkFont(configured?: string): string | undefined {
  return [configured, ...CJK_FONTS].find((f): f is string => !!f && fs.existsSync(f) && f.endsWith('.ttf'));
}

const CJK_RUN = /([\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef]+)/;
const CJK_RUN_TEST = /^[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef]+$/;

/** Drops what the standard fonts cannot print, with the spaces and separators around it. */
export const latinOnly = (s: string): string =>
  s
    .replace(/[^\x20-\x7e\u00a0-\u00ff·–≥≤]+/g, ' ')
    .replace(/\(\s*\)/g, '')
    .replace(/\s+/g, ' ')
    .trim();

/** An A4 sheet (as many pages as it takes) of `count` copies of one label, as a PDF. */
export function labelSheetPdf(label: LabelData, count: number, cjkFont?: string): Promise<Buffer> {
  const doc = new PDFDocument({ size: 'A4', margin: 0, autoFirstPage: false, info: { Title: `Labels ${label.traceCode}`, Producer: 'Firstmile grading' } });
  const chunks: Buffer[] = [];
  doc.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });
  if (cjkFont) doc.registerFont('cjk', cjkFont);
  const lines = labelLines(label)
    .map((l) => ({ ...l, text: cjkFont ? l.text : latinOnly(l.text) }))
    .filter((l) => l.text !== '');
  const qr = qrCodePath(label.url);

  for (let i = 0; i < count; i++) {
    const slot = i % LABELS_PER_PAGE;
    if (slot === 0) doc.addPage();
    const x0 = (MARGIN_X + (slot % COLUMNS) * 100) * MM;
    const y0 = (MARGIN_Y + Math.floor(slot / COLUMNS) * 60) * MM;
    doc.save();
    doc.translate(x0, y0).scale(MM);
    // Cut line, then the QR code: the same path the SVG label draws, in the same millimetres.
    doc.roundedRect(0.5, 0.5, 99, 59, 2).lineWidth(0.2).stroke('#000');
    doc.path(qr).fill('#000');
    let y = 6;
    for (const line of lines) {
      // Chinese fonts of this kind carry no Latin glyphs, so each run gets the font that has its glyphs.
      const runs = line.text.split(CJK_RUN).filter((r) => r !== '');
      runs.forEach((run, i) => {
        const font = CJK_RUN_TEST.test(run) ? 'cjk' : line.bold ? 'Helvetica-Bold' : 'Helvetica';
        doc.font(font).fontSize(line.size);
        // Placed by the baseline, as in the SVG, so runs of the two fonts share one line.
        const options = { lineBreak: false, continued: i < runs.length - 1, baseline: 'alphabetic' as const };
        if (i === 0) doc.text(run, 5, y + line.size * 1.25, options);
        else doc.text(run, options);
      });
      y += line.size * 1.25;
    }
    doc.font('Courier-Bold').fontSize(4).text(label.traceCode, QR_BOX.x - 4, QR_BOX.y + QR_BOX.side + 2.6, { width: QR_BOX.side + 8, align: 'center', lineBreak: false });
    doc.font('Helvetica').fontSize(2.6).text('Scan to trace', QR_BOX.x, QR_BOX.y + QR_BOX.side + 7.6, { width: QR_BOX.side, align: 'center', lineBreak: false });
    doc.restore();
  }
  doc.end();
  return done;
}
