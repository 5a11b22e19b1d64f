import { AuthEnv, validateEnv } from './env';

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
