import * as jwt from 'jsonwebtoken';
import type { Principal } from '@firstmile/contracts';

export const DEV_SECRET = 'firstmile-dev-secret';

/** A signed development token for the given claims (what `npm run token` prints). */
export function token(claims: Partial<Principal> & Pick<Principal, 'role'>, opts: jwt.SignOptions & { secret?: string } = {}): string {
  const { secret = process.env['AUTH_JWT_SECRET'] ?? DEV_SECRET, ...sign } = opts;
  return jwt.sign({ sub: `${claims.role}-test`, ...claims }, secret, { algorithm: 'HS256', expiresIn: '1h', ...sign });
}

export const bearer = (claims: Parameters<typeof token>[0]) => ({ authorization: `Bearer ${token(claims)}` });
