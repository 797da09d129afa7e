import { LocalAlarms, preciseNow } from '../../../local/cloudwatch/alarms';
import { compileExpression, UnsupportedExpressionError } from '../../../local/cloudwatch/expression';
import { RequestMetrics, type RequestSample } from '../../../local/cloudwatch/metrics';
import { inventoryOf } from '../../../local/template/inventory';
import { TemplateResolver } from '../../../local/template/resolver';
import { ERROR_RATE_ALARM, FUNCTION_NAME, LATENCY_ALARM, serviceStack } from './deploy-fixtures';

describe('compileExpression', () => {
  const values = new Map([
    ['errors', 2],
    ['invocations', 20],
  ]);

  it.each([
    ['100 * errors / MAX([errors, invocations])', 10],
    ['-errors + invocations * (3 - 1)', 38],
    ['SUM([errors, invocations, 1]) / 2', 11.5],
    ['FILL(errors / 0, 7)', 7],
    ['AVG([errors, invocations])', 11],
    ['IF(invocations > 0, 100 * errors / invocations, 0)', 10],
    ['IF(invocations - 20 >= 1, 100 * errors / (invocations - 20), 0)', 0],
    ['(errors == 2) + (errors != 2) * 10 + (errors <= 1)', 1],
  ])('evaluates %s', (text, expected) => {
    expect(compileExpression(text)(values)).toBe(expected);
  });

  it('gives NaN (no data) for a division by zero', () => {
    expect(compileExpression('errors / (invocations - 20)')(values)).toBeNaN();
  });

  it.each(['ANOMALY_DETECTION_BAND(m1)', 'errors +', 'errors $ 2'])('refuses %s', (text) => {
    expect(() => compileExpression(text)(values)).toThrow(UnsupportedExpressionError);
  });
});

describe('LocalAlarms', () => {
  const { alarms: specs } = inventoryOf(
    new TemplateResolver([serviceStack('svc')], { region: 'eu-west-1', accountId: '0', edgeEndpoint: 'http://e' }),
  );
  let metrics: RequestMetrics;
  let alarms: LocalAlarms;
  const sample = (status: number, ms = 5, extra: Partial<RequestSample> = {}): RequestSample => ({
    at: preciseNow(),
    functionName: FUNCTION_NAME,
    alias: 'live',
    version: '1',
    status,
    ms,
    ...extra,
  });
  const record = (n: number, status: number, ms?: number, extra?: Partial<RequestSample>) => {
    for (let i = 0; i < n; i++) metrics.record(sample(status, ms, extra));
  };

  beforeEach(() => {
    metrics = new RequestMetrics();
    // 600×: the one-minute windows last 100 ms.
    alarms = new LocalAlarms({ alarms: specs, metrics, timeScale: 600 });
  });
  afterEach(() => alarms.close());

  const state = (name: string) => alarms.evaluate(name)?.state;

  it('judges the error rate of the alias over its window once there are enough requests', () => {
    expect(state(ERROR_RATE_ALARM)).toBe('OK'); // notBreaching: no requests is not a breach
    record(18, 200);
    record(2, 502);
    expect(alarms.evaluate(ERROR_RATE_ALARM)).toMatchObject({ state: 'ALARM', value: 10 });
    // The state changed at the first error: 1 of 19 requests.
    expect(alarms.evaluate(ERROR_RATE_ALARM)?.reason).toMatch(/^Threshold crossed: 5.26 over 19 requests/);
  });

  it('does not judge on fewer than five requests', () => {
    record(4, 500);
    expect(state(ERROR_RATE_ALARM)).toBe('OK');
    expect(state(LATENCY_ALARM)).toBe('INSUFFICIENT_DATA');
  });

  it('counts only the requests of its alias within the window', () => {
    record(10, 500, 5, { alias: 'other' });
    record(10, 500, 5, { at: preciseNow() - 1_000 });
    record(10, 200);
    expect(state(ERROR_RATE_ALARM)).toBe('OK');
  });

  it('takes the p99 of durations for a percentile alarm', () => {
    record(20, 200, 3);
    expect(state(LATENCY_ALARM)).toBe('OK');
    record(1, 200, 2_000);
    expect(alarms.evaluate(LATENCY_ALARM)).toMatchObject({ state: 'ALARM', value: 2_000 });
  });

  it('tells listeners about a state change as the breaching request arrives', () => {
    const changes: string[] = [];
    alarms.onChange((status, previous) => changes.push(`${status.spec.name}: ${previous} → ${status.state}`));
    record(10, 200);
    record(1, 500);
    expect(changes.filter((c) => c.startsWith(ERROR_RATE_ALARM))).toEqual([
      `${ERROR_RATE_ALARM}: INSUFFICIENT_DATA → OK`,
      `${ERROR_RATE_ALARM}: OK → ALARM`,
    ]);
  });

  it('holds a state set by hand for one window', () => {
    alarms.setState(LATENCY_ALARM, 'ALARM', 'drill');
    record(20, 200, 1);
    expect(alarms.evaluate(LATENCY_ALARM)).toMatchObject({ state: 'ALARM', reason: 'drill' });
  });
});
