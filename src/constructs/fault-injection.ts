import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group';
import { CloudwatchLogResourcePolicy } from '@cdktf/provider-aws/lib/cloudwatch-log-resource-policy';
import { CloudwatchMetricAlarm } from '@cdktf/provider-aws/lib/cloudwatch-metric-alarm';
import { FisExperimentTemplate } from '@cdktf/provider-aws/lib/fis-experiment-template';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
import { SnsTopic } from '@cdktf/provider-aws/lib/sns-topic';
import { Construct } from 'constructs';
import { PolicyStatement, policyDocument, serviceTrustPolicy } from '../iam';
import { RegionContext } from '../region';
import { RegionalKey } from './multi-region-key';
import { RegionalNetwork } from './regional-network';
import { ec2Arn, fisExperimentArn, logsArnPattern } from '../arn';

/** ISO 8601 durations FIS accepts for an action: PT1M to PT12H (FIS actions reference). */
const DURATION = /^PT(?:(\d+)H)?(?:(\d+)M)?$/;

export interface FaultInjectionProps {
  /** The site this template fails (its region is where the experiment runs). */
  readonly ctx: RegionContext;
  readonly network: RegionalNetwork;
  /** The other site's region: cross-region traffic to it is cut. */
  readonly peerRegion: string;
  /**
   * Platform alarms that stop the experiment, in this site's region. FIS documents a stop condition as a CloudWatch
   * alarm ARN without saying it reads alarms of other Regions, so only alarms of the experiment's Region are
   * accepted here (checked at synth).
   */
  readonly stopAlarms?: readonly CloudwatchMetricAlarm[];
  /** Encrypts the experiment log group (this region's key; its policy must let CloudWatch Logs use it). */
  readonly logKey: RegionalKey;
  readonly logRetentionDays: number;
  /** The platform's alert topic in this region: the kill switch notifies it when tripped and when cleared. */
  readonly alertTopic: SnsTopic;
  /** Each action's duration: the longest the fault lasts if nobody stops it (ISO 8601, PT1M-PT12H). @default 'PT30M' */
  readonly maxDuration?: string;
}

/**
 * A regional failure of one site as the platform sees it, as an AWS FIS experiment template:
 *
 * - `isolate-from-peer-region` (`aws:network:route-table-disrupt-cross-region-connectivity`): the site's private and
 *   isolated subnets lose every route to the peer region (FIS swaps in route tables of its own, tagged
 *   `managedByFIS=true`, and puts the originals back at the end);
 * - `cut-database-path` (`aws:network:disrupt-connectivity`, scope `all`): the database subnets' network ACL is
 *   swapped for a deny-all clone, so the payment and health functions lose the database: payments answer 503 and
 *   the deep health check fails, which is what Route 53 and the on-call see in a regional outage.
 *
 * Stop conditions: the given platform alarms and this construct's `drill-stop` alarm (a kill switch anyone can
 * trip: `aws cloudwatch set-alarm-state --state-value ALARM`). The experiment role is least privilege: FIS's
 * creations are tag-scoped (`managedByFIS=true`, which FIS sets), the rest is scoped to this site's VPC, subnets,
 * route tables, network ACL and gateway endpoints. The experiment logs to a log group encrypted with our key.
 */
export class FaultInjection extends Construct {
  public readonly role: IamRole;
  public readonly logGroup: CloudwatchLogGroup;
  /** The kill switch: in ALARM, FIS stops the experiment. */
  public readonly stopAlarm: CloudwatchMetricAlarm;
  public readonly template: FisExperimentTemplate;
  public readonly maxDuration: string;

