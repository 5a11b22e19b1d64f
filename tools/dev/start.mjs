#!/usr/bin/env node
// `npm start`: the whole system on the embedded default. Starts Kafka and FerretDB (unless
// KAFKA_BROKERS and MONGO_URL are given), Zipkin for traces (unless OTEL_TRACES_EXPORTER is given,
// or FIRSTMILE_ZIPKIN=0), the five services and the console, seeds a demo, prints URLs and tokens.
// Ctrl-C stops everything it started.

import fs from 'node:fs';
import path from 'node:path';
import jwt from 'jsonwebtoken';
import { startEmbedded } from '../infra/embedded.mjs';
import { startZipkin } from '../infra/zipkin.mjs';
import { build, REPO_ROOT, startServices } from './stack.mjs';

const log = (line) => process.stdout.write(`${line}\n`);
const started = Date.now();
const secs = () => `${((Date.now() - started) / 1000).toFixed(1)}s`;

if (Number(process.versions.node.split('.')[0]) < 24) {
  log(`Node ${process.versions.node} is running this; Firstmile needs Node 24. Run it through npm (npm start) after npm install.`);
  process.exit(1);
}

let infra;
let zipkin;
let stack;
let stopping = false;

/**
 * Price lists for the demo's produce, CNY per kg, at the level of 2025–26 origin and retail prices: a
 * branded (regional public brand) grade sells above the same grade unbranded, live-stream above the
 * default, wholesale below it. PUT is idempotent (the same list is the same version), so every start
 * sends them again without making new versions.
 */
const DEMO_PRICES = {
  apple: [
    ['premium', 'Lixian Apple (礼县苹果)', null, '14.00'],
    ['premium', 'Lixian Apple (礼县苹果)', 'livestream', '16.80'],
    ['premium', 'Lixian Apple (礼县苹果)', 'wholesale', '11.20'],
    ['grade_1', 'Lixian Apple (礼县苹果)', null, '10.50'],
    ['grade_1', 'Lixian Apple (礼县苹果)', 'livestream', '12.80'],
    ['grade_1', 'Lixian Apple (礼县苹果)', 'wholesale', '8.40'],
    ['premium', 'Jingning Apple (静宁苹果)', null, '13.60'],
    ['grade_1', 'Jingning Apple (静宁苹果)', null, '10.20'],
    ['premium', null, null, '11.00'],
    ['premium', null, 'wholesale', '8.80'],
    ['grade_1', null, null, '8.40'],
    ['grade_1', null, 'wholesale', '6.60'],
    ['grade_2', null, null, '5.20'],
    ['grade_2', null, 'wholesale', '4.00'],
  ],
  passion_fruit: [
    ['jumbo', 'Xunwu Passion Fruit (寻乌百香果)', null, '16.00'],
    ['jumbo', 'Xunwu Passion Fruit (寻乌百香果)', 'livestream', '18.80'],
    ['jumbo', 'Xunwu Passion Fruit (寻乌百香果)', 'wholesale', '12.00'],
    ['large', 'Xunwu Passion Fruit (寻乌百香果)', null, '12.00'],
    ['large', 'Xunwu Passion Fruit (寻乌百香果)', 'livestream', '13.90'],
    ['large', 'Xunwu Passion Fruit (寻乌百香果)', 'wholesale', '9.00'],
    ['jumbo', null, null, '12.00'],
    ['large', null, null, '9.00'],
    ['medium', null, null, '6.00'],
    ['medium', null, 'wholesale', '4.60'],
  ],
};

async function shutdown(code = 0) {
  if (stopping) return;
  stopping = true;
  log('\n[start] stopping the services…');
  await stack?.stop();
  if (zipkin) {
    log('[start] stopping Zipkin…');
    await zipkin.stop();
  }
  if (infra) {
    log('[start] stopping Kafka and FerretDB…');
    await infra.stop();
  }
  process.exit(code);
}
process.on('SIGINT', () => void shutdown(0));
process.on('SIGTERM', () => void shutdown(0));

