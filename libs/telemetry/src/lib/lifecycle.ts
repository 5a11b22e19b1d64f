/**
 * The running SDK, reachable without importing it: the libs use `@firstmile/telemetry` (API only)
 * and must not load the SDK in processes that never started it (unit and integration tests).
 */
interface TelemetryHandle {
  shutdown(): Promise<void>;
  exporters: string[];
}

const KEY = Symbol.for('firstmile.telemetry');
type WithHandle = typeof globalThis & { [KEY]?: TelemetryHandle };

export function installTelemetryHandle(handle: TelemetryHandle): void {
  (globalThis as WithHandle)[KEY] = handle;
}

/** Which exporters the SDK of this process uses; undefined when the SDK was not started. */
export function telemetryExporters(): string[] | undefined {
  return (globalThis as WithHandle)[KEY]?.exporters;
}

/**
 * Exports the spans still buffered and stops the SDK: called on the service's graceful shutdown,
 * so the last few seconds of a trace are not lost. Never throws, never waits more than `timeoutMs`.
 */
export async function shutdownTelemetry(timeoutMs = 5000): Promise<void> {
  const handle = (globalThis as WithHandle)[KEY];
  if (!handle) return;
  (globalThis as WithHandle)[KEY] = undefined;
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    handle.shutdown().catch(() => undefined),
    new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs).unref())),
  ]);
  clearTimeout(timer);
}
