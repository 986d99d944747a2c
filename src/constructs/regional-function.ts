import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
import { LambdaAlias } from '@cdktf/provider-aws/lib/lambda-alias';
import { LambdaFunction } from '@cdktf/provider-aws/lib/lambda-function';
import { LambdaProvisionedConcurrencyConfig } from '@cdktf/provider-aws/lib/lambda-provisioned-concurrency-config';
import { SecurityGroup } from '@cdktf/provider-aws/lib/security-group';
import { Subnet } from '@cdktf/provider-aws/lib/subnet';
import { TerraformAsset, Token } from 'cdktf';
import { Construct } from 'constructs';
import { secretLike } from '../guardrails/app-rules';
import { powertoolsLayerArn } from '../powertools-layer';
import { PolicyStatement, policyDocument, serviceTrustPolicy } from '../iam';
import { RegionContext } from '../region';
import { RegionalKey } from './multi-region-key';

export interface RegionalFunctionProps {
  readonly ctx: RegionContext;
  /** Purpose part of the function's name: `<prefix>-<suffix>-<region code>-<purpose>`. */
  readonly purpose: string;
  /** The zip asset (one bundle shared by both regions). */
  readonly code: TerraformAsset;
  /** @default 'index.handler' */
  readonly handler?: string;
  /** @default 'nodejs22.x' */
  readonly runtime?: string;
  /** Memory in MB (Lambda: 128-10240); CPU scales with it. @default 512 */
  readonly memorySizeMb?: number;
  /** How long one invocation may run, in seconds (Lambda: 1-900). @default 10 */
  readonly timeoutSeconds?: number;
  /** Upper bound of concurrent executions; protects the database's connection budget. */
  readonly reservedConcurrency: number;
  /**
   * The private subnets the function runs in; with `securityGroup`. Omit both for a function outside any VPC (one
   * that must reach the public internet or another region without depending on this region's NAT).
   */
  readonly subnets?: readonly Subnet[];
  readonly securityGroup?: SecurityGroup;
  /**
   * Provisioned concurrency: the function is published and invoked through its `live` alias, with this many
   * initialized execution environments (no Init phase for the first requests). @default 0 (none, no alias)
   */
  readonly provisionedConcurrency?: number;
  /**
   * Non-secret environment only: a variable the LAMBDA-ENV-SECRETS guardrail would refuse (its name says secret and
   * does not end in a locator such as `_NAME`/`_ARN`, or its value looks like one) is refused here already.
   */
  readonly environment?: Readonly<Record<string, string>>;
  /** Encrypts the function's log group. */
  readonly logKey: RegionalKey;
  readonly logRetentionDays: number;
  /** Exactly what the function may do besides logging, tracing and its VPC interfaces. */
  readonly statements: readonly PolicyStatement[];
}

/**
 * A Lambda function in one region: arm64, inside the private subnets with its own security group, X-Ray active
 * tracing, the Powertools layer, bounded reserved concurrency, JSON logs to its own KMS-encrypted log group with retention, and a
 * role allowing exactly the given statements.
 */
export class RegionalFunction extends Construct {
  public readonly function: LambdaFunction;
  public readonly role: IamRole;
  /** The role's inline policy; the function waits for it (see `dependsOn` below). */
  public readonly policy: IamRolePolicy;
  public readonly logGroup: CloudwatchLogGroup;
  public readonly functionName: string;
  /** The reserved concurrency (the function's share of the account's regional concurrency quota). */
  public readonly reservedConcurrency: number;
  /** The `live` alias, when the function has provisioned concurrency. */
  public readonly alias?: LambdaAlias;
  /** What callers invoke: the alias when there is one, else the function (`arn`, `invokeArn`, `functionName`, `qualifier`). */
  public readonly invokeTarget: { readonly arn: string; readonly invokeArn: string; readonly functionName: string; readonly qualifier?: string };

