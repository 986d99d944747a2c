import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Workdir, formatDiagnostics, harnessTempDir, prepareHermeticCopy, prepareWorkdir, removeHarnessTempDirs, unavailableReason, validateAndPlan } from '../../scripts/terraform-harness';
import { combineConfigs, sharedOf, splitPlan } from '../../scripts/upgrade/combined';
import { Json, PlanRun, SimulatedState, converge, showPlan, simulate } from '../../scripts/upgrade/simulate';
import { isStateful } from '../../scripts/upgrade/stateful-types';
import { Synth, synthDrStack, testConfig } from './synth';

/** What a role swap must never touch on an Aurora cluster (issue 13): a change of either promotes or detaches it. */
const SWAP_ATTRIBUTES = ['replication_source_identifier', 'global_cluster_identifier'] as const;

/** Terraform on a 2-core machine shared with the other suites: generous, so load never fails a test. */
const TERRAFORM_TIMEOUT = 300_000;

/**
 * Validates the synthesized JSON of one profile against the real hashicorp/aws 5.100.0 provider (offline
 * mirror) and, with `plan`, plans it without credentials. Warnings fail too: they are deprecations that break
 * on provider 6. One profile per test file, so jest can run them on separate workers.
 *
 * With `simulate` and `swap` (issue 13, "Proof without an AWS account"), the role swap in both directions, each
 * planned against a simulated deployed state that terraform itself has checked (planned against it, its own
 * configuration plans no changes):
 *   1. the stack as configured (activeRegion "primary"): simulated from its plan, checked;
 *   2. the swapped config (`swap`, e.g. activeRegion "dr") planned against it: the switchover's deploy;
 *   3. that plan applied to the state (SimulatedState.afterPlan): the "dr" deployment, checked against the
 *      swapped config;
 *   4. the original config planned against it: the failback's deploy.
 * Each plan of one config against a state runs in the same terraform process as the state's own check (combined.ts:
 * the other config's resources renamed beside it), so the chain costs the plan from no state (which the validation
 * needs anyway) and two combined plans, plus their two `terraform show`.
 */
