import type { GlobalClusterView } from '../../src/dr-cli/aws';
import { checkFailover, checkFailoverFlags, checkSwitchover, dnsServingRole, lossWindow, operatingRegion } from '../../src/dr-cli/decisions';
import { formatDuration, parseDuration, renderTable } from '../../src/dr-cli/format';
import { parseOutputs } from '../../src/dr-cli/outputs';
import { Progress } from '../../src/dr-cli/progress';
import { CLUSTER_ARN, Capture, OUTPUT_VALUES } from '../support/dr-cli-world';

const outputs = parseOutputs(OUTPUT_VALUES, 'test');
const view = (writer: 'primary' | 'dr', patch: Partial<GlobalClusterView> = {}): GlobalClusterView => ({
  id: 'pay-dev-aurora-global',
  status: 'available',
  members: [
    { arn: CLUSTER_ARN.primary, region: 'us-east-1', isWriter: writer === 'primary' },
    { arn: CLUSTER_ARN.dr, region: 'us-west-2', isWriter: writer === 'dr', synchronization: 'connected' },
  ],
  ...patch,
});
const healthy = (ok: boolean) => ({ healthy: ok, healthyCheckers: ok ? 8 : 0, checkers: 8 });

describe('switchover decision', () => {
  const base = { view: view('primary'), outputs, target: outputs.dr, engineVersions: { primary: '16.4', dr: '16.4' }, rpoLag: { value: 500, at: 't' }, maxLagMs: 60_000 };
  test('allows a healthy, synchronized, same-version secondary', () => {
    expect(checkSwitchover(base)).toEqual({ ok: true, warnings: [] });
  });
  test.each([
    ['target not a member', { view: view('primary', { members: [view('primary').members[0]] }) }, /is not a member of global cluster/],
    ['operation in progress', { view: view('primary', { failoverState: { status: 'switching-over', to: CLUSTER_ARN.dr } }) }, /a switchover is already in progress/],
    ['no writer of ours', { view: view('primary', { members: [{ arn: 'arn:aws:rds:eu-west-1:1:cluster:x', region: 'eu-west-1', isWriter: true }, view('primary').members[1]] }) }, /has no writer among this stack's clusters/],
  ])('refuses: %s', (_n, patch, message) => {
    const d = checkSwitchover({ ...base, ...patch });
    expect(d.ok).toBe(false);
    expect(!d.ok && d.reason).toMatch(message);
  });
});

describe('failover decision', () => {
  test.each([
    [false, 'us-west-2', /re-run with --confirm-data-loss/],
    [true, undefined, /set AWS_REGION/],
  ])('flags: confirmed=%s region=%s refused', (confirmed, region, message) => {
    const d = checkFailoverFlags(confirmed, region);
    expect(!d.ok && d.reason).toMatch(message);
  });
  test('allows from the surviving region even when the failed one cannot report its engine version', () => {
    const d = checkFailover({ view: view('primary'), outputs, target: outputs.dr, operatingRegion: 'us-west-2', engineVersions: { dr: '16.4' } });
    expect(d).toEqual({ ok: true, warnings: [expect.stringMatching(/could not be compared/)] });
  });
  test('the failed region is the current writer, whichever role it has', () => {
    const d = checkFailover({ view: view('dr'), outputs, target: outputs.primary, operatingRegion: 'us-west-2', engineVersions: {} });
    expect(!d.ok && d.reason).toMatch(/runs in us-west-2 \(AWS_REGION\), the region of the current writer/);
    expect(checkFailover({ view: view('dr'), outputs, target: outputs.primary, operatingRegion: 'eu-west-1', engineVersions: {} }).ok).toBe(true);
  });
  test('operating region: AWS_REGION before AWS_DEFAULT_REGION', () => {
    expect(operatingRegion({ AWS_REGION: 'a', AWS_DEFAULT_REGION: 'b' })).toBe('a');
    expect(operatingRegion({ AWS_REGION: '', AWS_DEFAULT_REGION: 'b' })).toBe('b');
    expect(operatingRegion({})).toBeUndefined();
  });
});

describe('which region DNS serves', () => {
  test.each([
    ['a CNAME to the regional domain', ['d-abc.execute-api.us-west-2.amazonaws.com'], true, false, 'dr', 'answer'],
    ['the regional endpoint host', ['abc123.execute-api.us-east-1.amazonaws.com'], false, true, 'primary', 'answer'],
    ['alias IPs, primary healthy', ['192.0.2.1'], true, false, 'primary', 'health-checks'],
    ['alias IPs, primary unhealthy, dr healthy', ['192.0.2.1'], false, true, 'dr', 'health-checks'],
    ['alias IPs, both unhealthy: Route 53 answers with the primary', ['192.0.2.1'], false, false, 'primary', 'health-checks'],
  ])('%s', (_n, records, p, d, role, basis) => {
    const s = dnsServingRole({ responseCode: 'NOERROR', records }, outputs, { primary: healthy(p), dr: healthy(d) });
    expect([s.role, s.basis]).toEqual([role, basis]);
  });
  test('unknown without a telling answer or health checks', () => {
    expect(dnsServingRole({ responseCode: 'NOERROR', records: ['192.0.2.1'] }, outputs, {}).role).toBe('unknown');
  });
});

describe('helpers', () => {
  test('loss window: from the last replicated moment to the end; estimated without a datapoint', () => {
    expect(lossWindow({ value: 1500, at: '2025-01-15T12:00:00.000Z' }, Date.UTC(2025, 0, 15, 12, 5))).toEqual({
      from: '2025-01-15T11:59:58.500Z', to: '2025-01-15T12:05:00.000Z', estimated: false,
    });
    expect(lossWindow(null, Date.UTC(2025, 0, 15, 12, 15)).from).toBe('2025-01-15T12:00:00.000Z');
  });
  test.each([
    ['90s', 90_000], ['15m', 900_000], ['1h', 3_600_000], ['500ms', 500], ['30', 30_000], ['1.5m', 90_000], ['0', undefined], ['-1s', undefined], ['soon', undefined],
  ])('parseDuration(%s)', (text, ms) => expect(parseDuration(text)).toBe(ms));
  test.each([[850, '0.9s'], [45_000, '45s'], [100_000, '1m 40s'], [3_660_000, '1h 1m']])('formatDuration(%d)', (ms, text) =>
    expect(formatDuration(ms)).toBe(text));
  test('renderTable aligns columns under an underlined header', () => {
    expect(renderTable([['A', 'BB'], ['ccc', 'd']])).toBe('A    BB\n---  --\nccc  d\n');
  });
});

describe('progress display', () => {
  test('on a TTY: one line rewritten with \\r, closed by the final line', () => {
    const out = new Capture(true);
    let now = 0;
    const p = new Progress(out, () => now, 'switchover', 900_000);
    p.update('switching-over');
    now = 10_000;
    p.update('switching-over');
    p.done('complete');
    expect(out.text).toBe(
      '\r\x1b[2Kswitchover: switching-over [0.0s of 15m 0s]' +
        '\r\x1b[2Kswitchover: switching-over [10s of 15m 0s]' +
        '\r\x1b[2Kswitchover: complete\n',
    );
  });
  test('elsewhere: plain lines when the state changes, and a heartbeat once a minute', () => {
    const out = new Capture(false);
    let now = 0;
    const p = new Progress(out, () => now, 'wait');
    for (; now <= 130_000; now += 10_000) p.update(now < 30_000 ? 'a' : 'b');
    expect(out.text.split('\n').filter(Boolean)).toEqual(['wait: a [0.0s]', 'wait: b [30s]', 'wait: b [1m 30s]']);
  });
});
