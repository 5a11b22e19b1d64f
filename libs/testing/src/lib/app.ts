import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { KafkaEventServer } from '@firstmile/messaging';

/**
 * Starts a service in this process against the run's broker and store, ready for `app.inject()`:
 * HTTP routes registered and its Kafka consumers joined.
 */
export async function startApp(
  create: () => Promise<NestFastifyApplication>,
  env: Record<string, string> = {},
): Promise<NestFastifyApplication> {
  Object.assign(process.env, env);
  const app = await create();
  await app.init();
  await app.getHttpAdapter().getInstance().ready();
  await app.get(KafkaEventServer).joined;
  return app;
}
