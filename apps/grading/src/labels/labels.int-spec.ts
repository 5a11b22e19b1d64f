import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { Producer } from 'kafkajs';
import { LotLoggedV1 } from '@firstmile/contracts';
import { isGtin14, parseDigitalLinkPath } from '@firstmile/gs1';
import { newEvent } from '@firstmile/messaging';
import { bearer, startApp, TopicProbe, waitFor } from '@firstmile/testing';
import { createApp } from '../app';

const has = (tool: string) => spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0;
/** Decoding needs zbarimg (Debian zbar-tools) and, for the PDF, Ghostscript; `.ci/run` installs both. */
const decoders = has('zbarimg') && has('gs');
const itDecodes = decoders ? it : it.skip;
if (!decoders) process.stderr.write('labels.int-spec: zbarimg or gs missing (apt-get install zbar-tools ghostscript): the QR decoding test is skipped\n');

const LIXIAN_WH = 'WH-LIXIAN-ORIGIN';
const line = (warehouse: string) => bearer({ role: 'grading_line', warehouses: [warehouse] });
// PUBLIC_BASE_URL's default: the config is read when the app module loads, before any test could set it.
const BASE = 'http://127.0.0.1:3100';

describe('box labels', () => {
  let app: NestFastifyApplication;
  let producer: Producer;
  let subLot: { id: string; grade: string; brand: string | null; traceCode: string; bestBefore: string };
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'labels-'));

  beforeAll(async () => {
    app = await startApp(createApp);
    producer = await TopicProbe.producer();
    const lot: LotLoggedV1 = {
      lotId: `LOT-${randomUUID().slice(0, 8).toUpperCase()}`,
      cooperative: { id: 'COOP-L1', name: 'Label Test Cooperative', county: 'CN-GS-LIXIAN', province: 'Gansu' },
      growerId: 'GRW-L1',
      orchard: { id: 'ORC-L1', name: 'South slope', location: { lat: 34.19, lon: 105.18 } },
      produce: 'apple',
      variety: 'Fuji',
      harvestedAt: new Date(Date.now() - 86_400_000).toISOString(),
      quantityKg: 100,
      originWarehouseId: LIXIAN_WH,
      loggedAt: new Date().toISOString(),
    };
    const e = newEvent(LotLoggedV1.type, lot, { source: 'test' });
    await TopicProbe.publish(producer, [e]);
    const url = `/v1/lots/${lot.lotId}/grading`;
    await waitFor(async () => (await app.inject({ method: 'GET', url, headers: line(LIXIAN_WH) })).statusCode === 200, { what: 'the lot to arrive' });
    const graded = await app.inject({ method: 'POST', url, headers: line(LIXIAN_WH), payload: { bands: [{ grade: 'grade_1', quantityKg: 90 }] } });
    expect(graded.statusCode).toBe(201);
    subLot = graded.json().subLots[0];
    // The label reads the provenance record, confirmed when grading's own lot.graded comes back.
    await waitFor(async () => (await app.inject({ method: 'GET', url: `/v1/provenance/${subLot.traceCode}` })).statusCode === 200, { what: 'provenance' });
  });

  afterAll(async () => {
    await producer?.disconnect();
    await app?.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  const get = (url: string, headers: Record<string, string>) => app.inject({ method: 'GET', url, headers });

  it('draws a 100 × 60 mm SVG label with the brand, grade, box weight, best-before and trace code', async () => {
    const res = await get(`/v1/sub-lots/${subLot.id}/label.svg?boxKg=10`, line(LIXIAN_WH));
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('image/svg+xml');
    const svg = res.body;
    expect(svg).toMatch(/^<svg [^>]*width="100mm" height="60mm" viewBox="0 0 100 60"/);
    for (const text of ['礼县苹果', 'Lixian Apple', 'Fuji', '一等品 (grade 1)', 'Net wt: 10 kg', `Best before: ${subLot.bestBefore.slice(0, 10)}`, subLot.traceCode]) {
      expect(svg).toContain(text);
    }
    expect((await get(`/v1/sub-lots/${subLot.id}/label.svg`, line(LIXIAN_WH))).body).toContain('Net wt: 5 kg');
  });

  it('labels only for the grading line of the sub-lot\'s warehouse and ops; bad queries are problems', async () => {
    expect((await get(`/v1/sub-lots/${subLot.id}/label.svg`, bearer({ role: 'ops' }))).statusCode).toBe(200);
    const foreign = await get(`/v1/sub-lots/${subLot.id}/label.svg`, line('WH-XUNWU-ORIGIN'));
    expect(foreign.statusCode).toBe(404);
    expect(foreign.headers['content-type']).toContain('application/problem+json');
    expect((await get(`/v1/sub-lots/${subLot.id}/label.svg`, bearer({ role: 'coop_manager', coop: 'COOP-L1' }))).statusCode).toBe(403);
    expect((await get(`/v1/sub-lots/${subLot.id}/label.svg`, {})).statusCode).toBe(401);
    expect((await get(`/v1/sub-lots/SUB-NOPE/label.svg`, line(LIXIAN_WH))).statusCode).toBe(404);
    for (const q of ['boxes=501', 'boxes=0', 'boxes=2.5', 'boxKg=-1', 'boxKg=1e-9', 'boxKg=abc', 'colour=red']) {
      const bad = await get(`/v1/sub-lots/${subLot.id}/labels.pdf?${q}`, line(LIXIAN_WH));
      expect([q, bad.statusCode, bad.headers['content-type']]).toEqual([q, 400, expect.stringContaining('application/problem+json')]);
    }
  });

  it('prints N labels on A4 pages of 8', async () => {
    const res = await get(`/v1/sub-lots/${subLot.id}/labels.pdf?boxes=20`, line(LIXIAN_WH));
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('application/pdf');
    const pdf = res.rawPayload;
    expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
    // 20 labels at 8 a page: 3 A4 pages (595.28 × 841.89 pt).
    expect(pdf.toString('latin1').match(/\/Type \/Page\b/g)).toHaveLength(3);
    expect(pdf.toString('latin1')).toContain('/MediaBox [0 0 595.28 841.89]');
  });

  itDecodes('every label\'s QR code decodes to the GS1 Digital Link of the provenance page', async () => {
    const res = await get(`/v1/sub-lots/${subLot.id}/labels.pdf?boxes=8`, line(LIXIAN_WH));
    fs.writeFileSync(path.join(tmp, 'sheet.pdf'), res.rawPayload);
    execFileSync('gs', ['-q', '-dNOPAUSE', '-dBATCH', '-dSAFER', '-sDEVICE=pnggray', '-r200', `-sOutputFile=${path.join(tmp, 'sheet.png')}`, path.join(tmp, 'sheet.pdf')], { stdio: 'ignore' });
    const decoded = execFileSync('zbarimg', ['-q', '--raw', path.join(tmp, 'sheet.png')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim().split('\n');
    expect(decoded).toHaveLength(8);
    expect(new Set(decoded).size).toBe(1);
    const url = new URL(decoded[0]);
    expect(url.origin).toBe(BASE);
    const link = parseDigitalLinkPath(url.pathname) ?? { gtin: '', lot: '' };
    expect(link.lot).toBe(subLot.traceCode);
    expect(isGtin14(link.gtin)).toBe(true);
    // The page's data names the same article: grading's provenance answers with the label's GTIN.
    expect((await app.inject({ method: 'GET', url: `/v1/provenance/${subLot.traceCode}` })).json().gtin).toBe(link.gtin);
  });
});
