// The DR report: every step from region loss to a client's payment, both directions and modes, honest sums.
import { PROMOTION_BUDGET_EXCEEDED_SUBJECT, PROMOTION_GIVE_UP_MS } from '../lambdas/failover-controller';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../src/config';
import { DrDesign, DrObjectiveError, DrObjectives, evaluateObjectives, PROMOTION_BUDGET_PAGE, PROMOTION_GIVE_UP_SECONDS, QUOTES, renderMarkdown, writeDrReport } from '../src/dr-objectives';
import { drReportFor } from '../src/dr-report';
import { synthDrStack, testConfig } from './support/synth';

const objectives: DrObjectives = { rtoSeconds: 1800, rpoSeconds: 60, objectStorageRpoSeconds: 900, failoverDecisionSeconds: 300 };
const design: DrDesign = {
  mode: 'manual',
  regions: { primary: 'us-east-1', dr: 'us-west-2' },
  healthCheckIntervalSeconds: 10,
  healthCheckFailureThreshold: 3,
  dnsTtlSeconds: 30,
  auroraGlobalDbRpoSeconds: 60,
  probeIntervalSeconds: 10,
  probeTimeoutSeconds: 3,
  probeFailureThreshold: 3,
  promotionBudgetSeconds: 60,
  paymentProvisionedConcurrency: 0,
  paymentDbConnectTimeoutMs: 2000,
  manualAcknowledgeSeconds: 900,
  manualSecondPersonSeconds: 600,
};

const EVERY_STEP = [
  /^Detection/,
  /^Alarm evaluation/,
  /^Notification/,
  /^Decision/,
  /^Pre-steps/,
  /^Fencing/,
  /^Aurora promotion/,
  /^Designation/,
  /^DNS: Route 53 sees the new site healthy/,
  /^DNS TTL/,
  /^Client-side DNS caching/,
  /^Lambda cold start/,
  /^First connection/,
];

