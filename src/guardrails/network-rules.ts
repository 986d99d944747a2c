import { Json, SynthResource, blocks, isBlank, list } from './inventory';
import { CheckContext, Finding, Rule } from './model';

/** Any `/0` range: the whole IPv4 or IPv6 internet. */
function isWholeInternet(cidr: unknown): boolean {
  return typeof cidr === 'string' && /\/0$/.test(cidr.trim());
}

/** TCP 443 only. */
function isHttpsOnly(protocol: unknown, from: unknown, to: unknown): boolean {
  return (protocol === 'tcp' || String(protocol) === '6') && Number(from) === 443 && Number(to) === 443;
}

const SG_RULE_TYPES = ['aws_security_group_rule', 'aws_vpc_security_group_ingress_rule', 'aws_vpc_security_group_egress_rule'];

/** Security-group ingress from the whole internet: the rule resource or inline block, and what it opens. */
interface OpenIngress {
  readonly resource: SynthResource;
  readonly where: string;
  readonly cidrs: string[];
  readonly https: boolean;
  /** The security group the ingress belongs to, when it is in this stack. */
  readonly group?: SynthResource;
}

function openIngress(ctx: CheckContext): OpenIngress[] {
  const inv = ctx.inventory;
  const found: OpenIngress[] = [];
  for (const sg of inv.ofType('aws_security_group', 'aws_default_security_group')) {
    blocks(sg.body.ingress).forEach((rule, i) => {
      const cidrs = [...list(rule.cidr_blocks), ...list(rule.ipv6_cidr_blocks)].filter(isWholeInternet) as string[];
      if (cidrs.length > 0) found.push({ resource: sg, where: `ingress[${i}]`, cidrs, https: isHttpsOnly(rule.protocol, rule.from_port, rule.to_port), group: sg });
    });
  }
  for (const rule of inv.ofType('aws_security_group_rule')) {
    if (rule.body.type !== 'ingress') continue;
    const cidrs = [...list(rule.body.cidr_blocks), ...list(rule.body.ipv6_cidr_blocks)].filter(isWholeInternet) as string[];
    if (cidrs.length > 0) {
      found.push({ resource: rule, where: 'cidr_blocks', cidrs, https: isHttpsOnly(rule.body.protocol, rule.body.from_port, rule.body.to_port), group: inv.referenced(rule.body.security_group_id, ['aws_security_group']) });
    }
  }
  for (const rule of inv.ofType('aws_vpc_security_group_ingress_rule')) {
    const cidrs = [rule.body.cidr_ipv4, rule.body.cidr_ipv6].filter(isWholeInternet) as string[];
    if (cidrs.length > 0) {
      found.push({ resource: rule, where: 'cidr_ipv4/cidr_ipv6', cidrs, https: isHttpsOnly(rule.body.ip_protocol, rule.body.from_port, rule.body.to_port), group: inv.referenced(rule.body.security_group_id, ['aws_security_group']) });
    }
  }
  return found;
}

export const noOpenIngress: Rule = {
  id: 'SG-OPEN-INGRESS',
  title: 'No security group admits the whole internet (0.0.0.0/0, ::/0), except HTTPS on a marked public entry point',
  rationale:
    'Nothing in the platform is reachable from the internet except through API Gateway. A future public load balancer may accept TCP 443 from anywhere, and only once its security group is marked with allowPublicHttps(sg, reason).',
  resourceTypes: ['aws_security_group', 'aws_default_security_group', 'aws_security_group_rule', 'aws_vpc_security_group_ingress_rule'],
  check: (ctx) =>
    openIngress(ctx)
      .filter((o) => !(o.https && o.group && ctx.publicEntryPoints.has(o.group.path)))
      .map(
        (o): Finding => ({
          resource: o.resource,
          problem: `${o.where} admits ${o.cidrs.join(' and ')}${o.https ? ' on HTTPS, but its security group is not marked as a public entry point' : ''}`,
          fix: o.https
            ? 'restrict the source to a CIDR, prefix list or security group, or (for a public load balancer) mark its security group with allowPublicHttps(securityGroup, reason)'
            : 'restrict the source to a CIDR, prefix list or security group of the platform',
        }),
      ),
};

