// The API side only: safe to import anywhere. The SDK itself starts in register.ts, preloaded with
// `node --require dist/libs/telemetry/src/register.js` before the service's code loads.
export * from './lib/tracing';
export * from './lib/metrics';
export * from './lib/messaging-spans';
export * from './lib/lifecycle';
