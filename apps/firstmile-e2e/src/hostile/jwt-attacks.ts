import * as jwt from 'jsonwebtoken';
import { DEV_SECRET, token } from '@firstmile/testing';
import type { ServiceName } from '../stack';
import type { World } from './world';

const b64 = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');
const secret = () => process.env['AUTH_JWT_SECRET'] ?? DEV_SECRET;
const now = () => Math.floor(Date.now() / 1000);
const OPS = { sub: 'hostile-jwt', role: 'ops' };

/** A token signed with the right secret over any payload, even one that is not a claims object. */
const signRaw = (payload: string | object, header: object = {}) => jwt.sign(payload, secret(), { algorithm: 'HS256', header: { alg: 'HS256', ...header } });

/** Replaces a token's payload and keeps its original signature. */
const tamper = (t: string, payload: object) => {
  const [h, , s] = t.split('.');
  return `${h}.${b64(payload)}.${s}`;
};

export interface JwtAttack {
  name: string;
  /** The whole Authorization header value, or none. */
  authorization: () => string | undefined;
  status: 401 | 403;
}

/** Each is sent to a protected route of every service; a valid ops token gets 200 there. */
export const JWT_ATTACKS: JwtAttack[] = [
  { name: 'no Authorization header', authorization: () => undefined, status: 401 },
  { name: 'Bearer with no token', authorization: () => 'Bearer ', status: 401 },
  { name: 'another scheme (Basic)', authorization: () => `Basic ${Buffer.from('ops:ops').toString('base64')}`, status: 401 },
  { name: 'alg none, no signature', authorization: () => `Bearer ${b64({ alg: 'none', typ: 'JWT' })}.${b64({ ...OPS, exp: now() + 600 })}.`, status: 401 },
  { name: 'alg none, with a signature', authorization: () => `Bearer ${b64({ alg: 'none', typ: 'JWT' })}.${b64({ ...OPS, exp: now() + 600 })}.${b64('sig')}`, status: 401 },
  { name: 'alg "None" (case)', authorization: () => `Bearer ${b64({ alg: 'None', typ: 'JWT' })}.${b64({ ...OPS, exp: now() + 600 })}.`, status: 401 },
  { name: 'HS512 with the right secret (only HS256 is accepted)', authorization: () => `Bearer ${token(OPS as never, { algorithm: 'HS512' })}`, status: 401 },
  {
    name: 'header says RS256, HMAC-signed (algorithm confusion)',
    authorization: () => {
      const [, p, s] = token(OPS as never).split('.');
      return `Bearer ${b64({ alg: 'RS256', typ: 'JWT' })}.${p}.${s}`;
    },
    status: 401,
  },
  { name: 'expired', authorization: () => `Bearer ${token(OPS as never, { expiresIn: -60 })}`, status: 401 },
  { name: 'not yet valid (nbf in an hour)', authorization: () => `Bearer ${token(OPS as never, { notBefore: 3600 })}`, status: 401 },
  { name: 'wrong secret', authorization: () => `Bearer ${token(OPS as never, { secret: 'not-the-firstmile-secret-at-all' })}`, status: 401 },
  { name: 'empty secret', authorization: () => `Bearer ${b64({ alg: 'HS256', typ: 'JWT' })}.${b64({ ...OPS, exp: now() + 600 })}.${jwt.sign({}, 'x').split('.')[2]}`, status: 401 },
  { name: 'payload tampered: buyer → ops, original signature', authorization: () => `Bearer ${tamper(token({ role: 'buyer', buyer: 'B', sub: 'b' }), { ...OPS, exp: now() + 600 })}`, status: 401 },
  { name: 'signature stripped', authorization: () => `Bearer ${token(OPS as never).split('.').slice(0, 2).join('.')}.`, status: 401 },
  { name: 'signature of another token', authorization: () => `Bearer ${token(OPS as never).split('.').slice(0, 2).join('.')}.${token({ role: 'buyer' }).split('.')[2]}`, status: 401 },
  { name: 'two segments', authorization: () => `Bearer ${token(OPS as never).split('.').slice(0, 2).join('.')}`, status: 401 },
  { name: 'four segments', authorization: () => `Bearer ${token(OPS as never)}.x`, status: 401 },
  { name: 'not base64', authorization: () => 'Bearer ***.***.***', status: 401 },
  { name: 'header not JSON', authorization: () => `Bearer ${b64('{not json')}.${b64(OPS)}.${b64('s')}`, status: 401 },
  { name: 'signed payload that is a string', authorization: () => `Bearer ${signRaw('ops')}`, status: 401 },
  { name: 'signed payload that is an array', authorization: () => `Bearer ${b64({ alg: 'HS256', typ: 'JWT' })}.${b64([OPS])}.${b64('s')}`, status: 401 },
  { name: 'signed, role not a Firstmile role', authorization: () => `Bearer ${token({ role: 'admin' as never, sub: 'x' })}`, status: 401 },
  { name: 'signed, role "__proto__"', authorization: () => `Bearer ${token({ role: '__proto__' as never, sub: 'x' })}`, status: 401 },
  { name: 'signed, no sub', authorization: () => `Bearer ${signRaw({ role: 'ops', exp: now() + 600 })}`, status: 401 },
  { name: 'signed, warehouses not an array', authorization: () => `Bearer ${token({ role: 'warehouse_operator', warehouses: 'WH-LIXIAN-ORIGIN' as never, sub: 'x' })}`, status: 401 },
  { name: 'signed, role an array', authorization: () => `Bearer ${signRaw({ sub: 'x', role: ['ops'], exp: now() + 600 })}`, status: 401 },
  // A token that never expires is a leaked credential forever: every token must carry `exp`.
  { name: 'signed, no exp', authorization: () => `Bearer ${signRaw({ ...OPS })}`, status: 401 },
  { name: 'huge token (8 KB)', authorization: () => `Bearer ${token({ ...OPS, sub: 'x'.repeat(8_000) } as never)}`, status: 401 },
];

/** A protected route per service: 200 for ops, 403 for `wrongRole`. */
export const JWT_TARGETS = (w: World): Array<{ service: ServiceName; path: string; wrongRole: 'buyer' | 'coop_manager' }> => [
  { service: 'harvest-intake', path: '/v1/lots', wrongRole: 'buyer' },
  { service: 'grading', path: `/v1/lots/${w.lotA}/grading`, wrongRole: 'buyer' },
  { service: 'warehouse', path: '/v1/warehouses/WH-LIXIAN-ORIGIN/stock', wrongRole: 'buyer' },
  { service: 'order-routing', path: '/v1/shipments', wrongRole: 'coop_manager' },
  { service: 'insights', path: '/epcis/events', wrongRole: 'buyer' },
];