  constructor(scope: Construct, id: string, props: FaultInjectionProps) {
    super(scope, id);
    const { ctx, network } = props;
    const provider = ctx.provider;
    this.maxDuration = props.maxDuration ?? 'PT30M';
    const d = DURATION.exec(this.maxDuration);
    const minutes = d ? Number(d[1] ?? 0) * 60 + Number(d[2] ?? 0) : NaN;
    if (!d || !(minutes >= 1 && minutes <= 720)) {
      throw new Error(`FaultInjection ${ctx.region}: maxDuration "${this.maxDuration}" must be an ISO 8601 duration from PT1M to PT12H, e.g. "PT30M"`);
    }
    if (props.peerRegion === ctx.region) throw new Error(`FaultInjection ${ctx.region}: peerRegion must be the other site's region, got ${props.peerRegion}`);
    for (const alarm of props.stopAlarms ?? []) {
      const region = (alarm.provider as { region?: string } | undefined)?.region;
      if (region !== ctx.region) {
        throw new Error(
          `FaultInjection ${ctx.region}: stop alarm ${alarm.node.path} is in ${region ?? 'an unknown region'}; stop conditions must be alarms of the experiment's region (${ctx.region})`,
        );
      }
    }
    const name = (purpose: string) => ctx.naming.name('generic', purpose, ctx.region);
    const arn = (resource: string) => ec2Arn(ctx, resource);

    // --- Experiment log: a vended log delivery into our encrypted group ------------------------------------------
    this.logGroup = new CloudwatchLogGroup(this, 'log-group', {
      provider,
      // The /aws/vendedlogs/ prefix keeps the account's log resource policy small (CloudWatch Logs vended logs).
      name: `/aws/vendedlogs/fis/${name('regional-outage')}`,
      retentionInDays: props.logRetentionDays,
      kmsKeyId: props.logKey.arn,
    });
    // The delivery service writes the log: granted here, so the experiment role needs no logs:PutResourcePolicy.
    new CloudwatchLogResourcePolicy(this, 'log-delivery', {
      provider,
      policyName: name('fis-log-delivery'),
      policyDocument: policyDocument([
        {
          Sid: 'FisExperimentLogDelivery',
          Effect: 'Allow',
          Principal: { Service: 'delivery.logs.amazonaws.com' },
          Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
          Resource: [`${this.logGroup.arn}:log-stream:*`],
          Condition: {
            StringEquals: { 'aws:SourceAccount': ctx.accountId },
            ArnLike: { 'aws:SourceArn': logsArnPattern(ctx) },
          },
        },
      ]),
    });

    // --- The experiment role -------------------------------------------------------------------------------------
    this.role = new IamRole(this, 'role', {
      provider,
      name: ctx.naming.name('iamRole', 'fis-outage', ctx.region),
      description: `AWS FIS: regional outage experiment of the ${ctx.role} site (${ctx.region})`,
      // Confused-deputy protection: only FIS experiments of this account and region (FIS User Guide, experiment role).
      assumeRolePolicy: serviceTrustPolicy('fis.amazonaws.com', ctx.accountId, fisExperimentArn(ctx, '*')),
    });
    const siteSubnets = [...network.privateSubnets, ...network.isolatedSubnets];
    const databaseSubnets = network.isolatedSubnets;
    const fisTagged = { StringEquals: { 'ec2:ResourceTag/managedByFIS': 'true' } };
    const fisCreates = { StringEquals: { 'aws:RequestTag/managedByFIS': 'true' } };
    const fisOwned = [arn('route-table/*'), arn('prefix-list/*'), arn('network-interface/*'), arn('network-acl/*')];
    // Permissions: FIS actions reference (route-table-disrupt-cross-region-connectivity, disrupt-connectivity),
    // scoped like the AWSFaultInjectionSimulatorNetworkAccess managed policy, narrowed to this site.
    const statements: PolicyStatement[] = [
      {
        Sid: 'Describe',
        Effect: 'Allow',
        Action: [
          'ec2:DescribeManagedPrefixLists',
          'ec2:DescribeNetworkAcls',
          'ec2:DescribeNetworkInterfaces',
          'ec2:DescribeRouteTables',
          'ec2:DescribeSubnets',
          'ec2:DescribeVpcEndpoints',
          'ec2:DescribeVpcPeeringConnections',
          'ec2:DescribeVpcs',
        ],
        Resource: '*',
      },
      // AWS-managed prefix lists (S3, DynamoDB) belong to the account "aws".
      { Sid: 'ReadPrefixLists', Effect: 'Allow', Action: ['ec2:GetManagedPrefixListEntries'], Resource: [ec2Arn(ctx, 'prefix-list/*', '*')] },
      { Sid: 'CreateInSiteVpc', Effect: 'Allow', Action: ['ec2:CreateRouteTable', 'ec2:CreateNetworkAcl'], Resource: [network.vpc.arn] },
      {
        Sid: 'CreateFisResources',
        Effect: 'Allow',
        Action: ['ec2:CreateRouteTable', 'ec2:CreateNetworkAcl', 'ec2:CreateManagedPrefixList', 'ec2:CreateNetworkInterface'],
        Resource: fisOwned,
        Condition: fisCreates,
      },
      {
        Sid: 'TagFisResourcesAtCreation',
        Effect: 'Allow',
        Action: ['ec2:CreateTags'],
        Resource: fisOwned,
        Condition: {
          StringEquals: {
            'aws:RequestTag/managedByFIS': 'true',
            'ec2:CreateAction': ['CreateRouteTable', 'CreateNetworkAcl', 'CreateManagedPrefixList', 'CreateNetworkInterface'],
          },
        },
      },
      {
        Sid: 'FisInterfacesInSiteSubnets',
        Effect: 'Allow',
        Action: ['ec2:CreateNetworkInterface'],
        Resource: [...siteSubnets.map((s) => s.arn), arn('security-group/*')],
      },
      {
        Sid: 'ChangeAndRemoveFisResources',
        Effect: 'Allow',
        Action: [
          'ec2:CreateRoute',
          'ec2:DeleteRouteTable',
          'ec2:CreateNetworkAclEntry',
          'ec2:DeleteNetworkAcl',
          'ec2:ModifyManagedPrefixList',
          'ec2:DeleteManagedPrefixList',
          'ec2:DeleteNetworkInterface',
          'ec2:AssociateRouteTable',
          'ec2:DisassociateRouteTable',
          'ec2:ReplaceRouteTableAssociation',
          'ec2:ReplaceNetworkAclAssociation',
          'ec2:ModifyVpcEndpoint',
        ],
        Resource: fisOwned,
        Condition: fisTagged,
      },
      {
        Sid: 'SwapSiteRouteTables',
        Effect: 'Allow',
        Action: ['ec2:AssociateRouteTable', 'ec2:DisassociateRouteTable', 'ec2:ReplaceRouteTableAssociation'],
        Resource: [...siteSubnets.map((s) => s.arn), ...network.internalRouteTables.map((rt) => rt.arn)],
      },
      {
        Sid: 'SwapDatabaseSubnetAcl',
        Effect: 'Allow',
        Action: ['ec2:ReplaceNetworkAclAssociation'],
        // The database subnets use the VPC's default network ACL; FIS restores it at the end.
        Resource: [...databaseSubnets.map((s) => s.arn), arn(`network-acl/${network.vpc.defaultNetworkAclId}`)],
      },
      {
        Sid: 'KeepGatewayEndpointsOnFisRouteTables',
        Effect: 'Allow',
        Action: ['ec2:ModifyVpcEndpoint'],
        Resource: [network.gatewayEndpoints.s3.arn, network.gatewayEndpoints.dynamodb.arn],
      },
      {
        // Vended log delivery: these actions have no resource-level permissions (Service Authorization Reference,
        // CloudWatch Logs); the log group's resource policy above is what scopes the delivery.
        Sid: 'ExperimentLogDelivery',
        Effect: 'Allow',
        Action: ['logs:CreateLogDelivery', 'logs:DescribeLogGroups', 'logs:DescribeResourcePolicies'],
        Resource: '*',
      },
    ];
    new IamRolePolicy(this, 'policy', { provider, role: this.role.id, name: 'regional-outage-experiment', policy: policyDocument(statements) });

    // --- Stop conditions ----------------------------------------------------------------------------------------
    this.stopAlarm = new CloudwatchMetricAlarm(this, 'stop-alarm', {
      provider,
      alarmName: name('drill-stop'),
      alarmDescription:
        `Kill switch of the ${ctx.role} site's FIS outage experiment: in ALARM, FIS stops it and restores the network. ` +
        `Trip it with: aws cloudwatch set-alarm-state --region ${ctx.region} --alarm-name ${name('drill-stop')} --state-value ALARM --state-reason "stop the drill"`,
      namespace: 'PaymentsDR/Drill',
      metricName: 'StopRequested',
      dimensions: { Site: ctx.role },
      statistic: 'Sum',
      period: 60,
      evaluationPeriods: 1,
      threshold: 0,
      comparisonOperator: 'GreaterThanThreshold',
      treatMissingData: 'notBreaching',
      alarmActions: [props.alertTopic.arn],
      okActions: [props.alertTopic.arn],
    });

    // --- The template -------------------------------------------------------------------------------------------
    // A target lists at most 5 resource ARNs (provider schema of aws_fis_experiment_template: target.resource_arns
    // "5 item maximum"; found by `npm run plan:upgrade`, which plans with the subnet ARNs known): 3 zones give 6
    // site subnets, so the subnets are split into targets of at most 5, each with its own action.
    const siteTargets = chunked('site-subnets', siteSubnets);
    const databaseTargets = chunked('database-subnets', databaseSubnets);
    this.template = new FisExperimentTemplate(this, 'template', {
      provider,
      description: `Regional outage of the ${ctx.role} site (${ctx.region}): isolated from ${props.peerRegion} and cut off from its database`,
      roleArn: this.role.arn,
      stopCondition: [...(props.stopAlarms ?? []), this.stopAlarm].map((a) => ({ source: 'aws:cloudwatch:alarm', value: a.arn })),
      target: [...siteTargets, ...databaseTargets].map((t) => ({
        name: t.name,
        resourceType: 'aws:ec2:subnet',
        selectionMode: 'ALL',
        resourceArns: t.subnets.map((s) => s.arn),
      })),
      // One action per target, all starting together (no startAfter): the template's effect is the same as one
      // action over every subnet.
      action: [
        ...siteTargets.map((t, i) => ({
          name: chunkName('isolate-from-peer-region', i, siteTargets.length),
          actionId: 'aws:network:route-table-disrupt-cross-region-connectivity',
          description: `No route from the site's subnets to ${props.peerRegion}`,
          parameter: [
            { key: 'region', value: props.peerRegion },
            { key: 'duration', value: this.maxDuration },
          ],
          target: { key: 'Subnets', value: t.name },
        })),
        ...databaseTargets.map((t, i) => ({
          name: chunkName('cut-database-path', i, databaseTargets.length),
          actionId: 'aws:network:disrupt-connectivity',
          description: 'Deny all traffic in and out of the database subnets',
          parameter: [
            { key: 'scope', value: 'all' },
            { key: 'duration', value: this.maxDuration },
          ],
          target: { key: 'Subnets', value: t.name },
        })),
      ],
      // The site's subnets always exist: a target that resolves to nothing is a broken template, not a skip.
      experimentOptions: { accountTargeting: 'single-account', emptyTargetResolutionMode: 'fail' },
      logConfiguration: { logSchemaVersion: 2, cloudwatchLogsConfiguration: { logGroupArn: `${this.logGroup.arn}:*` } },
      tags: { Name: name('regional-outage'), Site: ctx.role },
    });
  }
}

/** FIS's limit on the resource ARNs of one target. */
export const FIS_TARGET_MAX_ARNS = 5;

/** `base` when there is one chunk, else `base-1`, `base-2`, … */
function chunkName(base: string, index: number, count: number): string {
  return count === 1 ? base : `${base}-${index + 1}`;
}

/** `items` in targets of at most FIS_TARGET_MAX_ARNS, named with chunkName. */
function chunked<T>(base: string, items: readonly T[]): Array<{ name: string; subnets: T[] }> {
  const count = Math.ceil(items.length / FIS_TARGET_MAX_ARNS);
  return Array.from({ length: count }, (_, i) => ({
    name: chunkName(base, i, count),
    subnets: items.slice(i * FIS_TARGET_MAX_ARNS, (i + 1) * FIS_TARGET_MAX_ARNS),
  }));
}
