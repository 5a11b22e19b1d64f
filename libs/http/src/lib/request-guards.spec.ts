import { Controller, Get, Module } from '@nestjs/common';
import { APP_FILTER, NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { ThrottlerModule, ThrottlerStorageService } from '@nestjs/throttler';
import { exportJWK, exportSPKI, generateKeyPair, type JWK, type JWTPayload, type KeyLike, SignJWT } from 'jose';
import * as jwt from 'jsonwebtoken';
import { createHmac } from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Principal } from '@firstmile/contracts';
import { CurrentPrincipal, Public } from './auth/auth.decorators';
import { TokenVerifier, type TokenVerifierOptions } from './auth/token-verifier';
import { ProblemDetailsFilter } from './problems/problem-details.filter';
import { rateLimits, SkipRateLimits } from './rate-limit.guard';
import { REQUEST_GUARDS } from './request-guards';

/**
 * The global guard chain (REQUEST_GUARDS) in a real Nest + Fastify app, requests injected from chosen
 * client addresses; identity-provider tests fetch their key set from a real HTTP server on 127.0.0.1.
 */

const SECRET = 'the-development-secret-of-this-test';
const OPS = { sub: 'ops-1', role: 'ops' };

@Controller()
class ProbeController {
  @Get('private')
  private(@CurrentPrincipal() p: Principal) {
    return { sub: p.sub };
  }

  @Public()
  @Get('public')
  open() {
    return { ok: true };
  }

  @Public()
  @SkipRateLimits()
  @Get('probe')
  probe() {
    return { ok: true };
  }
}

async function appWith(verifier: TokenVerifier, opts: { limit?: number; trustProxy?: boolean | number } = {}): Promise<NestFastifyApplication> {
  @Module({
    imports: [ThrottlerModule.forRoot(rateLimits(opts.limit ?? 1000))],
    controllers: [ProbeController],
    providers: [{ provide: APP_FILTER, useClass: ProblemDetailsFilter }, { provide: TokenVerifier, useValue: verifier }, ...REQUEST_GUARDS],
  })
  class TestModule {}
  const app = await NestFactory.create<NestFastifyApplication>(TestModule, new FastifyAdapter({ trustProxy: opts.trustProxy ?? false }), { logger: false });
  await app.init();
  await app.getHttpAdapter().getInstance().ready();
  return app;
}

interface Reply {
  status: number;
  type: string;
  body: Record<string, unknown>;
  retryAfter?: string;
}

async function get(app: NestFastifyApplication, url: string, authorization?: string, from = '192.0.2.1', headers: Record<string, string> = {}): Promise<Reply> {
  const res = await app.inject({ method: 'GET', url, remoteAddress: from, headers: { ...(authorization ? { authorization } : {}), ...headers } });
  return { status: res.statusCode, type: String(res.headers['content-type']), body: res.json(), retryAfter: res.headers['retry-after'] as string | undefined };
}

const hs256 = (claims: object, opts: jwt.SignOptions = {}, secret = SECRET) => `Bearer ${jwt.sign(claims, secret, { algorithm: 'HS256', expiresIn: '10m', ...opts })}`;
const b64 = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');
const now = () => Math.floor(Date.now() / 1000);

/** HMAC-signs any header and payload with any key bytes (jsonwebtoken refuses some of these). */
function hmacToken(header: object, payload: object, key: string | Buffer): string {
  const input = `${b64(header)}.${b64(payload)}`;
  return `Bearer ${input}.${createHmac('sha256', key).update(input).digest('base64url')}`;
}

