import type { ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import * as jwt from 'jsonwebtoken';
import { ProblemException } from '../problems/problem';
import type { AddressRateLimitGuard } from '../rate-limit.guard';
import { AuthGuard } from './auth.guard';
import { TokenVerifier } from './token-verifier';

const SECRET = 'a-test-secret-of-some-length';

function contextWith(authorization: string | undefined) {
  const request: { headers: Record<string, string | undefined>; principal?: unknown } = { headers: { authorization } };
  const ctx = {
    getType: () => 'http',
    getHandler: () => contextWith,
    getClass: () => class Controller {},
    switchToHttp: () => ({ getRequest: () => request }),
  } as unknown as ExecutionContext;
  return { ctx, request };
}

async function statusOf(guard: AuthGuard, authorization: string): Promise<number> {
  try {
    await guard.canActivate(contextWith(authorization).ctx);
    return 200;
  } catch (err) {
    return err instanceof ProblemException ? err.problem.status : 500;
  }
}

describe('AuthGuard', () => {
  const refused = jest.fn(async () => undefined);
  const guard = new AuthGuard(new TokenVerifier({ secret: SECRET }), new Reflector(), { countRefused: refused } as unknown as AddressRateLimitGuard);
  beforeEach(() => refused.mockClear());
  const sign = (payload: string | object, opts: jwt.SignOptions = {}) => `Bearer ${jwt.sign(payload, SECRET, { algorithm: 'HS256', ...opts })}`;

  it('admits a valid token and sets the principal from its claims', async () => {
    const { ctx, request } = contextWith(sign({ sub: 'u1', role: 'buyer', buyer: 'B1' }, { expiresIn: '1h' }));
    await expect(guard.canActivate(ctx)).resolves.toBe(true);
    expect(request.principal).toEqual({ sub: 'u1', role: 'buyer', buyer: 'B1', coop: undefined, warehouses: undefined });
  });

  it('answers 401, not 500, for a correctly signed payload that is not a claims object', async () => {
    expect(await statusOf(guard, sign('ops'))).toBe(401);
    expect(await statusOf(guard, sign('{"sub":"u","role":"ops"}'))).toBe(401);
  });

  it('answers 401 for a token without an expiry', async () => {
    expect(await statusOf(guard, sign({ sub: 'u1', role: 'ops' }))).toBe(401);
    expect(await statusOf(guard, sign({ sub: 'u1', role: 'ops' }, { expiresIn: '1h' }))).toBe(200);
  });

  it('answers 401 for an expired token or one of another algorithm', async () => {
    expect(await statusOf(guard, sign({ sub: 'u1', role: 'ops' }, { expiresIn: -10 }))).toBe(401);
    expect(await statusOf(guard, `Bearer ${jwt.sign({ sub: 'u1', role: 'ops' }, SECRET, { algorithm: 'HS512', expiresIn: '1h' })}`)).toBe(401);
  });

  it("counts a refused token against the caller's address, and neither a valid one nor a missing one", async () => {
    expect(await statusOf(guard, sign({ sub: 'u1', role: 'ops' }, { expiresIn: '1h' }))).toBe(200);
    expect(await statusOf(guard, 'Basic b3BzOm9wcw==')).toBe(401);
    expect(refused).not.toHaveBeenCalled();
    expect(await statusOf(guard, `Bearer ${jwt.sign({ sub: 'u1', role: 'ops' }, 'another-secret-entirely', { expiresIn: '1h' })}`)).toBe(401);
    expect(await statusOf(guard, sign({ sub: 'u1', role: 'admin' }, { expiresIn: '1h' }))).toBe(401);
    expect(refused).toHaveBeenCalledTimes(2);
  });

  it('answers what the address limit throws (429) instead of 401 for a refused token', async () => {
    refused.mockRejectedValueOnce(new ProblemException({ type: 'urn:x', title: 'Too many requests', status: 429 }));
    expect(await statusOf(guard, `Bearer ${jwt.sign({ sub: 'u1', role: 'ops' }, 'another-secret-entirely', { expiresIn: '1h' })}`)).toBe(429);
  });

  describe('verified tokens', () => {
    const verifier = new TokenVerifier({ secret: SECRET });
    const verify = jest.spyOn(verifier, 'verify');
    const cached = new AuthGuard(verifier, new Reflector(), { countRefused: refused } as unknown as AddressRateLimitGuard);
    beforeEach(() => verify.mockClear());

    it("are not verified again on the caller's next requests, and each request gets the same principal", async () => {
      const token = sign({ sub: 'line-7', role: 'grading_line', warehouses: ['WH-1'] }, { expiresIn: '1h' });
      const first = contextWith(token);
      const second = contextWith(token);
      await cached.canActivate(first.ctx);
      await cached.canActivate(second.ctx);
      expect(verify).toHaveBeenCalledTimes(1);
      expect(second.request.principal).toEqual({ sub: 'line-7', role: 'grading_line', warehouses: ['WH-1'], coop: undefined, buyer: undefined, county: undefined });
      expect(Object.isFrozen(second.request.principal)).toBe(true);
      // Another token of the same subject is a token of its own.
      expect(await statusOf(cached, sign({ sub: 'line-7', role: 'grading_line' }, { expiresIn: '2h' }))).toBe(200);
      expect(verify).toHaveBeenCalledTimes(2);
    });

    it('are refused once expired, though verified before', async () => {
      const exp = Math.floor(Date.now() / 1000) + 2; // 1 to 2 s from now
      const token = sign({ sub: 'u2', role: 'ops', exp });
      expect(await statusOf(cached, token)).toBe(200);
      expect(await statusOf(cached, token)).toBe(200);
      await new Promise((r) => setTimeout(r, exp * 1000 - Date.now() + 50));
      expect(await statusOf(cached, token)).toBe(401);
      expect(verify).toHaveBeenCalledTimes(2);
    });

    it('are kept only when valid: a refused token is checked again each time', async () => {
      const forged = `Bearer ${jwt.sign({ sub: 'u1', role: 'ops' }, 'another-secret-entirely', { expiresIn: '1h' })}`;
      expect(await statusOf(cached, forged)).toBe(401);
      expect(await statusOf(cached, forged)).toBe(401);
      expect(verify).toHaveBeenCalledTimes(2);
    });
  });
});