function describedBlocks(resource: SynthResource): Finding[] {
  return (['ingress', 'egress'] as const).flatMap((direction) =>
    blocks(resource.body[direction])
      .map((rule, i): [Json, number] => [rule, i])
      .filter(([rule]) => isBlank(rule.description))
      .map(([, i]): Finding => ({ resource, problem: `${direction}[${i}] has no description`, fix: `set description on ${direction}[${i}] (what traffic and why)` })),
  );
}

export const securityGroupDescriptions: Rule = {
  id: 'SG-DESCRIPTION',
  title: 'Every security group and every rule says what it admits',
  rationale: 'Reviewers and auditors read why each path exists; "Managed by Terraform" (the provider default) says nothing.',
  resourceTypes: ['aws_security_group', 'aws_default_security_group', ...SG_RULE_TYPES],
  check: (ctx) => [
    ...ctx.inventory.ofType('aws_security_group').flatMap((sg): Finding[] => [
      ...(isBlank(sg.body.description) || sg.body.description === 'Managed by Terraform'
        ? [{ resource: sg, problem: `description is ${JSON.stringify(sg.body.description ?? 'Managed by Terraform')}`, fix: 'set description to what the group protects and admits' }]
        : []),
      ...describedBlocks(sg),
    ]),
    ...ctx.inventory.ofType('aws_default_security_group').flatMap(describedBlocks),
    ...ctx.inventory
      .ofType(...SG_RULE_TYPES)
      .filter((r) => isBlank(r.body.description))
      .map((r): Finding => ({ resource: r, problem: 'description is not set', fix: 'set description (what traffic and why)' })),
  ],
};

export const defaultSecurityGroupClosed: Rule = {
  id: 'VPC-DEFAULT-SG',
  title: 'Every VPC adopts its default security group with no rules',
  rationale: 'A resource launched without a security group would otherwise get the default group, which admits its own members and all egress.',
  resourceTypes: ['aws_vpc', 'aws_default_security_group', ...SG_RULE_TYPES],
  check: (ctx) => {
    const inv = ctx.inventory;
    const findings: Finding[] = [];
    for (const vpc of inv.ofType('aws_vpc')) {
      if (inv.referencing('aws_default_security_group', 'vpc_id', vpc, ['id']).length === 0) {
        findings.push({ resource: vpc, problem: 'its default security group is not adopted, so it keeps the AWS default rules', fix: 'add an aws_default_security_group with vpc_id = this VPC and no ingress or egress blocks' });
      }
    }
    for (const sg of inv.ofType('aws_default_security_group')) {
      const rules = [...blocks(sg.body.ingress).map(() => 'ingress'), ...blocks(sg.body.egress).map(() => 'egress')];
      if (rules.length > 0) findings.push({ resource: sg, problem: `has ${rules.length} rule block(s) (${[...new Set(rules)].join(', ')})`, fix: 'remove every ingress and egress block; give workloads their own security groups' });
    }
    for (const rule of inv.ofType(...SG_RULE_TYPES)) {
      if (inv.referenced(rule.body.security_group_id, ['aws_default_security_group'])) {
        findings.push({ resource: rule, problem: 'adds a rule to a default security group', fix: 'attach the rule to a dedicated security group instead' });
      }
    }
    return findings;
  },
};

export const vpcFlowLogs: Rule = {
  id: 'VPC-FLOW-LOG',
  title: 'Every VPC has a flow log of all traffic',
  rationale: 'Accepted and rejected flows are the network evidence of an incident (PCI DSS logging) and of a failover.',
  resourceTypes: ['aws_vpc'],
  check: (ctx) =>
    ctx.inventory.ofType('aws_vpc').flatMap((vpc): Finding[] => {
      const logs = ctx.inventory.referencing('aws_flow_log', 'vpc_id', vpc, ['id']);
      if (logs.some((l) => l.body.traffic_type === 'ALL')) return [];
      return [
        {
          resource: vpc,
          problem: logs.length === 0 ? 'has no aws_flow_log' : `its flow logs record ${logs.map((l) => JSON.stringify(l.body.traffic_type)).join(', ')} traffic only`,
          fix: 'add an aws_flow_log with vpc_id = this VPC and traffic_type = "ALL" (to an encrypted log group with retention)',
        },
      ];
    }),
};
