import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatDiagnostics, unavailableReason, validateAndPlan } from '../../scripts/terraform-harness';
import { simulate } from '../../scripts/upgrade/simulate';
import { synthDrStack } from './synth';

/**
 * Validates the synthesized JSON of one profile against the real hashicorp/aws 5.100.0 provider (offline
 * mirror) and, with `plan`, plans it without credentials. Warnings fail too: they are deprecations that break
 * on provider 6. One profile per test file, so jest can run them on separate workers.
 */
export function terraformSuite(profile: string, overrides: Record<string, unknown>, options: { plan: boolean; simulate?: boolean }): void {
  const reason = unavailableReason();
  if (reason) {
    // Visible in the test output; the suite is skipped, not failed, where terraform or the mirror is missing.
    console.warn(`SKIPPED terraform validation (${profile}): ${reason}`);
  }
  (reason ? describe.skip : describe)(`terraform validate${options.plan ? ' + plan' : ''} (${profile} profile)`, () => {
    const { synth } = synthDrStack(overrides);
    const report = validateAndPlan(synth.json, { plan: options.plan });

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
        const dir = report.workdir!;
        const workdir = { dir, notes: report.notes, config: JSON.parse(readFileSync(join(dir, 'main.tf.json'), 'utf8')) };
        const sim = await simulate(synth.json, { workdir, createPlanFile: 'plan.bin' });
        console.info(
          `[${profile}] simulated state: ${sim.state.addresses().length} instances, ${sim.state.stats.evaluated} values from expressions, ` +
            `${sim.state.stats.placeholders} placeholders; plans against it: ${sim.passes.map((p) => `${p.changed} changed (${p.seconds.toFixed(1)} s)`).join(', ')}`,
        );
        expect(sim.finalRun.noChanges).toBe(true);
        expect(sim.state.addresses()).toHaveLength(synth.all().length);
      }, 180_000);
    }
    if (!options.plan) {
      test('validates with 0 errors and 0 warnings', () => {
        expect(formatDiagnostics(report.validateDiagnostics)).toBe('');
      });
    }
  });
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