try {
  const dataDir = process.env.FIRSTMILE_DATA_DIR ?? path.join(REPO_ROOT, '.cache', 'data', 'dev');
  let env = {};
  if (process.env.KAFKA_BROKERS && process.env.MONGO_URL) {
    log(`[start] using KAFKA_BROKERS=${process.env.KAFKA_BROKERS} MONGO_URL=${process.env.MONGO_URL}`);
  } else {
    infra = await startEmbedded({ dataDir, log });
    env = { KAFKA_BROKERS: infra.kafkaBrokers, MONGO_URL: infra.mongoUrl };
  }

  if (process.env.OTEL_TRACES_EXPORTER) {
    log(`[start] traces go where OTEL_TRACES_EXPORTER=${process.env.OTEL_TRACES_EXPORTER} says`);
  } else if (process.env.FIRSTMILE_ZIPKIN !== '0') {
    try {
      zipkin = await startZipkin({ log, logFile: path.join(dataDir, 'logs', 'zipkin.log') });
      env = { ...env, OTEL_TRACES_EXPORTER: 'zipkin', OTEL_EXPORTER_ZIPKIN_ENDPOINT: zipkin.spansEndpoint };
    } catch (err) {
      // Traces are a convenience here: the system runs without them.
      log(`[start] Zipkin did not start, running without a trace UI: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  build({ log });
  // The console offers the demo tokens as one-click sign-in; the file is written once the demo is seeded.
  const demoTokens = path.join(dataDir, 'demo-tokens.json');
  const consoleEnv = { CONSOLE_DEMO_TOKENS_FILE: demoTokens, ...(zipkin ? { ZIPKIN_URL: zipkin.url } : {}) };
  // FIRSTMILE_PORT_OFFSET moves every service's port (3100… + offset), for a second system on one machine.
  const portOffset = Number(process.env.FIRSTMILE_PORT_OFFSET ?? 0);
  if (!Number.isInteger(portOffset) || portOffset < 0 || portOffset > 60_000) throw new Error(`FIRSTMILE_PORT_OFFSET=${process.env.FIRSTMILE_PORT_OFFSET}: a whole number of ports is needed`);
  stack = await startServices({ env: { LOG_LEVEL: 'info', ...env, ...consoleEnv }, portOffset, log, logDir: path.join(dataDir, 'logs') });
  if (stack.replicas > 1) log(`[start] REPLICAS=${stack.replicas}: each service runs ${stack.replicas} processes on its port`);
  log('[start] waiting for the services to be ready…');
  await stack.ready();
  log(`[start] all five services and the console ready in ${secs()}`);

  const demo = await seedDemo(stack, dataDir);
  await seedPrices(stack);
  printSummary(stack, demo, dataDir);
} catch (err) {
  log(`[start] ${err instanceof Error ? err.message : String(err)}`);
  await shutdown(1);
}

function tokenFor(claims) {
  const secret = process.env.AUTH_JWT_SECRET ?? 'firstmile-dev-secret';
  // The same issuer and audience the services are told to require (AUTH_JWT_ISSUER / AUTH_JWT_AUDIENCE).
  return jwt.sign({ sub: `${claims.role}-demo`, ...claims }, secret, {
    algorithm: 'HS256',
    expiresIn: '7d',
    ...(process.env.AUTH_JWT_ISSUER ? { issuer: process.env.AUTH_JWT_ISSUER } : {}),
    ...(process.env.AUTH_JWT_AUDIENCE ? { audience: process.env.AUTH_JWT_AUDIENCE } : {}),
  });
}

async function api(stack, service, method, p, token, body) {
  const res = await fetch(stack.url(service, p), {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const json = await res.json().catch(() => null);
  return { status: res.status, json };
}

/**
 * A demo cooperative per producing county, with growers and orchards. Their ids are kept in the
 * data folder, so a second start finds them instead of creating more.
 */
async function seedDemo(stack, dataDir) {
  const file = path.join(dataDir, 'demo.json');
  const ops = tokenFor({ role: 'ops' });
  if (fs.existsSync(file)) {
    const demo = JSON.parse(fs.readFileSync(file, 'utf8'));
    const check = await api(stack, 'harvest-intake', 'GET', `/v1/cooperatives/${demo.lixian.id}`, ops);
    if (check.status === 200) {
      log('[start] demo data already there');
      return demo;
    }
  }
  log('[start] seeding the demo cooperatives, growers and orchards…');
  const seedOne = async (coop, growers, orchards) => {
    const created = await api(stack, 'harvest-intake', 'POST', '/v1/cooperatives', ops, coop);
    if (created.status !== 201) throw new Error(`seeding ${coop.name}: ${created.status} ${JSON.stringify(created.json)}`);
    const id = created.json.id;
    const manager = tokenFor({ role: 'coop_manager', coop: id });
    const growerIds = [];
    for (const g of growers) growerIds.push((await api(stack, 'harvest-intake', 'POST', `/v1/cooperatives/${id}/growers`, manager, g)).json.id);
    const orchardIds = [];
    for (const [i, o] of orchards.entries()) {
      const r = await api(stack, 'harvest-intake', 'POST', `/v1/cooperatives/${id}/orchards`, manager, { ...o, growerId: growerIds[i % growerIds.length] });
      orchardIds.push(r.json.id);
    }
    return { id, growerIds, orchardIds };
  };
  const demo = {
    lixian: await seedOne(
      { name: 'Lixian Hongtu Apple Cooperative', county: 'CN-GS-LIXIAN', province: 'Gansu', location: { lat: 34.19, lon: 105.18 } },
      [{ name: 'Wang Jianguo', phone: '+86 138 0931 0001' }, { name: 'Li Xiuying' }],
      [
        { name: 'Yanguan south slope', areaMu: 18, location: { lat: 34.13, lon: 105.12 }, produce: 'apple', variety: 'Fuji' },
        { name: 'Leiwang terrace', areaMu: 9.5, location: { lat: 34.25, lon: 105.3 }, produce: 'apple', variety: 'Red Delicious' },
      ],
    ),
    xunwu: await seedOne(
      { name: 'Xunwu Green Valley Passion Fruit Cooperative', county: 'CN-JX-XUNWU', province: 'Jiangxi', location: { lat: 24.96, lon: 115.65 } },
      [{ name: 'Chen Meiling', phone: '+86 139 0797 0002' }],
      [{ name: 'Chengjiang hillside', areaMu: 30, location: { lat: 24.9, lon: 115.7 }, produce: 'passion_fruit', variety: 'Purple' }],
    ),
  };
  fs.writeFileSync(file, JSON.stringify(demo, null, 2));
  return demo;
}

async function seedPrices(stack) {
  const ops = tokenFor({ role: 'ops' });
  for (const [produce, rows] of Object.entries(DEMO_PRICES)) {
    const entries = rows.map(([grade, brand, channel, pricePerKg]) => ({ grade, brand, ...(channel ? { channel } : {}), pricePerKg }));
    const r = await api(stack, 'order-routing', 'PUT', `/v1/prices/${produce}`, ops, { currency: 'CNY', entries });
    if (r.status !== 200) throw new Error(`seeding the ${produce} prices: ${r.status} ${JSON.stringify(r.json)}`);
  }
  log(`[start] price lists in force for ${Object.keys(DEMO_PRICES).join(', ')}`);
}

function printSummary(stack, demo, dataDir) {
  const tokens = {
    ops: tokenFor({ role: 'ops' }),
    'coop_manager (Lixian)': tokenFor({ role: 'coop_manager', coop: demo.lixian.id }),
    'coop_manager (Xunwu)': tokenFor({ role: 'coop_manager', coop: demo.xunwu.id }),
    'grading_line (WH-LIXIAN-ORIGIN, WH-XUNWU-ORIGIN)': tokenFor({ role: 'grading_line', warehouses: ['WH-LIXIAN-ORIGIN', 'WH-XUNWU-ORIGIN'] }),
    'warehouse_operator (WH-LIXIAN-ORIGIN, DC-XIAN, DC-HANGZHOU)': tokenFor({ role: 'warehouse_operator', warehouses: ['WH-LIXIAN-ORIGIN', 'DC-XIAN', 'DC-HANGZHOU'] }),
    'buyer (BUYER-DEMO)': tokenFor({ role: 'buyer', buyer: 'BUYER-DEMO' }),
    logistics_operator: tokenFor({ role: 'logistics_operator' }),
    'county_official (CN-GS-LIXIAN)': tokenFor({ role: 'county_official', county: 'CN-GS-LIXIAN' }),
  };
  log('');
  log('Firstmile is running.');
  for (const s of stack.services.filter((x) => x.name !== 'console')) log(`  ${s.name.padEnd(15)} ${stack.url(s.name)}   docs ${stack.url(s.name, '/docs')}`);
  log(`  ${'console'.padEnd(15)} ${stack.url('console')}   (sign in with a token below, or one click on a demo role; provenance pages at /p/<traceCode>)`);
  if (zipkin) log(`  ${'traces'.padEnd(15)} ${zipkin.url}   (Zipkin: find a trace by the traceresponse header, or by tag firstmile.subject=<lot or order id>)`);
  log('');
  log(`Demo: Lixian cooperative ${demo.lixian.id} (growers ${demo.lixian.growerIds.join(', ')}; orchards ${demo.lixian.orchardIds.join(', ')})`);
  log(`      Xunwu cooperative  ${demo.xunwu.id} (growers ${demo.xunwu.growerIds.join(', ')}; orchards ${demo.xunwu.orchardIds.join(', ')})`);
  log('');
  log('Dev tokens (valid 7 days; `npm run token -- --role …` makes more):');
  for (const [who, t] of Object.entries(tokens)) log(`  ${who}\n    ${t}`);
  const env = {
    OPS: tokens.ops,
    COOP: demo.lixian.id,
    GROWER: demo.lixian.growerIds[0],
    ORCHARD: demo.lixian.orchardIds[0],
    MANAGER: tokens['coop_manager (Lixian)'],
    LINE: tokens['grading_line (WH-LIXIAN-ORIGIN, WH-XUNWU-ORIGIN)'],
    OPERATOR: tokens['warehouse_operator (WH-LIXIAN-ORIGIN, DC-XIAN, DC-HANGZHOU)'],
    BUYER: tokens['buyer (BUYER-DEMO)'],
    LOGISTICS: tokens.logistics_operator,
    COUNTY: tokens['county_official (CN-GS-LIXIAN)'],
  };
  fs.writeFileSync(path.join(dataDir, 'demo-tokens.json'), JSON.stringify(tokens, null, 2));
  const envFile = path.join(dataDir, 'demo.env');
  fs.writeFileSync(envFile, Object.entries(env).map(([k, v]) => `export ${k}=${v}`).join('\n') + '\n');
  log('');
  log(`For the README walk-through, in another shell:  source ${path.relative(process.cwd(), envFile)}`);
  log(`Logs: ${path.join(dataDir, 'logs')}    Ctrl-C stops everything.`);
}
