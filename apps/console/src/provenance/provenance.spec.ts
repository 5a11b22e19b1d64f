import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { gtinFor } from '@firstmile/gs1';

/**
 * The page against a stand-in for grading's public provenance API (the real one is exercised by the
 * end-to-end browser tests): what it shows, in which language, and what it never shows.
 */
const STORY = {
  traceCode: '7K3M9Q2X4W8P',
  gtin: gtinFor({ produce: 'apple', gradeRank: 1, brand: 'Lixian Apple (礼县苹果)' }),
  produce: 'apple',
  variety: 'Fuji',
  grade: 'grade_1',
  brand: 'Lixian Apple (礼县苹果)',
  standard: 'gb-t-10651-2008',
  bestBefore: '2027-03-01T08:00:00.000Z',
  cooperative: { name: 'Lixian Hongtu Apple Cooperative', county: 'CN-GS-LIXIAN', province: 'Gansu' },
  orchard: { name: 'Yanguan south slope', location: { lat: 34.131234, lon: 105.121234 } },
  harvestedAt: '2026-10-01T02:00:00.000Z',
  gradedAt: '2026-10-02T03:00:00.000Z',
  journey: [
    { step: 'harvested', at: '2026-10-01T02:00:00.000Z', place: { name: 'Yanguan south slope', location: { lat: 34.131234, lon: 105.121234 } } },
    { step: 'graded', at: '2026-10-02T03:00:00.000Z', place: { warehouseId: 'WH-LIXIAN-ORIGIN', name: 'Lixian origin warehouse' } },
    { step: 'transferred', at: '2026-10-03T03:00:00.000Z', place: { warehouseId: 'WH-LIXIAN-ORIGIN' }, to: { warehouseId: 'DC-XIAN' } },
    { step: 'in_transit', at: '2026-10-05T03:00:00.000Z', place: { name: 'Hangzhou', location: { lat: 30.27, lon: 120.15 } } },
    { step: 'delivered', at: '2026-10-06T03:00:00.000Z', place: { name: 'No. 8 Wensan Road, Xihu District', location: { lat: 30.2741, lon: 120.1551 } } },
  ],
};

describe('provenance page', () => {
  let grading: http.Server;
  let app: NestFastifyApplication;
  let down = false;

  beforeAll(async () => {
    grading = http.createServer((req, res) => {
      if (down) return void res.destroy();
      if (req.url === `/v1/provenance/${STORY.traceCode}`) return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(STORY));
      res.writeHead(404, { 'content-type': 'application/problem+json' }).end(JSON.stringify({ status: 404, title: 'Not Found' }));
    });
    await new Promise<void>((r) => grading.listen(0, '127.0.0.1', r));
    process.env['GRADING_URL'] = `http://127.0.0.1:${(grading.address() as AddressInfo).port}`;
    process.env['LOG_LEVEL'] = 'silent';
    process.env['UPSTREAM_TIMEOUT_MS'] = '1000';
    // The config is read when the app module loads, so it loads after the stand-in's port is known.
    const { createApp } = await import('../app');
    app = await createApp();
    await app.init();
    await app.getHttpAdapter().getInstance().ready();
  });

  afterAll(async () => {
    await app?.close();
    await new Promise((r) => grading.close(r));
  });

  const get = (url: string, headers: Record<string, string> = {}) => app.inject({ method: 'GET', url, headers });

  it('tells the story in Chinese by default: brand, produce, grade, origin, dates and the journey', async () => {
    const res = await get(`/p/${STORY.traceCode}`);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.headers['content-language']).toBe('zh-CN');
    expect(res.headers['vary']).toContain('Accept-Language');
    const page = res.body;
    expect(page).toContain('<html lang="zh-CN">');
    for (const text of ['礼县苹果', '苹果 · 富士', '一等品', 'Lixian Hongtu Apple Cooperative', '礼县 · 甘肃省', 'Yanguan south slope', '2026年10月1日', '2027年3月1日', STORY.traceCode]) {
      expect(page).toContain(text);
    }
    const journey = page.slice(page.indexOf('流通轨迹'));
    expect([...journey.matchAll(/<strong>([^<]+)<\/strong>/g)].map((m) => m[1])).toEqual(['采收', '分级', '调拨', '运输中', '已送达']);
    expect(journey).toContain('调拨</strong> · 礼县 → 西安');
    expect(journey).toContain('运输中</strong> · 杭州');
  });

  it('speaks English when asked by Accept-Language or ?lang=en, and links to the other language', async () => {
    const byHeader = await get(`/p/${STORY.traceCode}`, { 'accept-language': 'en-US,en;q=0.9,zh;q=0.5' });
    expect(byHeader.headers['content-language']).toBe('en');
    for (const text of ['Lixian Apple', 'Apple · Fuji', 'Grade 1', 'Lixian County, Gansu', '1 Oct 2026', 'Best before', 'In transit']) {
      expect(byHeader.body).toContain(text);
    }
    expect(byHeader.body).toContain(`href="/p/${STORY.traceCode}?lang=zh"`);
    expect((await get(`/p/${STORY.traceCode}?lang=en`, { 'accept-language': 'zh-CN' })).headers['content-language']).toBe('en');
    expect((await get(`/p/${STORY.traceCode}`, { 'accept-language': 'fr-FR, zh;q=0.1, en;q=0.2' })).headers['content-language']).toBe('en');
  });

  it('shows no coordinates, no delivery address and no script, and stays far under 100 KB', async () => {
    const page = (await get(`/p/${STORY.traceCode}`)).body;
    expect(page).not.toMatch(/34\.13|105\.12|30\.27|120\.15/);
    expect(page).not.toContain('Wensan');
    expect(page).not.toContain('<script');
    expect(Buffer.byteLength(page)).toBeLessThan(100 * 1024);
  });

  it('serves the same page at the GS1 Digital Link of the sub-lot, and 404 when the GTIN is another article\'s', async () => {
    const res = await get(`/01/${STORY.gtin}/10/${STORY.traceCode}?lang=en`);
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('Lixian Apple');
    expect((await get(`/01/${gtinFor({ produce: 'apple', gradeRank: 2, brand: null })}/10/${STORY.traceCode}`)).statusCode).toBe(404);
    expect((await get(`/01/12345678901234/10/${STORY.traceCode}`)).statusCode).toBe(404);
  });

  it('answers unknown and malformed codes with a friendly 404 page in the reader\'s language', async () => {
    const unknown = await get('/p/0000000000ZZ');
    expect(unknown.statusCode).toBe(404);
    expect(unknown.headers['content-type']).toContain('text/html');
    expect(unknown.body).toContain('未找到该溯源码');
    const malformed = await get('/p/%3Cscript%3E', { 'accept-language': 'en' });
    expect(malformed.statusCode).toBe(404);
    expect(malformed.body).toContain('Trace code not found');
    expect(malformed.body).not.toContain('<script>');
  });

  it('says tracing is unavailable (503) while grading does not answer', async () => {
    down = true;
    try {
      const res = await get(`/p/${STORY.traceCode}`);
      expect(res.statusCode).toBe(503);
      expect(res.body).toContain('暂时无法查询');
    } finally {
      down = false;
    }
  });
});
