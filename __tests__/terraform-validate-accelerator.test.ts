import { formatDiagnostics, unavailableReason, validateAndPlan } from '../scripts/terraform-harness';
import { referenceClosure } from './support/terraform-suite';
import { synthDrStack } from './support/synth';

// The accelerator edge (edge.mode "accelerator") validated and planned against the real provider, offline. Only the
// accelerator-specific part is planned, with everything it references (VPCs, subnets, functions, certificates,
// zone, keys): ~75 of ~340 resources, so the suite costs a fraction of a full plan; the rest of the stack is the
// dns-mode stack the dev plan already covers unchanged (__tests__/edge.test.ts asserts accelerator mode only adds
// to it). prod differs only in deletion protection and force_destroy flags (same schema): not planned again.
const reason = unavailableReason();
if (reason) console.warn(`SKIPPED terraform validation (accelerator): ${reason}`);

(reason ? describe.skip : describe)('terraform validate + plan of the accelerator edge (dev profile)', () => {
  const { synth } = synthDrStack({ edge: { mode: 'accelerator' } });
  const edgeOnly = (type: string, name: string) =>
    type.startsWith('aws_lb') || type.startsWith('aws_globalaccelerator') || name.startsWith('alb-') || name.startsWith('accelerator_');
  const subset = referenceClosure(synth.json, edgeOnly);
  const report = validateAndPlan(subset, { plan: true });

  test('the subset holds the whole edge and what it references', () => {
    const types = Object.keys(subset.resource);
    for (const t of ['aws_globalaccelerator_accelerator', 'aws_globalaccelerator_listener', 'aws_globalaccelerator_endpoint_group', 'aws_lb', 'aws_lb_listener', 'aws_lb_listener_rule', 'aws_lb_target_group', 'aws_lb_target_group_attachment', 'aws_lambda_function', 'aws_acm_certificate_validation', 'aws_subnet']) {
      expect(types).toContain(t);
    }
    expect(Object.keys(subset.resource.aws_lb)).toHaveLength(2);
  });

  test('validates and plans without credentials: 0 errors, 0 warnings, every resource created', () => {
    expect(formatDiagnostics(report.planDiagnostics)).toBe('');
    expect(report.planOk).toBe(true);
    const planned = Object.values(report.plannedCreates).reduce((a, b) => a + b, 0);
    const declared = Object.values(subset.resource as Record<string, object>).reduce((a, byName) => a + Object.keys(byName).length, 0);
    expect(planned).toBe(declared);
    expect(report.plannedCreates.aws_globalaccelerator_endpoint_group).toBe(2);
  });
});
