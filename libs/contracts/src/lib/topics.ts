/** One topic per stream, `<context>.<stream>`; retry and dead-letter topics hang off each. */
export const Topics = {
  harvestLots: 'harvest.lots',
  gradingLots: 'grading.lots',
  warehouseStock: 'warehouse.stock',
  warehouseCommands: 'warehouse.commands',
  orders: 'orders',
  shipments: 'shipments',
} as const;

export type Topic = (typeof Topics)[keyof typeof Topics];

export const ALL_TOPICS: readonly Topic[] = Object.values(Topics);

export const retryTopic = (topic: string, attempt: number): string => `${topic}.retry.${attempt}`;
export const deadLetterTopic = (topic: string): string => `${topic}.dlt`;