/** A key set served over HTTP on 127.0.0.1, counting its fetches; `down()` makes it answer 500. */
async function keySetServer(keys: JWK[]) {
  let served = keys;
  let fetches = 0;
  let status = 200;
  const server = http.createServer((_req, res) => {
    fetches += 1;
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(status === 200 ? JSON.stringify({ keys: served }) : '{"error":"down"}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/.well-known/jwks.json`,
    fetches: () => fetches,
    serve: (next: JWK[]) => (served = next),
    answer: (next: number) => (status = next),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

interface SigningKey {
  kid: string;
  alg: 'RS256' | 'ES256';
  privateKey: KeyLike;
  publicJwk: JWK;
  publicPem: string;
}

async function signingKey(alg: 'RS256' | 'ES256', kid: string): Promise<SigningKey> {
  const { publicKey, privateKey } = await generateKeyPair(alg);
  return { kid, alg, privateKey, publicJwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' }, publicPem: await exportSPKI(publicKey) };
}

async function signed(key: Pick<SigningKey, 'privateKey' | 'alg'> & { kid?: string }, claims: JWTPayload = OPS, exp: string | number = '10m', alg: string = key.alg): Promise<string> {
  const header = { alg, ...(key.kid ? { kid: key.kid } : {}) };
  return `Bearer ${await new SignJWT(claims).setProtectedHeader(header).setIssuedAt().setExpirationTime(exp).sign(key.privateKey)}`;
}

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('request guards', () => {
  describe('identity provider key set (AUTH_JWKS_URL)', () => {
    let rsa: SigningKey;
    let ec: SigningKey;
    let stranger: SigningKey;
    let idp: Awaited<ReturnType<typeof keySetServer>>;
    let app: NestFastifyApplication;
    const verifierFor = (extra: Partial<TokenVerifierOptions> = {}) => new TokenVerifier({ secret: SECRET, jwksUrl: idp.url, ...extra });

    beforeAll(async () => {
      [rsa, ec, stranger] = await Promise.all([signingKey('RS256', 'rsa-1'), signingKey('ES256', 'ec-1'), signingKey('RS256', 'rsa-1')]);
      idp = await keySetServer([rsa.publicJwk, ec.publicJwk]);
      app = await appWith(verifierFor());
    });
    afterAll(async () => {
      await app?.close();
      await idp?.close();
    });

    it('admits RS256 and ES256 tokens signed by the key their kid names', async () => {
      expect(await get(app, '/private', await signed(rsa))).toMatchObject({ status: 200, body: { sub: 'ops-1' } });
      expect(await get(app, '/private', await signed(ec, { sub: 'ops-2', role: 'ops' }))).toMatchObject({ status: 200, body: { sub: 'ops-2' } });
    });

    it.each([
      ['signed by another key under a known kid', async () => signed(stranger)],
      ['an unknown kid', async () => signed({ ...rsa, kid: 'rsa-unknown' })],
      ['no kid', async () => signed({ ...rsa, kid: undefined })],
      ['the RSA key under the EC key kid', async () => signed({ ...rsa, kid: 'ec-1' })],
      ['RS512 with the right key (only RS256/ES256)', async () => signed(rsa, OPS, '10m', 'RS512')],
      ['PS256 with the right key', async () => signed(rsa, OPS, '10m', 'PS256')],
      ['HS256 keyed with the public key PEM (algorithm confusion)', async () => hmacToken({ alg: 'HS256', kid: 'rsa-1' }, { ...OPS, exp: now() + 600 }, rsa.publicPem)],
      ['HS256 keyed with the public JWK (algorithm confusion)', async () => hmacToken({ alg: 'HS256', kid: 'rsa-1' }, { ...OPS, exp: now() + 600 }, JSON.stringify(rsa.publicJwk))],
      ['HS256 with AUTH_JWT_SECRET (a development token)', async () => hs256(OPS)],
      ['alg none', async () => `Bearer ${b64({ alg: 'none', kid: 'rsa-1' })}.${b64({ ...OPS, exp: now() + 600 })}.`],
      ['expired', async () => signed(rsa, OPS, now() - 30)],
      ['no exp', async () => `Bearer ${await new SignJWT(OPS).setProtectedHeader({ alg: 'RS256', kid: 'rsa-1' }).sign(rsa.privateKey)}`],
    ])('refuses a token %s: 401 problem+json', async (_, make) => {
      const reply = await get(app, '/private', await make());
      expect(reply).toMatchObject({ status: 401, type: expect.stringContaining('application/problem+json'), body: { status: 401, title: 'Authentication required' } });
    });

    // Issue 22.3: a token of another type (an ID token, a logout token) signed by the same key was accepted.
    it.each([
      ['JWT', 200],
      ['at+jwt', 200],
      ['application/at+JWT', 200],
      ['id_token+jwt', 401],
      ['logout+jwt', 401],
      ['JOSE', 401],
    ])('a token whose typ is %s → %i', async (typ, status) => {
      const token = await new SignJWT(OPS).setProtectedHeader({ alg: 'RS256', kid: rsa.kid, typ }).setIssuedAt().setExpirationTime('10m').sign(rsa.privateKey);
      expect((await get(app, '/private', `Bearer ${token}`)).status).toBe(status);
    });

    it('tolerates the configured clock skew, no more', async () => {
      const tolerant = await appWith(verifierFor({ clockToleranceS: 30 }));
      try {
        expect((await get(tolerant, '/private', await signed(rsa, OPS, now() - 10))).status).toBe(200);
        expect((await get(tolerant, '/private', await signed(rsa, OPS, now() - 60))).status).toBe(401);
        expect((await get(app, '/private', await signed(rsa, OPS, now() - 10))).status).toBe(401);
      } finally {
        await tolerant.close();
      }
    });

    it('fetches the key set once and keeps it; a token naming a new key fetches it again, at most once per cooldown', async () => {
      const rotated = await signingKey('ES256', 'ec-2');
      const server = await keySetServer([rsa.publicJwk]);
      // A cooldown long enough for 21 requests on a loaded machine (at 500 ms the test raced it), and
      // the tokens signed beforehand, so only the requests fall inside it.
      const COOLDOWN_MS = 2_000;
      const local = await appWith(new TokenVerifier({ secret: SECRET, jwksUrl: server.url, jwksCooldownMs: COOLDOWN_MS }));
      const madeUp = await Promise.all(Array.from({ length: 20 }, (_, i) => signed({ ...rsa, kid: `made-up-${i}` })));
      const [rotatedToken, rsaToken] = [await signed(rotated), await signed(rsa)];
      try {
        for (let i = 0; i < 5; i += 1) expect((await get(local, '/private', rsaToken)).status).toBe(200);
        expect(server.fetches()).toBe(1);
        // The provider rotates its keys. Within the cooldown, a new kid is refused without a fetch —
        // and so is a flood of made-up ones.
        server.serve([rsa.publicJwk, rotated.publicJwk]);
        const started = Date.now();
        expect((await get(local, '/private', rotatedToken)).status).toBe(401);
        for (const token of madeUp) expect((await get(local, '/private', token)).status).toBe(401);
        expect(server.fetches()).toBe(1);
        expect(Date.now() - started).toBeLessThan(COOLDOWN_MS);
        await wait(COOLDOWN_MS + 100);
        expect((await get(local, '/private', rotatedToken)).status).toBe(200);
        expect(server.fetches()).toBe(2);
        for (const token of madeUp) expect((await get(local, '/private', token)).status).toBe(401);
        expect(server.fetches()).toBe(2);
      } finally {
        await local.close();
        await server.close();
      }
    });

    it('answers 401 problem+json, not 500, when the key set cannot be had: nothing listening, an error status, no answer in time', async () => {
      const gone = await keySetServer([rsa.publicJwk]);
      const goneUrl = gone.url;
      await gone.close();
      const failing = await keySetServer([rsa.publicJwk]);
      failing.answer(500);
      const silent = http.createServer(() => undefined); // accepts, never answers
      await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
      const silentUrl = `http://127.0.0.1:${(silent.address() as AddressInfo).port}/jwks.json`;
      const apps = await Promise.all([goneUrl, failing.url, silentUrl].map((jwksUrl) => appWith(new TokenVerifier({ secret: SECRET, jwksUrl, jwksTimeoutMs: 300 }))));
      try {
        for (const a of apps) {
          const reply = await get(a, '/private', await signed(rsa));
          expect(reply).toMatchObject({ status: 401, type: expect.stringContaining('application/problem+json'), body: { status: 401, detail: 'the token could not be verified now' } });
          // Nothing of the provider's address reaches the caller.
          expect(JSON.stringify(reply.body)).not.toContain('127.0.0.1');
        }
        expect(failing.fetches()).toBeGreaterThan(0);
      } finally {
        await Promise.all(apps.map((a) => a.close()));
        await failing.close();
        silent.closeAllConnections();
        await new Promise<void>((resolve) => silent.close(() => resolve()));
      }
    });

    it('requires the configured issuer and audience of provider tokens too', async () => {
      const strict = await appWith(verifierFor({ issuer: 'https://idp.example/', audience: 'firstmile' }));
      try {
        expect((await get(strict, '/private', await signed(rsa, { ...OPS, iss: 'https://idp.example/', aud: 'firstmile' }))).status).toBe(200);
        expect((await get(strict, '/private', await signed(rsa, { ...OPS, iss: 'https://evil.example/', aud: 'firstmile' }))).status).toBe(401);
        expect((await get(strict, '/private', await signed(rsa, { ...OPS, iss: 'https://idp.example/', aud: 'another-api' }))).status).toBe(401);
        expect((await get(strict, '/private', await signed(rsa))).status).toBe(401);
      } finally {
        await strict.close();
      }
    });
  });

  describe('issuer and audience of development tokens (AUTH_JWT_ISSUER, AUTH_JWT_AUDIENCE)', () => {
    let strict: NestFastifyApplication;
    let lax: NestFastifyApplication;
    beforeAll(async () => {
      strict = await appWith(new TokenVerifier({ secret: SECRET, issuer: 'firstmile-dev', audience: 'firstmile' }));
      lax = await appWith(new TokenVerifier({ secret: SECRET }));
    });
    afterAll(async () => {
      await strict?.close();
      await lax?.close();
    });

    it.each([
      ['the right iss and aud', 200, { issuer: 'firstmile-dev', audience: 'firstmile' }],
      ['aud a list that includes ours', 200, { issuer: 'firstmile-dev', audience: ['billing', 'firstmile'] }],
      ['a wrong iss', 401, { issuer: 'someone-else', audience: 'firstmile' }],
      ['a wrong aud', 401, { issuer: 'firstmile-dev', audience: 'billing' }],
      ['no iss', 401, { audience: 'firstmile' }],
      ['no aud', 401, { issuer: 'firstmile-dev' }],
      ['neither', 401, {}],
    ] as Array<[string, number, jwt.SignOptions]>)('configured: a token with %s → %i', async (_, status, opts) => {
      expect((await get(strict, '/private', hs256(OPS, opts))).status).toBe(status);
    });

    it('not configured: iss and aud are not required, whatever they say', async () => {
      expect((await get(lax, '/private', hs256(OPS))).status).toBe(200);
      expect((await get(lax, '/private', hs256(OPS, { issuer: 'anyone', audience: 'anything' }))).status).toBe(200);
    });
  });

  describe('rate limits', () => {
    const LIMIT = 5;
    let app: NestFastifyApplication;
    let verifier: TokenVerifier;
    let verify: jest.SpyInstance;
    beforeEach(async () => {
      verifier = new TokenVerifier({ secret: SECRET });
      verify = jest.spyOn(verifier, 'verify');
      app = await appWith(verifier, { limit: LIMIT });
    });
    afterEach(async () => {
      await app?.close();
    });

    const garbage = ['Bearer garbage', undefined, 'Basic b3BzOm9wcw==', hs256(OPS, {}, 'a-secret-that-is-not-ours'), hs256({ ...OPS, role: 'admin' })];

    it('N+1 requests with bad or no tokens from one address: the last is 429 problem+json with Retry-After', async () => {
      for (let i = 0; i < LIMIT; i += 1) expect((await get(app, '/private', garbage[i % garbage.length], '198.51.100.7')).status).toBe(401);
      for (const authorization of garbage) {
        const reply = await get(app, '/private', authorization, '198.51.100.7');
        expect(reply).toMatchObject({ status: 429, type: expect.stringContaining('application/problem+json'), body: { status: 429, title: 'Too many requests' } });
        expect(Number(reply.retryAfter)).toBeGreaterThan(0);
        expect(Number(reply.retryAfter)).toBeLessThanOrEqual(60);
      }
      // Another address is not held back by this one.
      expect((await get(app, '/private', 'Bearer garbage', '198.51.100.8')).status).toBe(401);
    });

    it("counts a caller's hits in a sliding window: each leaves it when its own ttl is over", async () => {
      // The library's in-memory storage, as patched (patches/README.md): expired hits are dropped from
      // the front of the window. Hits at 0 and 500 ms of a 1 s window; at 1.2 s only the second counts.
      const storage = new ThrottlerStorageService();
      const hit = () => storage.increment('caller', 1_000, LIMIT, 1_000, 'default');
      const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));
      expect((await hit()).totalHits).toBe(1);
      await wait(500);
      expect((await hit()).totalHits).toBe(2);
      await wait(700);
      expect((await hit()).totalHits).toBe(2);
      expect((await hit()).totalHits).toBe(3);
      storage.onApplicationShutdown();
    });

    it('refuses an address over its limit without verifying tokenless or malformed requests', async () => {
      for (let i = 0; i < LIMIT; i += 1) expect((await get(app, '/private', 'Bearer not.a.token', '198.51.100.9')).status).toBe(401);
      for (let i = 0; i < 20; i += 1) expect((await get(app, '/private', i % 2 ? 'Bearer garbage' : undefined, '198.51.100.9')).status).toBe(429);
      expect(verify).toHaveBeenCalledTimes(LIMIT); // `not.a.token` is well formed: verified, refused, counted
    });

    it('a caller with a valid token is not blocked by its address, and has its own limit by subject', async () => {
      for (let i = 0; i <= LIMIT; i += 1) await get(app, '/private', 'Bearer garbage', '198.51.100.10');
      expect((await get(app, '/private', 'Bearer garbage', '198.51.100.10')).status).toBe(429);
      const alice = hs256({ sub: 'alice', role: 'ops' });
      const statuses = [];
      for (let i = 0; i <= LIMIT; i += 1) statuses.push((await get(app, '/private', alice, '198.51.100.10')).status);
      expect(statuses).toEqual([...Array<number>(LIMIT).fill(200), 429]);
      expect((await get(app, '/private', hs256({ sub: 'bob', role: 'ops' }), '198.51.100.10')).status).toBe(200);
    });

    it('public routes are limited by address whatever token comes along; probes are never limited', async () => {
      const tokens = [undefined, hs256(OPS), 'Bearer garbage'];
      for (let i = 0; i < LIMIT; i += 1) expect((await get(app, '/public', tokens[i % 3], '198.51.100.11')).status).toBe(200);
      expect((await get(app, '/public', hs256(OPS), '198.51.100.11')).status).toBe(429);
      for (let i = 0; i < 3 * LIMIT; i += 1) expect((await get(app, '/probe', undefined, '198.51.100.11')).status).toBe(200);
      expect(verify).not.toHaveBeenCalled();
    });

    it('X-Forwarded-For names a new address only behind a trusted proxy (TRUST_PROXY)', async () => {
      const untrusting = app;
      for (let i = 0; i <= LIMIT; i += 1) await get(untrusting, '/private', 'Bearer garbage', '198.51.100.12', { 'x-forwarded-for': `203.0.113.${i + 1}` });
      expect((await get(untrusting, '/private', 'Bearer garbage', '198.51.100.12', { 'x-forwarded-for': '203.0.113.99' })).status).toBe(429);
      const behindProxy = await appWith(verifier, { limit: LIMIT, trustProxy: 1 });
      try {
        for (let i = 0; i <= LIMIT; i += 1) await get(behindProxy, '/private', 'Bearer garbage', '10.0.0.2', { 'x-forwarded-for': '203.0.113.1' });
        expect((await get(behindProxy, '/private', 'Bearer garbage', '10.0.0.2', { 'x-forwarded-for': '203.0.113.1' })).status).toBe(429);
        expect((await get(behindProxy, '/private', 'Bearer garbage', '10.0.0.2', { 'x-forwarded-for': '203.0.113.2' })).status).toBe(401);
      } finally {
        await behindProxy.close();
      }
    });
  });
});
