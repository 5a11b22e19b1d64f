#!/usr/bin/env node
// Prints a development token: npm run token -- --role coop_manager --coop COOP-123
// (or --role county_official --county CN-GS-LIXIAN)
// Signed with AUTH_JWT_SECRET; carries AUTH_JWT_ISSUER / AUTH_JWT_AUDIENCE as iss / aud when they are set.
import { parseArgs } from 'node:util';
import jwt from 'jsonwebtoken';

const ROLES = ['coop_manager', 'grading_line', 'warehouse_operator', 'buyer', 'logistics_operator', 'ops', 'county_official'];
const { values } = parseArgs({
  options: {
    role: { type: 'string' },
    sub: { type: 'string' },
    coop: { type: 'string' },
    warehouses: { type: 'string' },
    buyer: { type: 'string' },
    county: { type: 'string' },
    ttl: { type: 'string', default: '12h' },
  },
});

if (!values.role || !ROLES.includes(values.role)) {
  console.error(`usage: npm run token -- --role <${ROLES.join('|')}> [--coop ID] [--warehouses ID,ID] [--buyer ID] [--county CN-GS-LIXIAN] [--sub NAME] [--ttl 12h]`);
  process.exit(2);
}
const claims = {
  sub: values.sub ?? `${values.role}-dev`,
  role: values.role,
  ...(values.coop ? { coop: values.coop } : {}),
  ...(values.warehouses ? { warehouses: values.warehouses.split(',') } : {}),
  ...(values.buyer ? { buyer: values.buyer } : {}),
  ...(values.county ? { county: values.county } : {}),
};
if (process.env.AUTH_JWKS_URL) {
  console.error('AUTH_JWKS_URL is set: the services accept only the identity provider\'s tokens, not this HS256 one.');
}
const secret = process.env.AUTH_JWT_SECRET ?? 'firstmile-dev-secret';
// The services require these claims when their env sets them (see libs/http AuthEnv).
const required = {
  ...(process.env.AUTH_JWT_ISSUER ? { issuer: process.env.AUTH_JWT_ISSUER } : {}),
  ...(process.env.AUTH_JWT_AUDIENCE ? { audience: process.env.AUTH_JWT_AUDIENCE } : {}),
};
process.stdout.write(`${jwt.sign(claims, secret, { algorithm: 'HS256', expiresIn: values.ttl, ...required })}\n`);
