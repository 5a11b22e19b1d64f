import { createRemoteJWKSet, errors, jwtVerify, type JWTPayload, type JWTVerifyGetKey, type JWTVerifyOptions } from 'jose';
import type { AuthEnv } from '../env';

/** Algorithms accepted from an identity provider's key set; everything else (HS*, none) is refused. */
export const JWKS_ALGORITHMS = ['RS256', 'ES256'];

export interface TokenVerifierOptions {
  /** HS256 secret of development tokens; used only when there is no `jwksUrl`. */
  secret: string;
  /** The identity provider's JSON Web Key Set. */
  jwksUrl?: string;
  issuer?: string;
  audience?: string;
  /** Least time between two key set fetches caused by tokens naming an unknown key (default 30 s). */
  jwksCooldownMs?: number;
  /** Longest wait for the key set (default 5 s). */
  jwksTimeoutMs?: number;
  /** How long fetched keys are trusted before they are fetched again (default 10 min). */
  jwksMaxAgeMs?: number;
  /** Seconds of clock skew allowed for `exp` and `nbf` (default 0). */
  clockToleranceS?: number;
}

/**
 * The `typ` header values of an access token (RFC 7519 `JWT`, RFC 9068 `at+jwt`), compared as media
 * types: case-insensitive, `application/` optional. Another type (an ID token's, a logout token's
 * `logout+jwt`, …) is a token for something else, even when the same key signed it. None is allowed.
 */
const ACCESS_TOKEN_TYPES = ['jwt', 'at+jwt'];
const isAccessTokenType = (typ: unknown) => typ === undefined || (typeof typ === 'string' && ACCESS_TOKEN_TYPES.includes(typ.toLowerCase().replace(/^application\//, '')));

/** The token itself is not acceptable; the message may be shown to the caller. */
export class TokenRejected extends Error {}

/** The identity provider's keys could not be had, so no token can be checked; not the caller's fault. */
export class SigningKeysUnavailable extends Error {}

/** A bearer token of the three-segment compact form, or undefined: cheap, no parsing, no crypto. */
export function bearerTokenOf(header: string | undefined): string | undefined {
  return /^Bearer ([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*)$/.exec(header ?? '')?.[1];
}

/**
 * Checks a token's signature and its registered claims (`exp` required, `nbf`, and `iss`/`aud` when
 * configured) with one pinned set of algorithms: HS256 with the development secret, or RS256/ES256
 * with the key of the identity provider's key set the token names by `kid`. The key set is fetched on
 * first use, kept for `jwksMaxAgeMs`, and fetched again when a token names a key it lacks (a key
 * rotation), at most once per `jwksCooldownMs` so made-up `kid`s cannot make us hammer the provider.
 */
export class TokenVerifier {
  private readonly key: Uint8Array | JWTVerifyGetKey;
  private readonly options: JWTVerifyOptions;

  constructor(o: TokenVerifierOptions) {
    if (o.jwksUrl) {
      const keySet = createRemoteJWKSet(new URL(o.jwksUrl), {
        cooldownDuration: o.jwksCooldownMs ?? 30_000,
        timeoutDuration: o.jwksTimeoutMs ?? 5_000,
        cacheMaxAge: o.jwksMaxAgeMs ?? 600_000,
      });
      // The key is chosen by `kid`: without one, jose would try whichever key fits the algorithm.
      this.key = async (header, token) => {
        if (typeof header.kid !== 'string' || header.kid === '') throw new TokenRejected('the token names no key (kid)');
        return keySet(header, token);
      };
      this.options = { algorithms: JWKS_ALGORITHMS };
    } else {
      this.key = new TextEncoder().encode(o.secret);
      this.options = { algorithms: ['HS256'] };
    }
    this.options.requiredClaims = ['exp'];
    this.options.clockTolerance = o.clockToleranceS ?? 0;
    if (o.issuer) this.options.issuer = o.issuer;
    if (o.audience) this.options.audience = o.audience;
  }

  static fromEnv(env: Pick<AuthEnv, 'AUTH_JWT_SECRET' | 'AUTH_JWKS_URL' | 'AUTH_JWT_ISSUER' | 'AUTH_JWT_AUDIENCE' | 'AUTH_JWT_CLOCK_TOLERANCE_S'>): TokenVerifier {
    return new TokenVerifier({
      secret: env.AUTH_JWT_SECRET,
      jwksUrl: env.AUTH_JWKS_URL,
      issuer: env.AUTH_JWT_ISSUER,
      audience: env.AUTH_JWT_AUDIENCE,
      clockToleranceS: env.AUTH_JWT_CLOCK_TOLERANCE_S,
    });
  }

  /** The verified claims; throws TokenRejected or SigningKeysUnavailable. */
  async verify(token: string): Promise<JWTPayload> {
    try {
      const { payload, protectedHeader } = await jwtVerify(token, this.key as JWTVerifyGetKey, this.options);
      if (!isAccessTokenType(protectedHeader.typ)) throw new TokenRejected(`a token of type ${String(protectedHeader.typ)} is not an access token`);
      return payload;
    } catch (err) {
      if (err instanceof TokenRejected) throw err;
      if (isKeySetFailure(err)) throw new SigningKeysUnavailable(`the signing keys could not be fetched: ${(err as Error).message}`, { cause: err });
      throw new TokenRejected((err as Error).message);
    }
  }
}

/**
 * Failures of the key set fetch: a timeout, an answer that is not a key set, a status other than 200
 * or a body that is not JSON (jose's generic error), or a network error (not a jose error at all: jose
 * raises its own errors for every fault of a token). The rest is about the token (signature,
 * algorithm, claims, no key of that `kid`).
 */
function isKeySetFailure(err: unknown): boolean {
  if (!(err instanceof errors.JOSEError)) return true;
  return err instanceof errors.JWKSTimeout || err instanceof errors.JWKSInvalid || err.code === 'ERR_JOSE_GENERIC';
}
