import { validateEnv } from './validate-env';
import { EnvBool, EnvInt, EnvNumber, parseEnvBool, parseEnvNumber, readEnvInt } from './env-values';

class SampleEnv {
  @EnvBool() SEED = true;
  @EnvBool() SECURE = false;
  @EnvInt({ min: 1, max: 65535 }) PORT = 3000;
  @EnvNumber({ min: 0, max: 240 }) HOURS = 12;
}

describe('parseEnvBool', () => {
  it.each(['true', 'TRUE', ' yes ', 'On', '1'])('reads %p as true', (s) => expect(parseEnvBool(s)).toBe(true));
  it.each(['false', 'False', 'no', 'OFF', '0'])('reads %p as false', (s) => expect(parseEnvBool(s)).toBe(false));
  it.each(['', 'y', 'n', 'enabled', '2', 'truthy'])('does not guess %p', (s) => expect(parseEnvBool(s)).toBeUndefined());
});

describe('parseEnvNumber', () => {
  it('reads plain decimal digits', () => {
    expect(parseEnvNumber(' 42 ', { integer: true })).toBe(42);
    expect(parseEnvNumber('-3', { integer: true })).toBe(-3);
    expect(parseEnvNumber('0.5', { integer: false })).toBe(0.5);
  });
  it.each(['0x10', '1e3', '12ms', ' ', 'Infinity', 'NaN', '1_000'])('refuses %p (Number() would read some of them)', (s) => {
    expect(parseEnvNumber(s, { integer: true })).toBeUndefined();
    expect(parseEnvNumber(s, { integer: false })).toBeUndefined();
  });
  it('refuses a fraction where a whole number is needed', () => expect(parseEnvNumber('1.5', { integer: true })).toBeUndefined());
});

describe('the env decorators through validateEnv (what a service does at start-up)', () => {
  const parse = validateEnv(SampleEnv);

  it('keeps the defaults when nothing is set, and an empty value counts as unset', () => {
    expect(parse({ SEED: '' })).toMatchObject({ SEED: true, SECURE: false, PORT: 3000, HOURS: 12 });
  });

  it('reads every accepted spelling the same way in every service (yes was false in one, off true in another)', () => {
    expect(parse({ SEED: 'off', SECURE: 'yes' })).toMatchObject({ SEED: false, SECURE: true });
    expect(parse({ SEED: 'NO', SECURE: 'On' })).toMatchObject({ SEED: false, SECURE: true });
    expect(parse({ PORT: '8080', HOURS: '1.5' })).toMatchObject({ PORT: 8080, HOURS: 1.5 });
  });

  it('stops the start with the accepted spellings for an unknown boolean', () => {
    expect(() => parse({ SEED: 'enabled' })).toThrow('SEED=enabled: one of true, 1, yes, on, false, 0, no, off is needed');
  });

  it('stops the start for a number that is not plain digits or out of range', () => {
    expect(() => parse({ PORT: '0x1F90' })).toThrow('PORT=0x1F90: a whole number is needed');
    expect(() => parse({ PORT: '80.5' })).toThrow('PORT=80.5: a whole number is needed');
    expect(() => parse({ PORT: '70000' })).toThrow(/PORT: PORT must not be greater than 65535/);
    expect(() => parse({ HOURS: '12h' })).toThrow('HOURS=12h: a number is needed');
  });
});

describe('readEnvInt (a variable read before the env class exists)', () => {
  it('gives the fallback when unset or empty', () => {
    expect(readEnvInt('X', 5000, {}, {})).toBe(5000);
    expect(readEnvInt('X', 5000, {}, { X: '' })).toBe(5000);
    expect(readEnvInt('X', 5000, {}, { X: '  ' })).toBe(5000);
  });

  it('reads digits within the bounds', () => expect(readEnvInt('X', 5000, { min: 10 }, { X: '200' })).toBe(200));

  it('stops the start for anything else (OUTBOX_POLL_MS=abc was a poll every millisecond)', () => {
    expect(() => readEnvInt('OUTBOX_POLL_MS', 5000, { min: 10 }, { OUTBOX_POLL_MS: 'abc' })).toThrow('OUTBOX_POLL_MS=abc: a whole number is needed');
    expect(() => readEnvInt('OUTBOX_POLL_MS', 5000, { min: 10 }, { OUTBOX_POLL_MS: '5' })).toThrow('OUTBOX_POLL_MS=5: a whole number from 10 to ∞ is needed');
    expect(() => readEnvInt('REPLICAS', 1, { min: 1, max: 64 }, { REPLICAS: '65' })).toThrow('REPLICAS=65: a whole number from 1 to 64 is needed');
  });
});
