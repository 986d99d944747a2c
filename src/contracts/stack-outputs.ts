/**
 * The stack outputs: the contract between the stack, which writes them (src/tiers/stack-outputs.ts), and the DR CLI,
 * which reads them from the outputs file (src/dr-cli/outputs.ts, auto.ts, events.ts). Every name and the kind of its
 * value live here; __tests__/stack-outputs-contract.test.ts synthesizes the stack in each shape (dev, prod, the
 * accelerator edge, automatic failover) and checks that it writes exactly the names this contract expects.
 *
 * Imports nothing (eslint wall): the DR CLI may read it without the construct tree.
 */

/** What the value of an output is, as the outputs file holds it. */
export type OutputKind =
  /** An AWS region name, e.g. `us-east-1`. */
  | 'region'
  /** `primary` or `dr`. */
  | 'site-role'
  /** The config profile: `dev` or `prod`. */
  | 'profile'
  /** `manual` or `automatic` (config `failover.mode`). */
  | 'failover-mode'
  /** `accelerator` (config `edge.mode`; the output exists in accelerator mode only). */
  | 'edge-mode'
  /** ARN of an Aurora DB cluster (`arn:aws:rds:<region>:<account>:cluster:<id>`). */
  | 'rds-cluster-arn'
  /** ARN of an SNS topic. */
  | 'sns-topic-arn'
  /** ARN of a Step Functions state machine. */
  | 'state-machine-arn'
  /** ARN of a Global Accelerator accelerator. */
  | 'accelerator-arn'
  /** ARN of an accelerator endpoint group (`…:accelerator/…/listener/…/endpoint-group/…`). */
  | 'endpoint-group-arn'
  /** ARN of an Elastic Load Balancing load balancer. */
  | 'load-balancer-arn'
  /** An `https://` URL. */
  | 'https-url'
  /** A DNS name. */
  | 'dns-name'
  /** An SSM parameter name (`/…`). */
  | 'ssm-parameter-name'
  /** An SSM path (`/…`, no trailing slash), the common prefix of several parameters. */
  | 'ssm-path'
  /** A whole number written as a string. */
  | 'count'
  /** A physical name we chose (function, table, bucket, bus, secret…). */
  | 'name'
  /** An identifier AWS assigns or a resource id (cluster id, health check id, VPC id…). */
  | 'id'
  /** A list of name servers (a JSON array). */
  | 'name-servers';

/** When the stack writes an output. */
export type OutputPresence =
  | 'always'
  /** Only when the stack creates the hosted zone (dev without `dns.hostedZoneId`). */
  | 'created-zone'
  /** Only with `failover.mode: "automatic"` (the controller exists). */
  | 'automatic-failover'
  /** Only with `edge.mode: "accelerator"`. */
  | 'accelerator-edge';

export interface OutputSpec {
  readonly kind: OutputKind;
  readonly when: OutputPresence;
}

const always = <K extends OutputKind>(kind: K) => ({ kind, when: 'always' }) as const;
const automatic = <K extends OutputKind>(kind: K) => ({ kind, when: 'automatic-failover' }) as const;
const accelerator = <K extends OutputKind>(kind: K) => ({ kind, when: 'accelerator-edge' }) as const;

/** Every output of the stack, by name. A per-site name ends in the site's role (`-primary`, `-dr`) or starts with it. */
export const STACK_OUTPUTS = {
  'primary-region': always('region'),
  'dr-region': always('region'),
  'environment-profile': always('profile'),
  'active-region': always('site-role'),
  'failover-mode': always('failover-mode'),
  // Database
  'global-cluster-id': always('id'),
  'primary-cluster-arn': always('rds-cluster-arn'),
  'dr-cluster-arn': always('rds-cluster-arn'),
  'primary-cluster-id': always('id'),
  'dr-cluster-id': always('id'),
  'primary-cluster-parameter-group': always('name'),
  'dr-cluster-parameter-group': always('name'),
  // Data and network
  'sessions-table-name': always('name'),
  'artifacts-bucket-primary': always('name'),
  'artifacts-bucket-dr': always('name'),
  'primary-vpc-id': always('id'),
  'dr-vpc-id': always('id'),
  'peering-connection-id': always('id'),
  // API, DNS and the client key
  'api-domain-name': always('dns-name'),
  'hosted-zone-id': always('id'),
  'hosted-zone-name-servers': { kind: 'name-servers', when: 'created-zone' },
  'primary-health-check-id': always('id'),
  'dr-health-check-id': always('id'),
  'api-endpoint-primary': always('https-url'),
  'api-endpoint-dr': always('https-url'),
  'payment-function-primary': always('name'),
  'payment-function-dr': always('name'),
  'api-client-secret-name': always('name'),
  'lambda-reserved-concurrency-primary': always('count'),
  'lambda-reserved-concurrency-dr': always('count'),
  // The levers of a DR operation, paging and the drills
  'active-site-parameter-name': always('ssm-parameter-name'),
  'control-path': always('ssm-path'),
  'pager-topic-primary': always('sns-topic-arn'),
  'pager-topic-dr': always('sns-topic-arn'),
  'fis-experiment-template-primary': always('id'),
  'fis-experiment-template-dr': always('id'),
  // Automatic failover (the controller in the passive region)
  'controller-region': automatic('region'),
  'controller-state-machine-arn': automatic('state-machine-arn'),
  'kill-switch-parameter-name': automatic('ssm-parameter-name'),
  'last-run-parameter-name': automatic('ssm-parameter-name'),
  'operation-lock-parameter-name': automatic('ssm-parameter-name'),
  // Payment events
  'payment-events-bus-name': always('name'),
  'payment-events-endpoint-name': always('name'),
  'payment-events-endpoint-region': always('region'),
  'payment-events-endpoint-url': always('https-url'),
  'payment-events-queue-url-primary': always('https-url'),
  'payment-events-queue-url-dr': always('https-url'),
  'payment-events-archive-primary': always('name'),
  'payment-events-archive-dr': always('name'),
  'outbox-sweep-function-primary': always('name'),
  'outbox-sweep-function-dr': always('name'),
  // The accelerator edge
  'edge-mode': accelerator('edge-mode'),
  'accelerator-arn': accelerator('accelerator-arn'),
  'accelerator-dns-name': accelerator('dns-name'),
  'failover-record-name': accelerator('dns-name'),
  'endpoint-group-arn-primary': accelerator('endpoint-group-arn'),
  'endpoint-group-arn-dr': accelerator('endpoint-group-arn'),
  'load-balancer-arn-primary': accelerator('load-balancer-arn'),
  'load-balancer-arn-dr': accelerator('load-balancer-arn'),
} as const satisfies Record<string, OutputSpec>;

export type StackOutputName = keyof typeof STACK_OUTPUTS;

/** The shape of a deployment, which decides the optional outputs. */
export interface OutputShape {
  /** The stack creates the hosted zone (no `dns.hostedZoneId`). */
  readonly createdZone: boolean;
  readonly automaticFailover: boolean;
  readonly acceleratorEdge: boolean;
}

/** The names a stack of this shape writes, in contract order. */
export function expectedOutputs(shape: OutputShape): StackOutputName[] {
  const present: Record<OutputPresence, boolean> = {
    always: true,
    'created-zone': shape.createdZone,
    'automatic-failover': shape.automaticFailover,
    'accelerator-edge': shape.acceleratorEdge,
  };
  return (Object.keys(STACK_OUTPUTS) as StackOutputName[]).filter((name) => present[STACK_OUTPUTS[name].when]);
}
