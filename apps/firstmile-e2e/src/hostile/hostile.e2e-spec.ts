import fc from 'fast-check';
import { randomUUID } from 'node:crypto';
import { token } from '@firstmile/testing';
import { type ServiceName, startStack, type Stack } from '../stack';
import { BOLA_ROWS, type BolaRow, expectedFor, SNAPSHOT } from './bola';
import { describeRequest, dictionaryOf, fillPath, FUZZ_RUNS, FUZZ_SEED, operationsOf, roundTripViolations, serviceArbitrary } from './fuzz';
import { JWT_ATTACKS, JWT_TARGETS } from './jwt-attacks';
import type { OpenApiDoc } from './openapi-arbitrary';
import { type Answer, CALLER_NAMES, CALLERS, contractViolations, type RawRequest, seedWorld, send, SERVICES, type World } from './world';

/**
 * Hostile input against the four services running as real processes on one stack: JWT attacks,
 * the object-level authorization (BOLA) matrix, a fuzz driven by each service's OpenAPI document,
 * body limits and rate limits. See docs/testing.md.
 */
describe('hostile input', () => {
  let stack: Stack;
  let w: World;
  const docs = {} as Record<ServiceName, OpenApiDoc>;

  beforeAll(async () => {
    const t0 = Date.now();
    stack = await startStack('hostile');
    const t1 = Date.now();
    w = await seedWorld(stack);
    process.stderr.write(`[hostile] stack ready in ${t1 - t0} ms, seeded in ${Date.now() - t1} ms\n`);
    for (const s of SERVICES) {
      const res = await fetch(stack.url(s, '/docs-json'));
      expect(res.status).toBe(200);
      docs[s] = (await res.json()) as OpenApiDoc;
    }
  }, 120_000);

  afterAll(async () => {
    await stack?.stop();
  });

  const expectProblem = (a: Answer, status: number, what: string) => {
    expect({ what, status: a.status }).toEqual({ what, status });
    expect(contractViolations(a)).toEqual([]);
  };

  describe('JWT attacks: 401 problem+json on every service', () => {
    it.each(JWT_ATTACKS.map((a) => [a.name, a] as const))('%s', async (_, attack) => {
      const authorization = attack.authorization();
      for (const target of JWT_TARGETS(w)) {
        const a = await send(stack, { method: 'GET', service: target.service, path: target.path, authorization });
        expectProblem(a, attack.status, `${target.service} ${target.path}`);
        expect(a.headers.get('www-authenticate')).toBe('Bearer');
        // Nothing of the route's data rides along with the refusal.
        for (const marker of w.markersA) expect(a.text).not.toContain(marker);
      }
    });

    it('a valid token reaches every target (so the refusals above are the attack, not the route)', async () => {
      for (const target of JWT_TARGETS(w)) {
        const a = await send(stack, { method: 'GET', service: target.service, path: target.path, authorization: `Bearer ${token({ role: 'ops', sub: 'hostile-jwt' })}` });
        expect({ target: target.path, status: a.status }).toEqual({ target: target.path, status: 200 });
      }
    });

    it('a valid token of a role the route does not admit → 403 on every service', async () => {
      for (const target of JWT_TARGETS(w)) {
        const a = await send(stack, { method: 'GET', service: target.service, path: target.path, authorization: `Bearer ${token({ role: target.wrongRole, sub: 'hostile-jwt' })}` });
        expectProblem(a, 403, `${target.service} ${target.path}`);
      }
    });

    it('wrong, missing issuer / audience → 401 once AUTH_JWT_ISSUER/AUDIENCE are set (one service restarted with them, then restored)', async () => {
      const service: ServiceName = 'harvest-intake';
      const path = '/v1/lots';
      const [issuer, audience] = ['https://idp.firstmile.test/', 'firstmile-api'];
      const call = (opts: Parameters<typeof token>[1]) => send(stack, { method: 'GET', service, path, authorization: `Bearer ${token({ role: 'ops', sub: 'hostile-iss' }, opts)}` });
      const t0 = Date.now();
      await stack.kill(service, 'SIGTERM');
      stack.restart(service, { AUTH_JWT_ISSUER: issuer, AUTH_JWT_AUDIENCE: audience });
      try {
        await stack.ready(60_000);
        process.stderr.write(`[iss/aud] ${service} restarted with an issuer and audience in ${Date.now() - t0} ms\n`);
        const cases: Array<[string, Parameters<typeof token>[1], number]> = [
          ['right iss and aud', { issuer, audience }, 200],
          ['aud a list that includes ours', { issuer, audience: ['billing', audience] }, 200],
          ['wrong iss', { issuer: 'https://idp.evil.test/', audience }, 401],
          ['wrong aud', { issuer, audience: 'another-api' }, 401],
          ['no iss', { audience }, 401],
          ['no aud', { issuer }, 401],
          ['neither (a plain development token)', {}, 401],
        ];
        for (const [name, opts, status] of cases) {
          const a = await call(opts);
          if (status === 401) expectProblem(a, 401, name);
          else expect({ name, status: a.status }).toEqual({ name, status });
        }
      } finally {
        const t1 = Date.now();
        await stack.kill(service, 'SIGTERM');
        stack.restart(service);
        await stack.ready(60_000);
        process.stderr.write(`[iss/aud] ${service} restored in ${Date.now() - t1} ms\n`);
      }
      // Restored: tokens without iss/aud reach it again, so the refusals above were the setting.
      expect((await call({})).status).toBe(200);
    });
  });

  describe('BOLA: every role against every object endpoint of tenant A', () => {
    const snapshot = async () => Promise.all(SNAPSHOT(w).map(async ([service, path]) => [path, (await send(stack, { method: 'GET', service, path, authorization: w.auth('opsUser') })).json]));
    let before: unknown[];
    beforeAll(async () => {
      before = await snapshot();
    });

    it.each(BOLA_ROWS.map((r) => [`${r.method} ${r.name}`, r] as const))('%s', async (_, row: BolaRow) => {
      const wrong: string[] = [];
      for (const caller of CALLER_NAMES) {
        const expected = expectedFor(row, caller, w.principal(caller)?.role);
        if (row.write && expected === 'ok') continue;
        const a = await send(stack, {
          method: row.method,
          service: row.service,
          path: row.path(w),
          authorization: w.auth(caller),
          ...(row.body ? { body: { json: row.body(w) } } : {}),
          headers: row.method === 'POST' ? { 'idempotency-key': randomUUID() } : {},
        });
        const problems = contractViolations(a);
        const leaked = w.markersA.filter((m) => a.text.includes(m));
        if (problems.length) wrong.push(`${caller}: ${problems.join('; ')}`);
        // Personal data reaches no one but the cooperative's manager and ops, and never through provenance.
        if (a.text.includes(w.growerPhoneA) && !(row.name === 'cooperative' && expected === 'ok')) wrong.push(`${caller}: the grower's phone is in the answer`);
        if (expected === 'ok') {
          if (a.status < 200 || a.status >= 300) wrong.push(`${caller}: expected 2xx, got ${a.status} ${a.text.slice(0, 160)}`);
          else if (row.list && !row.list.contains(a.json, w)) wrong.push(`${caller}: tenant A's object is missing from the list`);
        } else if (expected === 'list-without') {
          if (a.status !== 200 && a.status !== 404) wrong.push(`${caller}: expected 200 without A's objects (or 404), got ${a.status}`);
          if (a.status === 200 && row.list?.contains(a.json, w)) wrong.push(`${caller}: LEAK — tenant A's object is in the list`);
          if (leaked.length) wrong.push(`${caller}: LEAK — ${leaked.join(', ')}`);
        } else {
          if (a.status !== expected) wrong.push(`${caller}: expected ${expected}, got ${a.status} ${a.text.slice(0, 160)}`);
          if (leaked.length) wrong.push(`${caller}: LEAK — ${leaked.join(', ')}`);
        }
      }
      expect(wrong).toEqual([]);
    });

    it("the refused writes changed none of tenant A's objects", async () => {
      expect(await snapshot()).toEqual(before);
    });
  });

  describe('regressions: defects the suites found, one request each', () => {
    const nested = (depth: number) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
    const cases: Array<{ name: string; req: (w: World) => RawRequest; status: number }> = [
      {
        name: 'an order without a destination → 400 (was 500: TypeError in OrdersService.place)',
        req: () => ({ method: 'POST', service: 'order-routing', path: '/v1/orders', body: { json: { channel: 'retail', lines: [{ produce: 'apple', minGrade: 'grade_1', quantityKg: 5 }] } } }),
        status: 400,
      },
      {
        name: 'an order whose destination has no location → 400 (was 500)',
        req: () => ({ method: 'POST', service: 'order-routing', path: '/v1/orders', body: { json: { channel: 'retail', destination: { city: 'Xian' }, lines: [{ produce: 'apple', minGrade: 'grade_1', quantityKg: 5 }] } } }),
        status: 400,
      },
      {
        name: 'a cooperative without a location → 400 (was 500)',
        req: () => ({ method: 'POST', service: 'harvest-intake', path: '/v1/cooperatives', body: { json: { name: 'No place', county: 'CN-GS-LIXIAN', province: 'Gansu' } } }),
        status: 400,
      },
      {
        name: 'an orchard whose location is an array → 400 (was 500)',
        req: (w) => ({
          method: 'POST',
          service: 'harvest-intake',
          path: `/v1/cooperatives/${w.coopA}/orchards`,
          body: { json: { growerId: w.growerA, name: 'Array orchard', areaMu: 1, location: [{ lat: 34, lon: 105 }], produce: 'apple', variety: 'Fuji' } },
        }),
        status: 400,
      },
      {
        name: 'an orchard whose latitude is a numeric string → 400 (was 201, stored and published as a string)',
        req: (w) => ({
          method: 'POST',
          service: 'harvest-intake',
          path: `/v1/cooperatives/${w.coopA}/orchards`,
          body: { json: { growerId: w.growerA, name: 'String orchard', areaMu: 1, location: { lat: '34.2', lon: 105 }, produce: 'apple', variety: 'Fuji' } },
        }),
        status: 400,
      },
      {
        name: 'an orchard of 10^12 mu → 400 (was 201: no maximum)',
        req: (w) => ({
          method: 'POST',
          service: 'harvest-intake',
          path: `/v1/cooperatives/${w.coopA}/orchards`,
          body: { json: { growerId: w.growerA, name: 'Huge orchard', areaMu: 1e12, location: { lat: 34.2, lon: 105 }, produce: 'apple', variety: 'Fuji' } },
        }),
        status: 400,
      },
      {
        name: 'a warehouse whose longitude is a numeric string → 400 (was 201)',
        req: () => ({ method: 'POST', service: 'warehouse', path: '/v1/warehouses', body: { json: { name: 'String DC', kind: 'regional', city: 'Xining', location: { lat: 36.62, lon: '101.78' } } } }),
        status: 400,
      },
      {
        name: 'a checkpoint whose location is an array → 400 (was walked as an object)',
        req: (w) => ({
          method: 'POST',
          service: 'order-routing',
          path: `/v1/shipments/${w.shipmentA}/events`,
          body: { json: { status: 'exception', at: new Date().toISOString(), location: [{ lat: 30.59, lon: 114.31 }] } },
          as: 'logistics',
        }),
        status: 400,
      },
      {
        name: 'a warehouse without a location → 400 (was 500)',
        req: () => ({ method: 'POST', service: 'warehouse', path: '/v1/warehouses', body: { json: { name: 'Nowhere', kind: 'regional', city: 'Nowhere' } } }),
        status: 400,
      },
      {
        name: 'an Idempotency-Key with a body nested 5,000 deep → 400 (was 500: stack overflow hashing it)',
        req: () => ({ method: 'POST', service: 'order-routing', path: '/v1/orders', body: { raw: nested(5_000), contentType: 'application/json' }, headers: { 'idempotency-key': randomUUID() } }),
        status: 400,
      },
      {
        name: 'a body nested 5,000 deep, no Idempotency-Key → 400 (was 500: stack overflow in the ValidationPipe)',
        req: () => ({ method: 'POST', service: 'harvest-intake', path: '/v1/lots', body: { raw: `${'['.repeat(5_000)}${']'.repeat(5_000)}`, contentType: 'application/json' }, as: 'managerA' }),
        status: 400,
      },
      {
        name: 'a malformed percent-encoding in the path → 400 problem+json (was Fastify plain JSON)',
        req: () => ({ method: 'GET', service: 'warehouse', path: '/v1/warehouses/%zz' }),
        status: 400,
      },
      {
        name: 'a path parameter over 100 characters → 414 problem+json (was Fastify plain JSON)',
        req: () => ({ method: 'GET', service: 'harvest-intake', path: `/v1/lots/${'L'.repeat(150)}` }),
        status: 414,
      },
      {
        name: 'a 20 KB URL → 431 problem+json (was Fastify plain JSON)',
        req: () => ({ method: 'GET', service: 'grading', path: `/v1/brands?q=${'q'.repeat(20_000)}` }),
        status: 431,
      },
    ];
    const callerFor: Record<ServiceName, keyof typeof CALLERS> = { 'harvest-intake': 'opsUser', grading: 'opsUser', warehouse: 'opsUser', 'order-routing': 'buyerA', insights: 'opsUser' };

    it.each(cases.map((c) => [c.name, c] as const))('%s', async (_, c) => {
      const r = c.req(w);
      const caller = (r.as as keyof typeof CALLERS | undefined) ?? (r.path.includes('/orchards') ? 'managerA' : callerFor[r.service]);
      const a = await send(stack, { ...r, authorization: w.auth(caller) });
      expectProblem(a, c.status, describeRequest(r));
    });
  });

  const OUTSIDERS = ['managerB', 'buyerB', 'lineB', 'operatorB', 'lineA', 'operatorA', 'anonymous', 'forged'];

  describe(`OpenAPI fuzz (seed ${FUZZ_SEED}, ${FUZZ_RUNS} cases a service)`, () => {
    it.each(SERVICES)('%s: never a 5xx; every 4xx is problem+json; every 2xx body parses, and was of the types the schema states', async (service) => {
      const ctx = { doc: docs[service], dictionary: dictionaryOf(w) };
      const forged = `Bearer ${token({ role: 'ops', sub: 'forged' }, { secret: 'a-secret-that-is-not-ours' })}`;
      const auth = (caller: string) => (caller === 'forged' ? forged : w.auth(caller as keyof typeof CALLERS));
      // Which callers each operation admits (anything but 401/403 to a probe with an empty body), so
      // the fuzz spends most requests past the role check. Learnt, not listed: a new route needs nothing.
      const admitted = new Map<string, string[]>();
      for (const o of operationsOf(docs[service])) {
        const ok: string[] = [];
        for (const caller of CALLER_NAMES) {
          const a = await send(stack, { method: o.method, service, path: fillPath(o.path, 'probe'), authorization: auth(caller), ...(o.method === 'POST' ? { body: { json: {} } } : {}) });
          if (a.status !== 401 && a.status !== 403) ok.push(caller);
        }
        admitted.set(`${o.method} ${o.path}`, ok);
      }
      const failures = new Map<string, string>();
      const statuses: Record<number, number> = {};
      let cases = 0;
      await fc.assert(
        fc.asyncProperty(serviceArbitrary(service, docs[service], ctx, auth, (o) => admitted.get(`${o.method} ${o.path}`) ?? []), async (r) => {
          cases += 1;
          // A dropped connection is a failure too (a crashed or hung-up server), not an abort.
          const a = await send(stack, r).catch((err: Error) => ({ status: 0, headers: new Headers(), text: err.message, json: undefined }));
          statuses[a.status] = (statuses[a.status] ?? 0) + 1;
          const problems = a.status === 0 ? [`no answer: ${a.text}`] : [...contractViolations(a), ...roundTripViolations(r, a.status, a.json, docs[service])];
          // Whatever was asked, nothing private of tenant A reaches a caller who is not A's, ops or logistics.
          if (OUTSIDERS.includes(r.as ?? '')) problems.push(...w.privateA.filter((m) => a.text.includes(m)).map((m) => `LEAK of "${m}"`));
          for (const v of problems) {
            // One example per route and kind of failure is enough to read.
            const key = `${r.method} ${r.path.split('?')[0].replace(/\/[^/]+(?=\/|$)/g, (seg) => (seg.length > 12 ? '/:x' : seg))} ${v.slice(0, 40)}`;
            if (!failures.has(key)) failures.set(key, `${v}\n    ← ${describeRequest(r)}`);
          }
        }),
        { seed: FUZZ_SEED, numRuns: FUZZ_RUNS },
      );
      process.stderr.write(`[fuzz] ${service}: ${cases} cases (seed ${FUZZ_SEED}), statuses ${JSON.stringify(statuses)}, ${failures.size} failure kinds\n`);
      expect(cases).toBe(FUZZ_RUNS);
      expect([...failures.values()]).toEqual([]);
    });
  });

  describe('body and rate limits', () => {
    const BODY_LIMIT = Number(process.env['BODY_LIMIT_BYTES'] ?? 2 * 1024 * 1024);
    // insights is the read side: no POST to send a body to.
    const POSTS: Record<Exclude<ServiceName, 'insights'>, [string, keyof typeof CALLERS]> = {
      'harvest-intake': ['/v1/cooperatives', 'opsUser'],
      grading: ['/v1/brands', 'opsUser'],
      warehouse: ['/v1/warehouses', 'opsUser'],
      'order-routing': ['/v1/orders', 'buyerA'],
    };
    const oversized = `{"name":"${'a'.repeat(BODY_LIMIT)}"}`;

    it.each(SERVICES.filter((s) => s !== 'insights'))('%s: a body over the limit → 413 problem+json (with and without Content-Length)', async (service) => {
      const [path, caller] = POSTS[service as keyof typeof POSTS];
      const headers = { 'content-type': 'application/json', 'idempotency-key': randomUUID(), authorization: w.auth(caller) ?? '' };
      const sized = await send(stack, { method: 'POST', service, path, authorization: w.auth(caller), body: { raw: oversized, contentType: 'application/json' } });
      expectProblem(sized, 413, `${service} ${path}`);
      // Chunked: the size is only known while reading.
      const stream = new ReadableStream({
        start(c) {
          for (let i = 0; i < oversized.length; i += 256 * 1024) c.enqueue(new TextEncoder().encode(oversized.slice(i, i + 256 * 1024)));
          c.close();
        },
      });
      const res = await fetch(stack.url(service, path), { method: 'POST', headers, body: stream, duplex: 'half' } as RequestInit);
      const text = await res.text();
      expectProblem({ status: res.status, headers: res.headers, text, json: JSON.parse(text) as unknown }, 413, `${service} ${path} chunked`);
      // Just under the limit is read (and refused for what it says, not for its size).
      const under = await send(stack, { method: 'POST', service, path, authorization: w.auth(caller), body: { raw: `{"name":"${'a'.repeat(BODY_LIMIT - 100)}"}`, contentType: 'application/json' } });
      expectProblem(under, 400, `${service} ${path} under the limit`);
    });

    it('a burst over RATE_LIMIT_PER_MINUTE → 429 problem+json with Retry-After, per caller (services restarted with a low limit)', async () => {
      const LIMIT = 20;
      const t0 = Date.now();
      await Promise.all(SERVICES.map((s) => stack.kill(s, 'SIGKILL')));
      const t1 = Date.now();
      for (const s of SERVICES) stack.restart(s, { RATE_LIMIT_PER_MINUTE: String(LIMIT) });
      await stack.ready(60_000);
      process.stderr.write(`[limits] killed in ${t1 - t0} ms, ready again in ${Date.now() - t1} ms\n`);
      const GETS: Record<ServiceName, string> = { 'harvest-intake': '/v1/lots', grading: '/v1/brands', warehouse: '/v1/warehouses', 'order-routing': '/v1/shipments', insights: '/epcis/events' };
      for (const service of SERVICES) {
        const burst = `Bearer ${token({ role: 'ops', sub: `burst-${randomUUID()}` })}`;
        const answers = await Promise.all(Array.from({ length: LIMIT + 10 }, () => send(stack, { method: 'GET', service, path: GETS[service], authorization: burst })));
        const ok = answers.filter((a) => a.status === 200);
        const limited = answers.filter((a) => a.status === 429);
        expect({ service, ok: ok.length, limited: limited.length }).toEqual({ service, ok: LIMIT, limited: 10 });
        for (const a of limited) {
          expectProblem(a, 429, service);
          const retryAfter = Number(a.headers.get('retry-after'));
          expect(retryAfter).toBeGreaterThan(0);
          expect(retryAfter).toBeLessThanOrEqual(60);
        }
        // Another caller is not held back by this one's burst.
        const other = await send(stack, { method: 'GET', service, path: GETS[service], authorization: `Bearer ${token({ role: 'ops', sub: `calm-${randomUUID()}` })}` });
        expect(other.status).toBe(200);
        // Callers without a valid token are limited by address before any verification (they never
        // were: the 401 came first) — and a valid token from that same address still gets through.
        const bad = ['Bearer garbage', undefined, `Bearer ${token({ role: 'ops', sub: 'forger' }, { secret: 'a-secret-that-is-not-ours' })}`];
        const flood = await Promise.all(Array.from({ length: LIMIT + 10 }, (_, i) => send(stack, { method: 'GET', service, path: GETS[service], authorization: bad[i % bad.length] })));
        expect({ service, refused: flood.filter((a) => a.status === 401).length, limited: flood.filter((a) => a.status === 429).length }).toEqual({ service, refused: LIMIT, limited: 10 });
        for (const a of flood.filter((x) => x.status === 429)) {
          expectProblem(a, 429, `${service} anonymous`);
          expect(Number(a.headers.get('retry-after'))).toBeGreaterThan(0);
        }
        const afterFlood = await send(stack, { method: 'GET', service, path: GETS[service], authorization: `Bearer ${token({ role: 'ops', sub: `same-address-${randomUUID()}` })}` });
        expect({ service, status: afterFlood.status }).toEqual({ service, status: 200 });
        // Anonymous callers are limited by address, and a made-up X-Forwarded-For per request does not
        // make a new one (it did: every proxy was trusted).
        if (service === 'grading') {
          const anonymous = await Promise.all(
            Array.from({ length: LIMIT + 10 }, (_, i) => send(stack, { method: 'GET', service, path: `/v1/provenance/${w.traceCodeA}`, headers: { 'x-forwarded-for': `203.0.113.${i + 1}` } })),
          );
          expect(anonymous.filter((a) => a.status === 429).length).toBeGreaterThanOrEqual(10);
        }
        // Probes and scrapes all come from one address: they are never limited (they were, by address).
        const probes = await Promise.all(['/health/live', '/health/ready', '/metrics'].flatMap((p) => Array.from({ length: LIMIT + 5 }, () => send(stack, { method: 'GET', service, path: p }))));
        expect(probes.filter((a) => a.status !== 200).map((a) => a.status)).toEqual([]);
      }
    });
  });
});
