import { formatDiagnostics, removeHarnessTempDirs, unavailableReason, validateAndPlan } from '../scripts/terraform-harness';
import { referenceClosure } from './support/terraform-suite';
import { synthDrStack } from './support/synth';

// The harness's scratch directories (jest's sandboxed process never reports the worker's exit).
afterAll(removeHarnessTempDirs);

// The accelerator edge (edge.mode "accelerator") validated and planned against the real provider, offline. Only the
// accelerator-specific part is planned, with everything it references (VPCs, subnets, functions, certificates,
// zone, keys): ~75 of ~340 resources, so the suite costs a fraction of a full plan; the rest of the stack is the
// dns-mode stack the dev plan already covers unchanged (__tests__/edge.test.ts asserts accelerator mode only adds
// to it). prod differs in deletion protection, force_destroy and counts: its edge closure is planned too, in the
// same terraform working directory (one provider start-up), so both profiles' edges meet the provider.
const reason = unavailableReason();
if (reason) console.warn(`SKIPPED terraform validation (accelerator): ${reason}`);

(reason ? describe.skip : describe)('terraform validate + plan of the accelerator edge (dev and prod profiles)', () => {
  const { synth } = synthDrStack({ edge: { mode: 'accelerator' } });
  const edgeOnly = (type: string, name: string) =>
    type.startsWith('aws_lb') || type.startsWith('aws_globalaccelerator') || name.startsWith('alb-') || name.startsWith('accelerator_');
  const devSubset = referenceClosure(synth.json, edgeOnly);
  const prod = synthDrStack({ profile: 'prod', environmentSuffix: 'prod', network: { natGateways: 'one-per-az' }, edge: { mode: 'accelerator' } }).synth;
  const prodSubset = referenceClosure(prod.json, edgeOnly);
  // Both profiles in one configuration: their resources' logical ids are the same, so prod's get a prefix; the
  // providers and the random stand-ins are shared (identical in both).
  const subset = mergeProfiles(devSubset, prodSubset);
  const report = validateAndPlan(subset, { plan: true });

  test('the subset holds the whole edge and what it references', () => {
    const types = Object.keys(subset.resource);
    for (const t of ['aws_globalaccelerator_accelerator', 'aws_globalaccelerator_listener', 'aws_globalaccelerator_endpoint_group', 'aws_lb', 'aws_lb_listener', 'aws_lb_listener_rule', 'aws_lb_target_group', 'aws_lb_target_group_attachment', 'aws_lambda_function', 'aws_acm_certificate_validation', 'aws_subnet']) {
      expect(types).toContain(t);
    }
    expect(Object.keys(subset.resource.aws_lb)).toHaveLength(4);
    expect(Object.values(subset.resource.aws_lb).filter((lb: any) => lb.enable_deletion_protection === true)).toHaveLength(2);
  });

  test('validates and plans without credentials: 0 errors, 0 warnings, every resource created', () => {
    expect(formatDiagnostics(report.planDiagnostics)).toBe('');
    expect(report.planOk).toBe(true);
    const planned = Object.values(report.plannedCreates).reduce((a, b) => a + b, 0);
    const declared = Object.values(subset.resource as Record<string, object>).reduce((a, byName) => a + Object.keys(byName).length, 0);
    expect(planned).toBe(declared);
    expect(report.plannedCreates.aws_globalaccelerator_endpoint_group).toBe(4);
  });
});

/** dev's closure plus prod's with every prod resource renamed `prod_<name>` (and the references to them rewritten). */
function mergeProfiles(dev: Record<string, any>, prod: Record<string, any>): Record<string, any> {
  const renamed = new Map<string, string>();
  for (const [type, byName] of Object.entries<Record<string, unknown>>(prod.resource)) {
    if (type.startsWith('random_')) continue;
    for (const name of Object.keys(byName)) renamed.set(`${type}.${name}`, `${type}.prod_${name}`);
  }
  let text = JSON.stringify(prod.resource);
  text = text.replace(/\b([a-z][a-z0-9_]*)\.([A-Za-z0-9_-]+)\b/g, (m, type: string, name: string) => renamed.get(`${type}.${name}`) ?? m);
  const prodResources = JSON.parse(text) as Record<string, Record<string, unknown>>;
  const resource: Record<string, Record<string, unknown>> = JSON.parse(JSON.stringify(dev.resource));
  for (const [type, byName] of Object.entries(prodResources)) {
    for (const [name, body] of Object.entries(byName)) {
      if (type.startsWith('random_')) (resource[type] ??= {})[name] ??= body;
      else (resource[type] ??= {})[`prod_${name}`] = body;
    }
  }
  return { ...dev, resource };
}
