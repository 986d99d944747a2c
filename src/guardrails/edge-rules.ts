import { SynthResource, blocks, isBlank, isTrue } from './inventory';
import { CheckContext, Finding, Rule } from './model';

/**
 * Rules for the load balancers and the accelerator of the static-IP edge (config `edge.mode: "accelerator"`).
 * Network exposure is SG-OPEN-INGRESS's job: only a security group marked with allowPublicHttps may admit the
 * internet, and then only on TCP 443.
 */

const LB_TYPES = ['aws_lb', 'aws_alb'];
const LISTENER_TYPES = ['aws_lb_listener', 'aws_alb_listener'];

/** Application load balancers (`load_balancer_type` defaults to "application"). */
function applicationLoadBalancers(ctx: CheckContext): SynthResource[] {
  return ctx.inventory.ofType(...LB_TYPES).filter((lb) => lb.body.load_balancer_type === undefined || lb.body.load_balancer_type === 'application');
}

/** ELB security policies that offer TLS 1.3 and at most TLS 1.2 below it (ELB User Guide, describe-ssl-policies). */
export const MODERN_TLS_POLICY = /^ELBSecurityPolicy-TLS13-1-[23]-/;

export const lbListenerTls: Rule = {
  id: 'LB-LISTENER-TLS',
  title: 'Load balancer listeners are HTTPS with a TLS 1.3/1.2 policy and a certificate; accelerator listeners serve TCP 443 only',
  rationale:
    'Payment requests never cross the internet in clear text and never negotiate TLS below 1.2; the accelerator forwards only the HTTPS port, so its static addresses expose nothing else.',
  resourceTypes: [...LISTENER_TYPES, 'aws_globalaccelerator_listener'],
  check: (ctx) => [
    ...ctx.inventory.ofType(...LISTENER_TYPES).flatMap((l): Finding[] => {
      const problems: string[] = [];
      if (l.body.protocol !== 'HTTPS') problems.push(`protocol is ${JSON.stringify(l.body.protocol ?? 'HTTP')}`);
      else {
        if (typeof l.body.ssl_policy !== 'string' || !MODERN_TLS_POLICY.test(l.body.ssl_policy)) problems.push(`ssl_policy is ${JSON.stringify(l.body.ssl_policy ?? 'ELBSecurityPolicy-2016-08 (the API default)')}`);
        if (isBlank(l.body.certificate_arn)) problems.push('certificate_arn is not set');
      }
      return problems.length === 0
        ? []
        : [{ resource: l, problem: problems.join('; '), fix: 'set protocol = "HTTPS", ssl_policy = "ELBSecurityPolicy-TLS13-1-2-Res-2021-06" (or another ELBSecurityPolicy-TLS13-1-2/1-3 policy) and certificate_arn' }];
    }),
    ...ctx.inventory.ofType('aws_globalaccelerator_listener').flatMap((l): Finding[] => {
      const ranges = blocks(l.body.port_range);
      const only443 = ranges.length > 0 && ranges.every((r) => Number(r.from_port) === 443 && Number(r.to_port) === 443);
      return l.body.protocol === 'TCP' && only443
        ? []
        : [
            {
              resource: l,
              problem: `protocol ${JSON.stringify(l.body.protocol)} on port ranges ${ranges.map((r) => `${r.from_port}-${r.to_port}`).join(', ') || '(none)'}`,
              fix: 'set protocol = "TCP" and a single port_range { from_port = 443, to_port = 443 } (TLS ends at the load balancer)',
            },
          ];
    }),
  ],
};

export const lbWaf: Rule = {
  id: 'LB-WAF',
  title: 'Every application load balancer has a WAF web ACL',
  rationale: 'The load balancer path gets the same managed rules and per-IP rate limit as the API Gateway path; an entry point without them would be the weak one.',
  resourceTypes: LB_TYPES,
  check: (ctx) =>
    applicationLoadBalancers(ctx)
      .filter((lb) => ctx.inventory.referencing('aws_wafv2_web_acl_association', 'resource_arn', lb, ['arn', 'id']).length === 0)
      .map((lb): Finding => ({ resource: lb, problem: 'has no aws_wafv2_web_acl_association', fix: 'add an aws_wafv2_web_acl_association with resource_arn = this load balancer\'s arn (paymentsWebAcl in src/constructs/regional-api.ts)' })),
};

export const lbAccessLogs: Rule = {
  id: 'LB-ACCESS-LOGS',
  title: 'Every load balancer writes access logs',
  rationale: 'Who called what, when and with which result is recorded for every request at the load balancer too (PCI DSS logging), per region.',
  resourceTypes: LB_TYPES,
  check: (ctx) =>
    ctx.inventory.ofType(...LB_TYPES).flatMap((lb): Finding[] => {
      const logs = blocks(lb.body.access_logs)[0];
      return logs && isTrue(logs.enabled) && !isBlank(logs.bucket)
        ? []
        : [{ resource: lb, problem: `access_logs is ${JSON.stringify(logs ?? null)}`, fix: 'set access_logs { bucket = <an SSE-S3 bucket of this region that ELB may write>, enabled = true }' }];
    }),
};

export const lbDropInvalidHeaders: Rule = {
  id: 'LB-DROP-INVALID-HEADERS',
  title: 'Application load balancers drop invalid HTTP header fields',
  rationale: 'Headers that are not valid HTTP cannot smuggle requests or confuse the handlers, which read x-api-key and Idempotency-Key from the headers.',
  resourceTypes: LB_TYPES,
  check: (ctx) =>
    applicationLoadBalancers(ctx)
      .filter((lb) => !isTrue(lb.body.drop_invalid_header_fields))
      .map((lb): Finding => ({ resource: lb, problem: `drop_invalid_header_fields is ${JSON.stringify(lb.body.drop_invalid_header_fields ?? false)}`, fix: 'set drop_invalid_header_fields = true' })),
};

export const lbDeletionProtection: Rule = {
  id: 'LB-DELETION-PROTECTION',
  title: 'In prod, load balancers have deletion protection',
  rationale: 'The regional entry point behind the accelerator cannot be deleted by an accidental destroy or a console click.',
  resourceTypes: LB_TYPES,
  profiles: ['prod'],
  check: (ctx) =>
    ctx.inventory
      .ofType(...LB_TYPES)
      .filter((lb) => !isTrue(lb.body.enable_deletion_protection))
      .map((lb): Finding => ({ resource: lb, problem: `enable_deletion_protection is ${JSON.stringify(lb.body.enable_deletion_protection ?? false)} in prod`, fix: 'set enable_deletion_protection = true (config protection.deletionProtection)' })),
};
