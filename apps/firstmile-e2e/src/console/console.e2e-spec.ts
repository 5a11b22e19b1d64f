import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { REPO_ROOT, token, waitFor } from '@firstmile/testing';
import { client, startStack, type Stack } from '../stack';

/**
 * The console and the provenance page in a real browser: Debian's Chromium driven by
 * playwright-core, axe-core on every view, QR codes decoded by zbarimg. `.ci/run` installs
 * chromium and zbar-tools when they are missing; without them this suite is skipped, and says so.
 */
const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => fs.existsSync(p));
const ZBARIMG = spawnSync('sh', ['-c', 'command -v zbarimg']).status === 0;
const SHOTS = path.join(REPO_ROOT, '.cache', 'screenshots');
const AXE = require.resolve('axe-core/axe.min.js');
const DEMO_TOKENS = path.join(REPO_ROOT, '.cache', `console-demo-tokens-${process.pid}.json`);

const describeIfChromium = CHROMIUM ? describe : describe.skip;
if (!CHROMIUM) process.stderr.write('console.e2e-spec: no chromium (apt-get install chromium): the browser tests are skipped\n');

interface AxeResult {
  violations: { id: string; impact: string | null; help: string; nodes: { target: unknown[] }[] }[];
}

describeIfChromium('the console and the provenance page in a browser', () => {
  let stack: Stack;
  let browser: Browser;
  let coop: string;
  let grower: string;
  let orchard: string;
  const contexts: BrowserContext[] = [];

  const tokens = () => ({
    manager: token({ role: 'coop_manager', coop, sub: 'manager-console' }),
    line: token({ role: 'grading_line', warehouses: ['WH-LIXIAN-ORIGIN'], sub: 'line-console' }),
    operator: token({ role: 'warehouse_operator', warehouses: ['WH-LIXIAN-ORIGIN', 'DC-XIAN'], sub: 'operator-console' }),
    logistics: token({ role: 'logistics_operator', sub: 'logistics-console' }),
    buyer: token({ role: 'buyer', buyer: 'BUYER-CONSOLE', sub: 'buyer-console' }),
    ops: token({ role: 'ops', sub: 'ops-console' }),
    county: token({ role: 'county_official', county: 'CN-GS-LIXIAN', sub: 'official-console' }),
  });

  beforeAll(async () => {
    fs.mkdirSync(SHOTS, { recursive: true });
    // What `npm start` writes after seeding: the sign-in page offers these as one-click roles.
    fs.writeFileSync(DEMO_TOKENS, JSON.stringify({ 'ops (demo)': token({ role: 'ops', sub: 'ops-demo' }) }));
    stack = await startStack('console', { CONSOLE_DEMO_TOKENS_FILE: DEMO_TOKENS });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
    const ops = client(stack, { role: 'ops', sub: 'ops-console' });
    const c = await ops.post<{ id: string }>('harvest-intake', '/v1/cooperatives', { name: 'Lixian Hongtu Apple Cooperative', county: 'CN-GS-LIXIAN', province: 'Gansu', location: { lat: 34.19, lon: 105.18 } });
    coop = c.body.id;
    const manager = client(stack, { role: 'coop_manager', coop, sub: 'manager-console' });
    grower = (await manager.post<{ id: string }>('harvest-intake', `/v1/cooperatives/${coop}/growers`, { name: 'Wang Jianguo', phone: '+86 138 0931 0001' })).body.id;
    orchard = (
      await manager.post<{ id: string }>('harvest-intake', `/v1/cooperatives/${coop}/orchards`, { growerId: grower, name: 'Yanguan south slope', areaMu: 18, location: { lat: 34.13, lon: 105.12 }, produce: 'apple', variety: 'Fuji' })
    ).body.id;
    expect([c.status, grower && orchard ? 201 : 0]).toEqual([201, 201]);
  });

  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => undefined);
    await browser?.close();
    await stack?.stop();
    fs.rmSync(DEMO_TOKENS, { force: true });
  });

  const url = (p: string) => stack.url('console', p);

  async function newPage(opts: { locale?: string; javaScriptEnabled?: boolean } = {}): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 1200, height: 900 }, ...opts });
    contexts.push(context);
    return context.newPage();
  }

  /** Signs in the way a person does: the token pasted into the sign-in form. */
  async function signIn(who: keyof ReturnType<typeof tokens>): Promise<Page> {
    const page = await newPage();
    await page.goto(url('/signin'));
    await page.getByLabel('Access token').fill(tokens()[who]);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForLoadState('domcontentloaded');
    return page;
  }

  /** axe-core in the page; serious and critical violations fail the test, listed by rule and element. */
  async function accessible(page: Page): Promise<void> {
    await page.addScriptTag({ path: AXE });
    const result = await page.evaluate(() => (globalThis as unknown as { axe: { run: () => Promise<AxeResult> } }).axe.run());
    const bad = result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => JSON.stringify(n.target)).join(', ')}`);
    expect(bad).toEqual([]);
  }

  async function shot(page: Page, name: string): Promise<void> {
    await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
  }

  /** Reloads until the page shows the text (the services talk through Kafka: a moment passes). */
  async function untilShown(page: Page, text: string | RegExp, what: string): Promise<void> {
    await waitFor(
      async () => {
        const body = await page.locator('body').innerText();
        if (typeof text === 'string' ? body.includes(text) : text.test(body)) return true;
        await page.waitForTimeout(400);
        await page.reload();
        return false;
      },
      { timeoutMs: 30_000, what },
    );
  }

  let lotId: string;
  let subLot: { id: string; traceCode: string };

  it('a coop manager logs a lot through the form: the server\'s field errors show beside the field, then the lot is logged', async () => {
    const page = await signIn('manager');
    expect(new URL(page.url()).pathname).toBe('/lots');
    await accessible(page);
    await page.goto(url('/lots/new'));
    await accessible(page);
    await page.getByLabel('Grower').selectOption(grower);
    await page.getByLabel('Orchard').selectOption(orchard);
    await page.getByLabel('Variety').fill('Fuji');
    await page.getByLabel('Quantity (kg)').fill('0');
    // The browser's own check (min="0.001") stops this first…
    await page.getByRole('button', { name: 'Log the lot' }).click();
    expect(await page.getByLabel('Quantity (kg)').evaluate((el) => (el as unknown as { validity: { rangeUnderflow: boolean } }).validity.rangeUnderflow)).toBe(true);
    // …and with it bypassed, harvest-intake's problem+json comes back beside the field.
    await page.locator('form[action="/lots"]').evaluate((f) => ((f as unknown as { noValidate: boolean }).noValidate = true));
    await page.getByRole('button', { name: 'Log the lot' }).click();
    await page.waitForLoadState('domcontentloaded');
    await expect(page.locator('#f-quantityKg-error').innerText()).resolves.toMatch(/quantityKg/);
    expect(await page.getByLabel('Quantity (kg)').getAttribute('aria-invalid')).toBe('true');
    await accessible(page);
    await shot(page, 'coop-log-lot-error');

    await page.getByLabel('Quantity (kg)').fill('1200');
    await page.getByRole('button', { name: 'Log the lot' }).click();
    await page.waitForURL(/\/lots\/[^/]+\?logged=1$/);
    lotId = decodeURIComponent(new URL(page.url()).pathname.split('/')[2]);
    expect(await page.getByTestId('lot-status').innerText()).toBe('logged');
    await shot(page, 'coop-lot-logged');
  });

  it('the grading line sees the lot pending at its warehouse, enters bands, and prints labels', async () => {
    const page = await signIn('line');
    expect(new URL(page.url()).pathname).toBe('/grading');
    await untilShown(page, lotId, 'the lot to reach grading');
    await accessible(page);
    await shot(page, 'grading-pending');
    await page.getByRole('link', { name: lotId }).click();
    await page.getByLabel('一等品 (grade 1)').fill('700');
    await page.getByLabel('二等品 (grade 2)').fill('450');
    await accessible(page);
    await page.getByRole('button', { name: 'Grade the lot' }).click();
    await page.waitForLoadState('domcontentloaded');
    await expect(page.locator('body').innerText()).resolves.toContain('cull 50 kg');
    await accessible(page);
    await shot(page, 'grading-graded');
    const grading = await client(stack, { role: 'grading_line', warehouses: ['WH-LIXIAN-ORIGIN'] }).get<{ subLots: { id: string; grade: string; traceCode: string }[] }>('grading', `/v1/lots/${lotId}/grading`);
    const s = grading.body.subLots.find((x) => x.grade === 'grade_1');
    if (!s) throw new Error('no grade_1 sub-lot');
    subLot = s;
    const pdf = await page.request.get(url(`/grading/sub-lots/${s.id}/labels.pdf?boxes=12`));
    expect([pdf.status(), pdf.headers()['content-type']]).toEqual([200, 'application/pdf']);
  });

  it('the coop manager sees the lot graded, with its sub-lots', async () => {
    const page = await signIn('manager');
    await page.goto(url(`/lots/${lotId}`));
    await untilShown(page, /Status\s+graded/, 'harvest-intake to learn of the grading');
    await expect(page.locator('body').innerText()).resolves.toContain(subLot.traceCode);
    await accessible(page);
    await shot(page, 'coop-lot-graded');
  });

  (ZBARIMG ? it : it.skip)('a label\'s QR code decodes to the GS1 Digital Link that opens the provenance page', async () => {
    const page = await signIn('line');
    await page.setViewportSize({ width: 800, height: 480 });
    await page.goto(url(`/grading/sub-lots/${subLot.id}/label.svg`));
    const png = path.join(SHOTS, 'label.png');
    await page.screenshot({ path: png });
    const decoded = execFileSync('zbarimg', ['-q', '--raw', png], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    expect(decoded).toMatch(new RegExp(`^${url('/01/').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\d{14}/10/${subLot.traceCode}$`));
    const consumer = await newPage({ locale: 'zh-CN' });
    const res = await consumer.goto(decoded);
    expect(res?.status()).toBe(200);
    await expect(consumer.locator('h1').innerText()).resolves.toBe('苹果 · 富士');
  });

  it('the provenance page: Chinese by default, English by ?lang=en and by the browser\'s language, whole with JavaScript off', async () => {
    const zh = await newPage({ locale: 'zh-CN' });
    await zh.goto(url(`/p/${subLot.traceCode}`));
    const zhText = await zh.locator('body').innerText();
    for (const t of ['礼县苹果', '一等品', '礼县 · 甘肃省', '流通轨迹', '采收', '分级', subLot.traceCode]) expect(zhText).toContain(t);
    expect(zhText).not.toContain('Wang Jianguo');
    expect(zhText).not.toContain('138');
    await accessible(zh);
    await shot(zh, 'provenance-zh');

    const en = await newPage({ locale: 'zh-CN' });
    await en.goto(url(`/p/${subLot.traceCode}?lang=en`));
    await expect(en.locator('body').innerText()).resolves.toContain('Lixian County, Gansu');
    await accessible(en);
    await shot(en, 'provenance-en');
    const byLocale = await newPage({ locale: 'en-US' });
    await byLocale.goto(url(`/p/${subLot.traceCode}`));
    await expect(byLocale.locator('h2').first().innerText()).resolves.toBe('Where your fruit comes from');

    const noJs = await newPage({ locale: 'zh-CN', javaScriptEnabled: false });
    const res = await noJs.goto(url(`/p/${subLot.traceCode}`));
    expect(res?.status()).toBe(200);
    expect(Buffer.byteLength((await res?.text()) ?? '')).toBeGreaterThan(1000);
    expect(Buffer.byteLength((await res?.text()) ?? '')).toBeLessThan(100 * 1024);
    await expect(noJs.locator('body').innerText()).resolves.toContain('礼县苹果');
    await expect(noJs.getByRole('link', { name: 'English' }).getAttribute('href')).resolves.toBe(`/p/${subLot.traceCode}?lang=en`);

    const missing = await newPage({ locale: 'en-US' });
    expect((await missing.goto(url('/p/0000000000ZZ')))?.status()).toBe(404);
    await expect(missing.locator('h1').innerText()).resolves.toBe('Trace code not found');
    await shot(missing, 'provenance-404');
  });

  it('a buyer\'s order is routed; the warehouse dispatches it; the logistics operator records in_transit; the buyer sees it', async () => {
    const buyer = await signIn('buyer');
    expect(new URL(buyer.url()).pathname).toBe('/orders');
    await buyer.goto(url('/orders/new'));
    await accessible(buyer);
    await buyer.getByLabel('Channel').selectOption('marketplace');
    await buyer.getByLabel('Deliver to (city)').selectOption("Xi'an");
    await buyer.getByLabel('Grade or better').selectOption('grade_1');
    await buyer.getByLabel('Quantity (kg)').fill('100');
    await buyer.getByRole('button', { name: 'Place the order' }).click();
    await buyer.waitForURL(/\/orders\/[^/]+$/);
    const orderId = decodeURIComponent(new URL(buyer.url()).pathname.split('/')[2]);
    await untilShown(buyer, /Status\s+routed/, 'the order to be routed');
    await accessible(buyer);
    const order = await client(stack, { role: 'buyer', buyer: 'BUYER-CONSOLE' }).get<{ shipments: string[] }>('order-routing', `/v1/orders/${orderId}`);
    const shipmentId = order.body.shipments[0];
    expect(shipmentId).toBeTruthy();

    const operator = await signIn('operator');
    expect(new URL(operator.url()).pathname).toBe('/stock');
    await expect(operator.locator('body').innerText()).resolves.toContain(subLot.id);
    await accessible(operator);
    await shot(operator, 'warehouse-stock');
    await operator.goto(url('/stock/WH-LIXIAN-ORIGIN/ledger'));
    await expect(operator.locator('body').innerText()).resolves.toMatch(/reserved/);
    await accessible(operator);
    await shot(operator, 'warehouse-ledger');
    await operator.goto(url('/transfers'));
    await accessible(operator);
    await shot(operator, 'warehouse-transfers');
    await operator.goto(url('/dispatch'));
    await operator.getByLabel('Warehouse').selectOption('WH-LIXIAN-ORIGIN');
    await operator.getByLabel('Shipment').fill(shipmentId);
    await operator.getByRole('button', { name: 'Dispatch' }).click();
    await expect(operator.getByRole('status').innerText()).resolves.toContain(`Shipment ${shipmentId} left WH-LIXIAN-ORIGIN`);
    await accessible(operator);
    await shot(operator, 'warehouse-dispatch');

    const logistics = await signIn('logistics');
    expect(new URL(logistics.url()).pathname).toBe('/shipments');
    await untilShown(logistics, shipmentId, 'the shipment on the board');
    await accessible(logistics);
    await shot(logistics, 'logistics-board');
    await logistics.goto(url(`/shipments/${shipmentId}`));
    await untilShown(logistics, /Status\s+dispatched/, 'the dispatch to reach order-routing');
    await logistics.getByLabel('Status').selectOption('in_transit');
    await logistics.getByLabel('Checkpoint').fill('Tianshui hub');
    await logistics.getByLabel('Latitude').fill('34.58');
    await logistics.getByLabel('Longitude').fill('105.72');
    await logistics.getByRole('button', { name: 'Record' }).click();
    await logistics.waitForLoadState('domcontentloaded');
    await expect(logistics.getByTestId('shipment-status').innerText()).resolves.toBe('in_transit');
    await expect(logistics.locator('ol.legend li').allInnerTexts()).resolves.toEqual(['Lixian', 'Tianshui hub', "Xi'an"]);
    expect(await logistics.locator('svg.map circle.stop').count()).toBe(3);
    await accessible(logistics);
    await shot(logistics, 'logistics-shipment');

    await buyer.goto(url(`/orders/${orderId}`));
    await expect(buyer.getByTestId('shipment-status').innerText()).resolves.toBe('in_transit');
    await expect(buyer.locator('body').innerText()).resolves.toContain('Tianshui hub');
    await shot(buyer, 'buyer-order');
    await buyer.goto(url('/orders'));
    await expect(buyer.locator('body').innerText()).resolves.toContain(orderId);
    await accessible(buyer);
    await shot(buyer, 'buyer-orders');
  });

  it('ops sees every service ready, with lag, backlog and dead letters; growers and orchards load for the manager', async () => {
    const ops = await signIn('ops');
    expect(new URL(ops.url()).pathname).toBe('/ops');
    const rows = await ops.locator('tbody tr').allInnerTexts();
    expect(rows.map((r) => r.split('\t')[0])).toEqual(['harvest-intake', 'grading', 'warehouse', 'order-routing', 'insights']);
    for (const r of rows) expect(r).toContain('ready');
    await ops.getByLabel('Order or lot id').fill(lotId);
    await ops.getByRole('button', { name: 'Find' }).click();
    await accessible(ops);
    await shot(ops, 'ops-system');

    const manager = await signIn('manager');
    await manager.goto(url('/growers'));
    await expect(manager.locator('body').innerText()).resolves.toContain('Yanguan south slope');
    await accessible(manager);
    await shot(manager, 'coop-growers');
    await manager.goto(url('/lots?status=graded'));
    await expect(manager.locator('body').innerText()).resolves.toContain(lotId);
    await accessible(manager);
    await shot(manager, 'coop-lots');
  });

  it('offers the development demo roles as one-click sign-in', async () => {
    const page = await newPage();
    await page.goto(url('/signin'));
    await page.getByRole('button', { name: 'ops (demo)' }).click();
    await page.waitForURL(/\/ops$/);
    await expect(page.locator('.who').innerText()).resolves.toBe('ops');
  });

  it('refuses a view to the wrong role and sends a stranger to sign in', async () => {
    const buyer = await signIn('buyer');
    expect((await buyer.goto(url('/ops')))?.status()).toBe(403);
    const stranger = await newPage();
    await stranger.goto(url('/stock'));
    expect(new URL(stranger.url()).pathname).toBe('/signin');
    await accessible(stranger);
    await shot(stranger, 'signin');
  });

  it("shows a county official its county's season in charts, and a manager what each grower earned", async () => {
    const official = await signIn('county');
    expect(new URL(official.url()).pathname).toBe('/county');
    await untilShown(official, 'Lixian, Gansu', 'the county view');
    // The manager's lot of the earlier steps was harvested and graded here: the charts are not empty.
    await untilShown(official, /Harvested\s+[\d,.]+ kg in [1-9]/, 'the harvest in the county figures');
    expect(await official.locator('figure.chart svg').count()).toBe(5);
    await accessible(official);
    await shot(official, 'county-official');
    // Another county in the query changes nothing: an official reads its own.
    await official.goto(url('/county?county=CN-JX-XUNWU'));
    expect(await official.locator('h1').innerText()).toBe('Lixian, Gansu');

    const manager = await signIn('manager');
    await manager.goto(url('/settlements'));
    await untilShown(manager, 'Wang Jianguo', 'the settlement table');
    await accessible(manager);
    await shot(manager, 'coop-settlements');
  });
});