export function terraformSuite(
  profile: string,
  overrides: Record<string, unknown>,
  options: {
    plan: boolean;
    simulate?: boolean;
    /** With `simulate`: config changes (e.g. `{ activeRegion: 'dr' }`) planned against the simulated deployed state, and back. */
    swap?: Record<string, unknown>;
  },
): void {
  const reason = unavailableReason();
  if (reason) {
    // Visible in the test output; the suite is skipped, not failed, where terraform or the mirror is missing.
    console.warn(`SKIPPED terraform validation (${profile}): ${reason}`);
  }
  (reason ? describe.skip : describe)(`terraform validate${options.plan ? ' + plan' : ''} (${profile} profile)`, () => {
    afterAll(removeHarnessTempDirs);
    const { synth } = synthDrStack(overrides);
    const report = validateAndPlan(synth.json, { plan: options.plan });
    const swapping = options.plan && options.simulate && options.swap ? options.swap : undefined;
    const swapped = swapping ? synthDrStack({ ...overrides, ...swapping }).synth : undefined;
    const swapLabel = JSON.stringify(swapping);
    // The way back: the swapped keys as configured (e.g. `{"activeRegion":"primary"}`).
    const configured = testConfig(overrides) as unknown as Json;
    const backLabel = swapping ? JSON.stringify(Object.fromEntries(Object.keys(swapping).map((k) => [k, configured[k]]))) : '';
    /** The as-configured stack's working directory (its plan from no state is `plan.bin`). */
    const workdir = (): Workdir => {
      const dir = report.workdir!;
      return { dir, notes: report.notes, config: JSON.parse(readFileSync(join(dir, 'main.tf.json'), 'utf8')) };
    };
    /** The swapped stack's hermetic configuration (main.tf.json of the harness), without a terraform init. */
    const swappedConfig = (): Json => {
      const dir = harnessTempDir('tf-harness-swapped-');
      prepareHermeticCopy(swapped!.json, dir);
      return JSON.parse(readFileSync(join(dir, 'main.tf.json'), 'utf8'));
    };
    let deployed: SimulatedState | undefined;
    let swapRun: PlanRun | undefined;
    let swapPlan: Json | undefined;
    let dConfig: Json | undefined;
    let swappedState: SimulatedState | undefined;
    let backRun: PlanRun | undefined;
    let backWd: Workdir | undefined;

    test('the harness says what it stood in for', () => {
      console.info(`[${profile}] terraform harness notes:\n  - ${report.notes.join('\n  - ')}`);
      expect(report.notes.join('\n')).toMatch(/backend removed/);
      expect(report.notes.join('\n')).toMatch(/stood in: random_password\./);
    });

    if (options.plan) {
      // The plan validates first (and reports more than `terraform validate`, e.g. deprecated arguments).
      test('validates and plans without credentials: 0 errors, 0 warnings, every resource created', () => {
        expect(formatDiagnostics(report.planDiagnostics)).toBe('');
        expect(report.planOk).toBe(true);
        const planned = Object.values(report.plannedCreates).reduce((a, b) => a + b, 0);
        // random_* resources are planned as their terraform_data stand-ins: one each.
        expect(planned).toBe(synth.all().length);
      });

      test('the FIS experiment templates of both sites, their role, log group and stop alarms plan with the provider\'s validation', () => {
        expect(report.plannedCreates.aws_fis_experiment_template).toBe(2);
        expect(report.plannedCreates.aws_cloudwatch_log_resource_policy).toBe(2);
      });
    }
    if (options.plan && options.simulate) {
      // `npm run plan:upgrade`'s foundation, on the real stack and sharing this suite's plan: the stack as deployed
      // (its simulated state) planned against itself changes nothing. A residual diff fails with each attribute.
      test('planned against its own simulated deployed state (npm run plan:upgrade -- --from HEAD): no changes', async () => {
        expect(report.planOk).toBe(true);
        const wd = workdir();
        if (swapped) dConfig = swappedConfig();
        // Each check of the state also plans the swapped config against it, in the same terraform process.
        const combined = dConfig ? prepareWorkdir(combineConfigs(wd.config as Json, dConfig)) : undefined;
        const sim = await simulate(synth.json, { workdir: wd, createPlanFile: 'plan.bin', combined });
        console.info(
          `[${profile}] simulated state: ${sim.state.addresses().length} instances, ${sim.state.stats.evaluated} values from expressions, ` +
            `${sim.state.stats.placeholders} placeholders; plans against it: ${sim.passes.map((p) => `${p.changed} changed (${p.seconds.toFixed(1)} s)`).join(', ')}`,
        );
        deployed = sim.state;
        if (combined) {
          swapRun = sim.companionRun;
          swapPlan = splitPlan(await showPlan(combined.dir, sim.finalRun.planFile), sharedOf(combined.config as Json)).companion;
        }
        expect(sim.finalRun.noChanges).toBe(true);
        expect(sim.state.addresses()).toHaveLength(synth.all().length);
      }, TERRAFORM_TIMEOUT);
    }
    if (swapping && swapped) {
      // Issue 13: the config change a switchover or failover asks for, planned against the platform as deployed
      // before it (npm run plan:upgrade -- --to-config …): nothing stateful is replaced or destroyed, and no Aurora
      // cluster sees a change of what the swap itself rewrote (the provider would promote or detach it).
      test(`${swapLabel} planned against the simulated deployed state: nothing stateful replaced, no cluster promoted`, () => {
        expect(swapRun).toBeDefined();
        // The deployment once this plan is applied: the next two tests check it and plan the way back against it
        // (also when this test fails, so one run reports both directions).
        swappedState = deployed!.afterPlanOf(swapPlan!, dConfig!);
        expectRoleSwap(profile, swapLabel, swapRun!, deployed!, swapPlan!, swapped);
      });

      test(`the ${swapLabel} deployment (the swap's plan applied to the simulated state) planned against its own config: no changes`, async () => {
        expect(swappedState).toBeDefined();
        // Each check of this state also plans the original config against it (the way back), in the same process.
        backWd = prepareWorkdir(combineConfigs(dConfig!, workdir().config as Json));
        const { passes, finalRun, companionRun } = await converge(swappedState!, backWd, { combined: backWd });
        backRun = companionRun;
        console.info(`[${profile}] ${swapLabel} state: ${swappedState!.addresses().length} instances; plans against it: ${passes.map((p) => `${p.changed} changed`).join(', ')}`);
        expect(finalRun.noChanges).toBe(true);
        expect(swappedState!.addresses()).toHaveLength(swapped.all().length);
      }, TERRAFORM_TIMEOUT);

      test(`and back: ${backLabel} planned against the ${swapLabel} deployment: nothing stateful replaced, no cluster promoted`, async () => {
        expect(backRun).toBeDefined();
        const plan = splitPlan(await showPlan(backWd!.dir, backRun!.planFile), sharedOf(backWd!.config as Json)).companion;
        expectRoleSwap(profile, backLabel, backRun!, swappedState!, plan, synth);
      }, TERRAFORM_TIMEOUT);
    }
    if (!options.plan) {
      test('validates with 0 errors and 0 warnings', () => {
        expect(formatDiagnostics(report.validateDiagnostics)).toBe('');
      });
    }
  });
}

