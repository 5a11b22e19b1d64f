import { validateEnv } from '@firstmile/config';
import { AuthEnv, bodyLimitOf, HttpEnv } from './env';

describe('AuthEnv', () => {
  const parse = validateEnv(AuthEnv);

  it('reads the optional settings when they are set (AUTH_JWKS_URL was silently dropped)', () => {
    const env = parse({ AUTH_JWKS_URL: 'http://127.0.0.1:8080/.well-known/jwks.json', AUTH_JWT_ISSUER: 'https://idp.example/', AUTH_JWT_AUDIENCE: 'firstmile', OTHER: 'x' });
    expect(env).toMatchObject({ AUTH_JWKS_URL: 'http://127.0.0.1:8080/.well-known/jwks.json', AUTH_JWT_ISSUER: 'https://idp.example/', AUTH_JWT_AUDIENCE: 'firstmile' });
  });

  it('leaves them unset by default, and treats an empty value as unset', () => {
    const env = parse({ AUTH_JWKS_URL: '', AUTH_JWT_ISSUER: '' });
    expect([env.AUTH_JWKS_URL, env.AUTH_JWT_ISSUER, env.AUTH_JWT_AUDIENCE]).toEqual([undefined, undefined, undefined]);
    expect(env.AUTH_JWT_SECRET).toBe('firstmile-dev-secret');
  });

  it('refuses a key set address that is not an http(s) URL', () => {
    expect(() => parse({ AUTH_JWKS_URL: 'idp.example/jwks.json' })).toThrow(/AUTH_JWKS_URL/);
    expect(() => parse({ AUTH_JWKS_URL: 'file:///etc/jwks.json' })).toThrow(/AUTH_JWKS_URL/);
  });
});

describe('AuthEnv outside development (issue 22.1: the public dev secret worked in production)', () => {
  const parse = validateEnv(AuthEnv);
  const strong = 'k3Yq9v-7f2W_xR8pL0mN4sT6uZ1aB5cD'; // 32 bytes

  it('refuses to start in production without a key set or a secret of its own', () => {
    expect(() => parse({ NODE_ENV: 'production' })).toThrow(/AUTH_JWT_SECRET: NODE_ENV=production is not development/);
    expect(() => parse({ NODE_ENV: 'production', AUTH_JWT_SECRET: 'firstmile-dev-secret' })).toThrow(/AUTH_JWT_SECRET/);
    expect(() => parse({ NODE_ENV: 'staging', AUTH_JWT_SECRET: '' })).toThrow(/AUTH_JWT_SECRET/);
  });

  it('refuses a secret shorter than 32 bytes outside development', () => {
    expect(() => parse({ NODE_ENV: 'production', AUTH_JWT_SECRET: strong.slice(0, 31) })).toThrow(/at least 32 bytes/);
  });

  it('starts with a long secret of its own, or with an identity provider', () => {
    expect(parse({ NODE_ENV: 'production', AUTH_JWT_SECRET: strong }).AUTH_JWT_SECRET).toBe(strong);
    expect(parse({ NODE_ENV: 'production', AUTH_JWKS_URL: 'https://idp.example/jwks.json', AUTH_JWT_ISSUER: 'https://idp.example/', AUTH_JWT_AUDIENCE: 'firstmile' }).AUTH_JWKS_URL).toBe(
      'https://idp.example/jwks.json',
    );
  });

  it('keeps the development default where npm start and the tests run', () => {
    expect(parse({}).AUTH_JWT_SECRET).toBe('firstmile-dev-secret');
    expect(parse({ NODE_ENV: 'development' }).AUTH_JWT_SECRET).toBe('firstmile-dev-secret');
    expect(parse({ NODE_ENV: 'test' }).AUTH_JWT_SECRET).toBe('firstmile-dev-secret');
  });
});

describe('AuthEnv with an identity provider (issue 22.3)', () => {
  const parse = validateEnv(AuthEnv);
  const idp = { AUTH_JWKS_URL: 'https://idp.example/.well-known/jwks.json', AUTH_JWT_ISSUER: 'https://idp.example/', AUTH_JWT_AUDIENCE: 'firstmile' };

  it('requires an issuer and an audience with a key set', () => {
    expect(parse(idp)).toMatchObject(idp);
    expect(() => parse({ ...idp, AUTH_JWT_ISSUER: '' })).toThrow(/AUTH_JWT_ISSUER is required with AUTH_JWKS_URL/);
    expect(() => parse({ ...idp, AUTH_JWT_AUDIENCE: undefined })).toThrow(/AUTH_JWT_AUDIENCE is required with AUTH_JWKS_URL/);
  });

  it('fetches keys over https only, or over http from 127.0.0.1', () => {
    expect(() => parse({ ...idp, AUTH_JWKS_URL: 'http://idp.example/.well-known/jwks.json' })).toThrow(/AUTH_JWKS_URL must be https/);
    expect(() => parse({ ...idp, AUTH_JWKS_URL: 'http://10.0.0.7:8080/jwks.json' })).toThrow(/AUTH_JWKS_URL must be https/);
    expect(() => parse({ ...idp, AUTH_JWKS_URL: 'http://127.0.0.1.evil.example/jwks.json' })).toThrow(/AUTH_JWKS_URL must be https/);
    expect(parse({ ...idp, AUTH_JWKS_URL: 'http://127.0.0.1:8080/jwks.json' }).AUTH_JWKS_URL).toBe('http://127.0.0.1:8080/jwks.json');
  });

  it('allows a small, configurable clock tolerance', () => {
    expect(parse({}).AUTH_JWT_CLOCK_TOLERANCE_S).toBe(30);
    expect(parse({ AUTH_JWT_CLOCK_TOLERANCE_S: '5' }).AUTH_JWT_CLOCK_TOLERANCE_S).toBe(5);
    expect(() => parse({ AUTH_JWT_CLOCK_TOLERANCE_S: '3600' })).toThrow(/AUTH_JWT_CLOCK_TOLERANCE_S/);
  });
});

describe('HttpEnv: the body limit', () => {
  it('is the default for an empty BODY_LIMIT_BYTES, as the env class reads it (it was 0: every body a 413)', () => {
    expect(bodyLimitOf({ BODY_LIMIT_BYTES: '' })).toBe(validateEnv(HttpEnv)({ BODY_LIMIT_BYTES: '' }).BODY_LIMIT_BYTES);
    expect(bodyLimitOf({})).toBe(2 * 1024 * 1024);
    expect(bodyLimitOf({ BODY_LIMIT_BYTES: '4096' })).toBe(4096);
  });

  it('stops the start for a limit that is not a whole number of at least 1024 bytes', () => {
    expect(() => bodyLimitOf({ BODY_LIMIT_BYTES: '2mb' })).toThrow('BODY_LIMIT_BYTES=2mb: a whole number is needed');
    expect(() => bodyLimitOf({ BODY_LIMIT_BYTES: '10' })).toThrow(/BODY_LIMIT_BYTES=10/);
  });
});
