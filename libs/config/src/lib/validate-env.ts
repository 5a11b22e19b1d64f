import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';

/**
 * Validates the process environment against an env class at start-up, so a bad setting stops the
 * service with every problem listed instead of failing later. Only the variables an instance of the
 * class has as properties are read, so an optional one needs an initialiser (`X?: string = undefined`):
 * the build does not define fields (`useDefineForClassFields: false`), and without one the variable
 * would be silently ignored (AUTH_JWKS_URL was). An empty value counts as unset.
 */
export function validateEnv<T extends object>(envClass: new () => T) {
  return (raw: Record<string, unknown>): T => {
    const known = Object.keys(new envClass());
    const picked = Object.fromEntries(Object.entries(raw).filter(([k, v]) => known.includes(k) && v !== ''));
    const env = plainToInstance(envClass, picked, { exposeDefaultValues: true });
    const errors = validateSync(env, { skipMissingProperties: false });
    if (errors.length > 0) {
      const lines = errors.flatMap((e) => Object.values(e.constraints ?? {}).map((m) => `  ${e.property}: ${m}`));
      throw new Error(`Invalid configuration:\n${lines.join('\n')}`);
    }
    return env;
  };
}