  constructor(scope: Construct, id: string, props: RegionalFunctionProps) {
    super(scope, id);
    const { ctx } = props;
    const provider = ctx.provider;
    if (!Token.isUnresolved(props.reservedConcurrency) && (props.reservedConcurrency < 1 || !Number.isInteger(props.reservedConcurrency))) {
      throw new Error(`RegionalFunction '${props.purpose}': reservedConcurrency must be a whole number >= 1, got ${props.reservedConcurrency}`);
    }
    // The guardrail's rule (src/guardrails/app-rules.ts), checked early: one rule, one answer.
    for (const [key, value] of Object.entries(props.environment ?? {})) {
      const why = secretLike(key, value);
      if (why) {
        throw new Error(
          `RegionalFunction '${props.purpose}': environment variable ${key} looks like a plaintext secret (${why}); pass where it is (e.g. ${key}_NAME, a secret name) and read it from Secrets Manager at run time`,
        );
      }
    }
    const provisioned = props.provisionedConcurrency ?? 0;
    if (!Token.isUnresolved(provisioned) && (!Number.isInteger(provisioned) || provisioned < 0 || provisioned > props.reservedConcurrency)) {
      throw new Error(
        `RegionalFunction '${props.purpose}': provisionedConcurrency must be a whole number from 0 to reservedConcurrency (${props.reservedConcurrency}), got ${provisioned}`,
      );
    }
    if ((props.subnets === undefined) !== (props.securityGroup === undefined)) {
      throw new Error(`RegionalFunction '${props.purpose}': give both subnets and securityGroup (in a VPC) or neither (outside any VPC)`);
    }
    const inVpc = props.subnets !== undefined && props.securityGroup !== undefined;
    this.functionName = ctx.naming.name('lambda', props.purpose, ctx.region);
    this.reservedConcurrency = props.reservedConcurrency;

    this.logGroup = new CloudwatchLogGroup(this, 'logs', {
      provider,
      name: `/aws/lambda/${this.functionName}`,
      retentionInDays: props.logRetentionDays,
      kmsKeyId: props.logKey.arn,
    });

    this.role = new IamRole(this, 'role', {
      provider,
      name: ctx.naming.name('iamRole', props.purpose, ctx.region),
      description: `${props.purpose} Lambda in ${ctx.region}`,
      assumeRolePolicy: serviceTrustPolicy('lambda.amazonaws.com', ctx.accountId),
    });
    this.policy = new IamRolePolicy(this, 'policy', {
      provider,
      role: this.role.id,
      name: 'least-privilege',
      policy: policyDocument([
        {
          Sid: 'OwnLogGroup',
          Effect: 'Allow',
          Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
          Resource: [`${this.logGroup.arn}:*`],
        },
        ...(inVpc
          ? [
              {
                // These EC2 actions have no resource-level permissions for the Describe call and Lambda manages the
                // interfaces itself (same actions as AWSLambdaVPCAccessExecutionRole, without its logs:* on *).
                Sid: 'VpcNetworkInterfaces',
                Effect: 'Allow' as const,
                Action: [
                  'ec2:CreateNetworkInterface',
                  'ec2:DescribeNetworkInterfaces',
                  'ec2:DescribeSubnets',
                  'ec2:DeleteNetworkInterface',
                  'ec2:AssignPrivateIpAddresses',
                  'ec2:UnassignPrivateIpAddresses',
                ],
                Resource: '*',
              },
            ]
          : []),
        {
          // X-Ray trace ingestion has no resource-level permissions.
          Sid: 'XRayTraces',
          Effect: 'Allow',
          Action: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'],
          Resource: '*',
        },
        ...props.statements,
      ]),
    });

    this.function = new LambdaFunction(this, 'function', {
      provider,
      functionName: this.functionName,
      role: this.role.arn,
      filename: props.code.path,
      sourceCodeHash: props.code.assetHash,
      handler: props.handler ?? 'index.handler',
      runtime: props.runtime ?? 'nodejs22.x',
      architectures: ['arm64'],
      memorySize: props.memorySizeMb ?? 512,
      timeout: props.timeoutSeconds ?? 10,
      reservedConcurrentExecutions: props.reservedConcurrency,
      tracingConfig: { mode: 'Active' },
      // The bundles leave Powertools out; this layer (the exact version the tests ran) provides it.
      layers: [powertoolsLayerArn(ctx.region)],
      loggingConfig: { logFormat: 'JSON', logGroup: this.logGroup.name },
      ...(inVpc ? { vpcConfig: { subnetIds: props.subnets!.map((s) => s.id), securityGroupIds: [props.securityGroup!.id] } } : {}),
      environment: props.environment ? { variables: { ...props.environment } } : undefined,
      // Provisioned concurrency needs a published version behind an alias.
      ...(provisioned > 0 ? { publish: true } : {}),
      // The log group first (Lambda would create an unencrypted one), and the role's policy: without it Lambda
      // rejects a VPC function ("The provided execution role does not have permissions to call
      // CreateNetworkInterface on EC2"), and IAM is eventually consistent; the provider's retry is not a plan.
      dependsOn: [this.logGroup, this.policy],
    });

    if (provisioned > 0) {
      this.alias = new LambdaAlias(this, 'live', {
        provider,
        name: 'live',
        description: 'The published version callers invoke (carries the provisioned concurrency)',
        functionName: this.function.functionName,
        functionVersion: this.function.version,
      });
      new LambdaProvisionedConcurrencyConfig(this, 'provisioned', {
        provider,
        functionName: this.function.functionName,
        qualifier: this.alias.name,
        provisionedConcurrentExecutions: provisioned,
      });
      this.invokeTarget = { arn: this.alias.arn, invokeArn: this.alias.invokeArn, functionName: this.function.functionName, qualifier: this.alias.name };
    } else {
      this.invokeTarget = { arn: this.function.arn, invokeArn: this.function.invokeArn, functionName: this.function.functionName };
    }
  }
}