describe('the DR report counts every step', () => {
  const report = evaluateObjectives(objectives, design);
  const scenario = (id: string) => report.scenarios.find((s) => s.id === id)!;
  const step = (id: string, name: RegExp) => scenario(id).steps.find((s) => name.test(s.step))!;

  test('both directions in both modes, plus the planned failback', () => {
    expect(report.scenarios.map((s) => s.id)).toEqual(['failover-automatic', 'failback-automatic', 'failover-manual', 'failback-manual', 'failback-planned']);
    expect(scenario('failover-manual')).toMatchObject({ from: 'us-east-1', to: 'us-west-2', judged: true });
    expect(scenario('failback-manual')).toMatchObject({ from: 'us-west-2', to: 'us-east-1', judged: true });
    expect(scenario('failover-automatic').judged).toBe(false);
  });

  test.each(['failover-automatic', 'failback-automatic', 'failover-manual', 'failback-manual'])('%s lists every step with a bound, a basis and a source', (id) => {
    const steps = scenario(id).steps;
    for (const name of EVERY_STEP) expect(steps.some((s) => name.test(s.step))).toBe(true);
    for (const s of steps) {
      expect(s.source.length).toBeGreaterThan(10);
      expect(s.boundSeconds).toBeGreaterThanOrEqual(0);
      expect(typeof s.awsGuaranteed).toBe('boolean');
    }
    expect(scenario(id).worstCaseSeconds).toBe(steps.reduce((a, s) => a + s.boundSeconds, 0));
  });

  test('Route 53 turns a site healthy after threshold × interval, not one interval, quoting the docs', () => {
    const dns = step('failover-manual', /^DNS: Route 53/);
    expect(dns.boundSeconds).toBe(10 * 3 + 10);
    expect(dns.source).toContain('must pass or fail');
    expect(dns.source).toContain('unhealthy to healthy or vice versa');
  });

  test('Aurora promotion is a budget, not an AWS guarantee, quoting "in the order of minutes", with a typical figure', () => {
    const p = step('failover-automatic', /^Aurora promotion/);
    expect(p).toMatchObject({ basis: 'budget', awsGuaranteed: false, boundSeconds: 60 + 5 });
    expect(p.source).toContain('RTO can be in the order of minutes');
    expect(p.typicalSeconds).toBeDefined();
  });

  test('the promotion budget is a detection deadline the controller enforces, with the worst case if Aurora takes "minutes"', () => {
    const p = step('failover-automatic', /^Aurora promotion/);
    expect(p.mechanism).toMatch(/The 60 s bound is a budget we set, NOT an AWS guarantee \(AWS: "in the order of minutes"\)/);
    // The page text is the controller's own (one source for both).
    expect(p.mechanism).toContain(`pages "${PROMOTION_BUDGET_PAGE}", records it in the run record and keeps waiting`);
    expect(`Automatic failover: ${PROMOTION_BUDGET_PAGE}`).toBe(PROMOTION_BUDGET_EXCEEDED_SUBJECT);
    expect(PROMOTION_GIVE_UP_SECONDS * 1000).toBe(PROMOTION_GIVE_UP_MS);
    expect(p.mechanism).toMatch(/read as 300 s \("a few minutes"\) it is 305 s \(\+240 s on this scenario\), at most 905 s before the controller stops waiting/);
    expect(p.source).toMatch(/a detection deadline the controller enforces and pages on, not an AWS figure/);
    // Manual mode says what the CLI does (and does not) do at the budget.
    const m = step('failover-manual', /^Aurora promotion/);
    expect(m.mechanism).toMatch(/The CLI does not page at the budget/);
  });

  test('the manual decision is a bound from the on-call policy, not the 5-minute floor', () => {
    const d = step('failover-manual', /^Decision/);
    expect(d.boundSeconds).toBe(Math.max(900, 300) + 600);
    expect(d.mechanism).toMatch(/A floor is not a bound/);
    expect(d.source).toMatch(/RUNBOOK\.md .*second person/);
  });

  test('detection in automatic mode needs the prober AND Route 53: the larger counts', () => {
    const d = step('failover-automatic', /^Detection/);
    // Route 53 unhealthy (3 × 10 + 10 aggregation) + status record TTL 5 + the next probe 10 = 55; prober 3 × 10 + 3 = 33.
    expect(d.boundSeconds).toBe(55);
  });

  test('cold start is the Init limit without provisioned concurrency and 0 with it', () => {
    expect(step('failover-manual', /^Lambda cold start/).boundSeconds).toBe(10);
    expect(step('failover-manual', /^Lambda cold start/).source).toContain(QUOTES.lambdaInit);
    const warm = evaluateObjectives(objectives, { ...design, paymentProvisionedConcurrency: 5 });
    expect(warm.scenarios[0].steps.find((s) => /^Lambda cold start/.test(s.step))!.boundSeconds).toBe(0);
  });

  test('client DNS caching is a stated assumption, not a hidden zero', () => {
    const c = step('failover-manual', /^Client-side DNS caching/);
    expect(c).toMatchObject({ basis: 'assumption', boundSeconds: 0 });
    expect(report.assumptions.join(' ')).toMatch(/honour the DNS TTL/);
  });

  test('the verdict is the worse direction of the configured mode', () => {
    const rto = report.verdicts.find((v) => v.objective === 'RTO')!;
    expect(rto.worstCaseSeconds).toBe(Math.max(scenario('failover-manual').worstCaseSeconds, scenario('failback-manual').worstCaseSeconds));
  });
});

describe('the shipped profiles', () => {
  test('prod defaults in automatic mode: worst case at most 180 s, and the report shows why', () => {
    const config = loadConfig({ DR_CONFIG: join(__dirname, '..', 'config', 'prod.json') });
    expect(config.failover.mode).toBe('automatic');
    const report = drReportFor(config);
    const auto = report.scenarios.filter((s) => s.mode === 'automatic');
    for (const s of auto) expect(s.worstCaseSeconds).toBeLessThanOrEqual(180);
    expect(report.verdicts[0]).toMatchObject({ objective: 'RTO', targetSeconds: 180, met: true });
    // A designed worst case: the terms that are our budgets (not AWS bounds) are named with the verdict.
    expect(report.verdicts[0].budgetedTerms).toEqual(['Decision 10 s', 'Aurora promotion 65 s']);
    // What the 180 s rests on is said: a slower promotion than the budget breaks it.
    expect(report.assumptions.join('\n')).toMatch(/Sensitivity: with an Aurora promotion of 300 s .* takes up to 412 s/);
    // Manual mode is reported honestly next to it: tens of minutes, dominated by the human decision.
    const manual = report.scenarios.find((s) => s.id === 'failover-manual')!;
    expect(manual.worstCaseSeconds).toBeGreaterThan(1500);
    expect(renderMarkdown(report, 'payments-dr-prod')).toMatch(/\| active site primary \(us-east-1\) lost, automatic \| automatic \| 1\d\d s \|/);
  });

  test('dev defaults (manual) meet their honest RTO', () => {
    const report = drReportFor(testConfig());
    expect(report.design.mode).toBe('manual');
    expect(report.verdicts[0].met).toBe(true);
    expect(report.verdicts[0].worstCaseSeconds).toBeGreaterThan(1500);
  });
});

