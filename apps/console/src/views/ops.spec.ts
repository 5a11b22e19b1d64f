import { sumMetrics } from './ops.controller';

describe('ops view metrics', () => {
  it('sums every series of the metrics asked for, and ignores comments, other metrics and non-numbers', () => {
    const text = [
      '# HELP firstmile_consumer_lag Records not yet committed',
      '# TYPE firstmile_consumer_lag gauge',
      'firstmile_consumer_lag{group="grading.harvest.lots",topic="harvest.lots",partition="0"} 3',
      'firstmile_consumer_lag{group="grading.harvest.lots",topic="harvest.lots",partition="1"} 4',
      'firstmile_outbox_backlog{service="grading"} 0',
      'firstmile_consumer_lag_other 100',
      'firstmile_events_dead_lettered_total{type="x",kind="poison"} NaN',
    ].join('\n');
    expect(sumMetrics(text, ['firstmile_consumer_lag', 'firstmile_outbox_backlog', 'firstmile_events_dead_lettered_total'])).toEqual({
      firstmile_consumer_lag: 7,
      firstmile_outbox_backlog: 0,
      firstmile_events_dead_lettered_total: 0,
    });
  });
});
