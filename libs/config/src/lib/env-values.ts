import { Transform } from 'class-transformer';
import { IsBoolean, IsInt, IsNumber, Max, Min } from 'class-validator';

/**
 * The spellings of a boolean setting, case-insensitive and trimmed. Anything else is a start-up
 * error: `SEED_REFERENCE_DATA=yes` once meant false in one service and `off` meant true in another.
 */
export const TRUE_SPELLINGS = ['true', '1', 'yes', 'on'] as const;
export const FALSE_SPELLINGS = ['false', '0', 'no', 'off'] as const;

/** A boolean from its environment spelling; `undefined` for any other spelling (the caller refuses it). */
export function parseEnvBool(value: unknown): boolean | undefined {
  if (typeof value === 'boolean') return value;
  if (typeof value !== 'string') return undefined;
  const spelling = value.trim().toLowerCase();
  if ((TRUE_SPELLINGS as readonly string[]).includes(spelling)) return true;
  if ((FALSE_SPELLINGS as readonly string[]).includes(spelling)) return false;
  return undefined;
}

const INTEGER = /^[+-]?\d+$/;
const DECIMAL = /^[+-]?(\d+(\.\d*)?|\.\d+)$/;

/**
 * A number from its environment spelling: plain decimal digits only, so `0x10`, `1e3`, `12ms` and a
 * blank are refused rather than read as 16, 1000, NaN-later or 0 (what `Number()` makes of them).
 */
export function parseEnvNumber(value: unknown, { integer }: { integer: boolean }): number | undefined {
  if (typeof value === 'number') return value;
  if (typeof value !== 'string') return undefined;
  const text = value.trim();
  return (integer ? INTEGER : DECIMAL).test(text) ? Number(text) : undefined;
}

interface Range {
  min?: number;
  max?: number;
}

/**
 * A whole-number variable read before the env class exists (module decoration, the cluster
 * primary): unset or empty gives the fallback; anything else must be digits within the bounds, or
 * the start stops here, with the same rule and message the env class would give.
 */
export function readEnvInt(name: string, fallback: number, { min, max }: Range = {}, env: NodeJS.ProcessEnv = process.env): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const n = parseEnvNumber(raw, { integer: true });
  if (n === undefined) throw new Error(`${name}=${raw}: a whole number is needed`);
  if ((min !== undefined && n < min) || (max !== undefined && n > max)) {
    throw new Error(`${name}=${raw}: a whole number from ${min ?? '-∞'} to ${max ?? '∞'} is needed`);
  }
  return n;
}

/** Applies several property decorators as one. */
const all =
  (...decorators: PropertyDecorator[]): PropertyDecorator =>
  (target, key) => {
    for (const d of decorators) d(target, key);
  };

const range = ({ min, max }: Range): PropertyDecorator[] => [
  ...(min === undefined ? [] : [Min(min)]),
  ...(max === undefined ? [] : [Max(max)]),
];

/**
 * A boolean setting: `true`/`false`, `1`/`0`, `yes`/`no`, `on`/`off` (any case). Another spelling
 * stops the service at start-up with the accepted ones in the message.
 */
export function EnvBool(): PropertyDecorator {
  const accepted = [...TRUE_SPELLINGS, ...FALSE_SPELLINGS].join(', ');
  return all(
    // An unknown spelling stays a string, so @IsBoolean refuses it by name.
    Transform(({ value }: { value: unknown }) => parseEnvBool(value) ?? value),
    IsBoolean({ message: ({ property, value }) => `${property}=${String(value)}: one of ${accepted} is needed` }),
  );
}

/** A whole-number setting (decimal digits), optionally within [min, max]. */
export function EnvInt(bounds: Range = {}): PropertyDecorator {
  return all(
    Transform(({ value }: { value: unknown }) => parseEnvNumber(value, { integer: true }) ?? value),
    IsInt({ message: ({ property, value }) => `${property}=${String(value)}: a whole number is needed` }),
    ...range(bounds),
  );
}

/** A decimal setting (`12`, `0.5`), optionally within [min, max]. */
export function EnvNumber(bounds: Range = {}): PropertyDecorator {
  return all(
    Transform(({ value }: { value: unknown }) => parseEnvNumber(value, { integer: false }) ?? value),
    IsNumber({ allowNaN: false, allowInfinity: false }, { message: ({ property, value }) => `${property}=${String(value)}: a number is needed` }),
    ...range(bounds),
  );
}