describe('synth fails when the objective cannot be met against the honest sum', () => {
  test.each<[string, Record<string, unknown>, RegExp]>([
    [
      'the old 900 s RTO in manual mode',
      { objectives: { rtoSeconds: 900 } },
      /objectives\.rtoSeconds: 900 s cannot be met in manual mode; the design allows up to 1789 s \(.*Decision 1500 s/,
    ],
    [
      '180 s in automatic mode with dev settings (TTL 30, no provisioned concurrency)',
      { objectives: { rtoSeconds: 180 }, failover: { mode: 'automatic' } },
      /objectives\.rtoSeconds: 180 s cannot be met in automatic mode; the design allows up to 2\d\d s .*DNS TTL 30 s.*Lambda cold start 10 s/,
    ],
    ['an RPO below what rds.global_db_rpo can bound', { objectives: { rpoSeconds: 5 } }, /objectives\.rpoSeconds: 5 s cannot be guaranteed; .*at least 20 s/],
    ['an object-storage RPO below S3 RTC', { objectives: { objectStorageRpoSeconds: 60 } }, /objectives\.objectStorageRpoSeconds: 60 s cannot be met; S3 Replication Time Control guarantees 900 s/],
  ])('synth fails for %s', (_what, overrides, message) => {
    expect(() => synthDrStack(overrides)).toThrow(DrObjectiveError);
    expect(() => synthDrStack(overrides)).toThrow(message);
  });

  test('the report is written as JSON and Markdown, each scenario with its steps', () => {
    const dir = mkdtempSync(join(tmpdir(), 'drreport-'));
    writeDrReport(dir, 'stack-x', evaluateObjectives(objectives, design));
    const json = JSON.parse(readFileSync(join(dir, 'dr-report.json'), 'utf8'));
    expect(json.stack).toBe('stack-x');
    expect(json.scenarios).toHaveLength(5);
    expect(json.components.map((c: { component: string }) => c.component)).toEqual(['Aurora global database', 'S3 payment artefacts', 'DynamoDB sessions']);
    const md = readFileSync(join(dir, 'dr-report.md'), 'utf8');
    expect(md).toMatch(/^# DR report: stack-x/);
    expect(md).toMatch(/\| step \| mechanism \| bound \| typical \| basis \| AWS-guaranteed \| source \|/);
    // The headline says which terms are our budgets rather than AWS bounds (a designed worst case, not a guarantee).
    expect(md).toMatch(/\| RTO \| 1800 s \| 1789 s \(designed\) \| met while our budgets hold \(Notification 60 s, Aurora promotion 70 s: budgets we set, not AWS bounds; .*\) \|/);
    expect(md).toMatch(/\| RPO \| 60 s \| 60 s \| met \|/);
  });

  test('npm run synth writes the report next to the stack, and a too-tight objective writes nothing', () => {
    const root = join(__dirname, '..');
    const run = (env: Record<string, string>) => {
      const outdir = join(mkdtempSync(join(tmpdir(), 'synth-')), 'out');
      const r = spawnSync(process.execPath, [join(root, 'scripts', 'run.js'), 'main.ts'], {
        encoding: 'utf8',
        env: { PATH: process.env.PATH ?? '', CDKTF_OUTDIR: outdir, ...(process.env.LAMBDAS_SOURCE_DIR ? { LAMBDAS_SOURCE_DIR: process.env.LAMBDAS_SOURCE_DIR } : {}), ...env },
      });
      return { ...r, outdir };
    };
    const ok = run({});
    expect(ok.status).toBe(0);
    expect(existsSync(join(ok.outdir, 'stacks', 'payments-dr-dev', 'dr-report.md'))).toBe(true);

    const file = join(mkdtempSync(join(tmpdir(), 'obj-')), 'tight.json');
    writeFileSync(file, JSON.stringify({ objectives: { rtoSeconds: 30 } }));
    const bad = run({ DR_CONFIG: file });
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/The design cannot meet the declared DR objectives:\n  - objectives\.rtoSeconds: 30 s cannot be met/);
    expect(existsSync(bad.outdir)).toBe(false);
  });
});