/**
 * A role swap's plan (`run`, and `plan` from terraform show) of the config `target` against the deployed `state`:
 * it plans, nothing stateful is replaced or destroyed, both Aurora clusters keep `replication_source_identifier`
 * and `global_cluster_identifier`, no Route 53 health check is edited or replaced while the two failover records
 * trade sites in place, and the role-dependent resources move (it is not a no-op).
 */
function expectRoleSwap(profile: string, label: string, run: PlanRun, state: SimulatedState, plan: Json, target: Synth): void {
  expect(formatDiagnostics(run.diagnostics)).toBe('');
  expect(run.ok).toBe(true);
  const destructive = run.changes.filter((c) => isStateful(c.type) && !['noop', 'read', 'update', 'create'].includes(c.action));
  expect(destructive.map((c) => `${c.action} ${c.address}`)).toEqual([]);
  const changes = plan.resource_changes as Array<Record<string, any>>;
  const clusters = changes.filter((c) => c.type === 'aws_rds_cluster');
  expect(clusters.map((c) => c.address).sort()).toEqual(state.addresses().filter((a) => a.startsWith('aws_rds_cluster.')).sort());
  expect(clusters).toHaveLength(2);
  for (const c of clusters) {
    for (const attr of SWAP_ATTRIBUTES) expect([c.address, attr, c.change.after?.[attr]]).toEqual([c.address, attr, c.change.before?.[attr]]);
  }
  // DNS (issue 13): no health check is edited or replaced; the two failover records trade sites in place, each
  // changing its value and health check together (one UPSERT per record).
  const checks = changes.filter((c) => c.type === 'aws_route53_health_check');
  expect(checks).toHaveLength(target.count('aws_route53_health_check'));
  expect(checks.filter((c) => c.change.actions.join() !== 'no-op').map((c) => c.address)).toEqual([]);
  const failover = changes.filter((c) => c.type === 'aws_route53_record' && c.change.before?.type === 'CNAME' && c.change.before.failover_routing_policy?.length);
  expect(failover.map((c) => [c.change.before.failover_routing_policy[0].type, c.change.actions.join('+')]).sort()).toEqual([['PRIMARY', 'update'], ['SECONDARY', 'update']]);
  for (const c of failover) for (const attr of ['records', 'health_check_id']) expect(c.change.after[attr]).not.toEqual(c.change.before[attr]);
  // The swap is not a no-op: the role-dependent resources move (the designation, rds.global_db_rpo, DNS).
  expect(run.changes.some((c) => c.type === 'aws_ssm_parameter' && c.action === 'update')).toBe(true);
  console.info(`[${profile}] ${label}: ${run.changes.filter((c) => c.action !== 'noop').map((c) => `${c.action} ${c.address}`).join(', ')}`);
}

type TfDocument = Record<string, any>;

/**
 * The part of a synthesized stack that `select` picks, plus everything it references (transitively): a smaller
 * configuration that still plans on its own. Outputs are dropped (they may name resources left out).
 */
export function referenceClosure(json: TfDocument, select: (type: string, name: string) => boolean): TfDocument {
  const resources = (json.resource ?? {}) as Record<string, Record<string, unknown>>;
  const bodies = new Map<string, unknown>();
  for (const [type, byName] of Object.entries(resources)) for (const [name, body] of Object.entries(byName)) bodies.set(`${type}.${name}`, body);
  const reference = /\$\{[^}]*?\b([a-z][a-z0-9_]*)\.([A-Za-z0-9_-]+)\b/g;
  const refsOf = (body: unknown): string[] => {
    const text = JSON.stringify(body);
    const found = new Set<string>();
    for (const m of text.matchAll(reference)) if (bodies.has(`${m[1]}.${m[2]}`)) found.add(`${m[1]}.${m[2]}`);
    // depends_on entries are plain addresses, not interpolations.
    for (const d of ((body as { depends_on?: string[] }).depends_on ?? [])) if (bodies.has(d)) found.add(d);
    return [...found];
  };
  const keep = new Set<string>();
  const todo = [...bodies.keys()].filter((a) => select(a.split('.')[0], a.split('.')[1]));
  while (todo.length > 0) {
    const address = todo.pop()!;
    if (keep.has(address)) continue;
    keep.add(address);
    todo.push(...refsOf(bodies.get(address)));
  }
  const resource: Record<string, Record<string, unknown>> = {};
  for (const address of keep) {
    const [type, name] = address.split('.');
    (resource[type] ??= {})[name] = bodies.get(address);
  }
  const rest = { ...json };
  delete rest.output;
  return { ...rest, resource };
}
