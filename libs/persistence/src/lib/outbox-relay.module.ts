import { type DynamicModule, Module } from '@nestjs/common';
import { getModelToken } from '@nestjs/mongoose';
import type { Model } from 'mongoose';
import { readEnvInt } from '@firstmile/config';
import { EventPublisher } from '@firstmile/messaging';
import type { OutboxFields } from './outbox';
import { OutboxRelay, type OutboxRelayOptions } from './outbox-relay';

@Module({})
export class OutboxRelayModule {
  /** Relays the outboxes of the named models (registered with MongooseModule.forFeature in `imports`). */
  static forModels(
    models: string[],
    imports: DynamicModule[],
    // Read when the module is declared, before the env class is validated (MongoEnv has the same rules).
    options: OutboxRelayOptions = {
      pollMs: readEnvInt('OUTBOX_POLL_MS', 5000, { min: 10 }),
      batchSize: 200,
    },
  ): DynamicModule {
    return {
      module: OutboxRelayModule,
      imports,
      providers: [
        {
          provide: OutboxRelay,
          inject: [EventPublisher, ...models.map((m) => getModelToken(m))],
          useFactory: (publisher: EventPublisher, ...resolved: Model<OutboxFields>[]) =>
            new OutboxRelay(resolved, publisher, options),
        },
      ],
      exports: [OutboxRelay],
    };
  }
}
