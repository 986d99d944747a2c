import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
import { RdsCluster } from '@cdktf/provider-aws/lib/rds-cluster';
import { RdsClusterParameterGroup } from '@cdktf/provider-aws/lib/rds-cluster-parameter-group';
import { SfnStateMachine } from '@cdktf/provider-aws/lib/sfn-state-machine';
import { SnsTopic } from '@cdktf/provider-aws/lib/sns-topic';
import { SsmParameter } from '@cdktf/provider-aws/lib/ssm-parameter';
import { TerraformAsset } from 'cdktf';
import { Construct } from 'constructs';
import { policyDocument, serviceTrustPolicy } from '../iam';
import { RegionContext } from '../region';
import { LOG_DELIVERY_CONTEXT_KEY, RegionalKey, STATES_CONTEXT_KEY, logDeliveryContext } from './multi-region-key';
import { RegionalFunction } from './regional-function';
import { controlPath } from './regional-pager';
import { rdsGlobalClusterArn, secretArnPattern, ssmParameterArn, stateMachineArn, stepFunctionsIntegrationArn } from '../arn';
import { CONTROL_PARAMETERS as CONTROL } from '../../lambdas/shared/parameter-names';

/** Timings of the state machine (seconds). */
export interface FailoverTimings {
  /** Between two reads of the global cluster while the promotion runs. @default 5 */
  readonly pollSeconds?: number;
  /** The fencing branch's own timeout: fencing never holds the run longer. @default 15 */
  readonly fenceTimeoutSeconds?: number;
  /** How long the controller tries to prove a payment through the public name. @default 150 */
  readonly proveTimeoutSeconds?: number;
}

/**
 * The controller's state machine (Amazon States Language), one Lambda task per step, exported for its unit test.
 * Every task retries Lambda's own transient errors and catches everything else into RecordFailure, which records
 * and pages; fencing runs in a parallel branch with its own timeout and catches its own failure, so it can
 * neither block nor fail the promotion.
 */
export function failoverDefinition(functionArn: string, timings: FailoverTimings = {}): Record<string, unknown> {
  const poll = timings.pollSeconds ?? 5;
  const fenceTimeout = timings.fenceTimeoutSeconds ?? 15;
  const prove = timings.proveTimeoutSeconds ?? 150;
  const lambdaRetry = {
    ErrorEquals: ['Lambda.ServiceException', 'Lambda.AWSLambdaException', 'Lambda.SdkClientException', 'Lambda.TooManyRequestsException'],
    IntervalSeconds: 1,
    MaxAttempts: 3,
    BackoffRate: 2,
  };
  const task = (action: string, timeoutSeconds: number, rest: Record<string, unknown>, retryTaskFailures = false) => ({
    Type: 'Task',
    Resource: stepFunctionsIntegrationArn('lambda:invoke'),
    Parameters: { FunctionName: functionArn, Payload: { action, 'state.$': '$', 'executionArn.$': '$$.Execution.Id' } },
    OutputPath: '$.Payload',
    TimeoutSeconds: timeoutSeconds,
    Retry: [lambdaRetry, ...(retryTaskFailures ? [{ ErrorEquals: ['States.TaskFailed'], IntervalSeconds: 2, MaxAttempts: 3, BackoffRate: 2 }] : [])],
    ...rest,
  });
  const toFailure = { Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'RecordFailure' }] };
  return {
    Comment: 'Automatic failover to this region: the same steps as `npm run dr -- failover`, each a state with its own record',
    StartAt: 'Decide',
    States: {
      Decide: task('decide', 30, { Next: 'Go?', ...toFailure }),
      'Go?': {
        Type: 'Choice',
        Choices: [{ Variable: '$.go', BooleanEquals: true, Next: 'PageStart' }],
        Default: 'Refused',
      },
      // Also where the active site's inert controller ends: Decide's output says `verdict: "nothing-to-do"` (not
      // paged). No state of its own: a changed definition makes the provider call ValidateStateMachineDefinition at
      // plan time, which the offline upgrade plan cannot reach (provider sfn stateMachineDefinitionValidate).
      Refused: { Type: 'Succeed', Comment: 'A guard refused: recorded in the history and paged by Decide' },
      PageStart: task('page-start', 15, {
        Next: 'FailoverAndFence',
        // A page that cannot be sent does not stop the failover.
        Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.pageError', Next: 'FailoverAndFence' }],
      }),
      FailoverAndFence: {
        Type: 'Parallel',
        ResultPath: '$.parallel',
        Branches: [
          {
            StartAt: 'Promote',
            States: {
              Promote: task('promote', 30, { Next: 'WaitForWriter' }, true),
              WaitForWriter: { Type: 'Wait', Seconds: poll, Next: 'CheckWriter' },
              CheckWriter: task('check-writer', 30, { Next: 'Writer?' }, true),
              'Writer?': {
                Type: 'Choice',
                Choices: [{ Variable: '$.promotion.done', BooleanEquals: true, Next: 'Promoted' }],
                Default: 'WaitForWriter',
              },
              Promoted: { Type: 'Succeed' },
            },
          },
          {
            StartAt: 'Fence',
            States: {
              Fence: task('fence', fenceTimeout, {
                End: true,
                Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.fenceError', Next: 'FenceGaveUp' }],
              }),
              FenceGaveUp: { Type: 'Pass', Comment: 'Best effort: recorded as failed when the branches join', End: true },
            },
          },
        ],
        Next: 'Designate',
        ...toFailure,
      },
      Designate: task('designate', 20, { Next: 'SetRpo', ...toFailure }, true),
      SetRpo: task('set-rpo', 20, { Next: 'ProveWrite', ...toFailure }, true),
      ProveWrite: task('prove-write', prove + 30, { Next: 'Finish', ...toFailure }),
      Finish: task('finish', 30, { Next: 'Done', ...toFailure }, true),
      Done: { Type: 'Succeed' },
      RecordFailure: task('fail', 30, { Next: 'Failed', Catch: [{ ErrorEquals: ['States.ALL'], Next: 'Failed' }] }, true),
      Failed: { Type: 'Fail', Error: 'AutomaticFailoverFailed', Cause: 'See the run record (auto-failover-last-run) and the execution history' },
    },
  };
}

export interface FailoverControllerProps {
  /** The region this controller lives in: it fails over TO this region's site, promoting its cluster. */
  readonly ctx: RegionContext;
  /** The other region: the one it fails over FROM (fenced best effort). */
  readonly peer: RegionContext;
  readonly code: TerraformAsset;
  /**
   * Encrypts the logs, the state machine's definition and execution history, and the pager topic (publishing needs
   * it). Its key policy must admit Step Functions (`MultiRegionKey` user `states`).
   */
  readonly logKey: RegionalKey;
  readonly logRetentionDays: number;
  readonly pagerTopic: SnsTopic;
  readonly globalClusterIdentifier: string;
  /** This region's cluster and its parameter group (rds.global_db_rpo is set on it). */
  readonly targetCluster: RdsCluster;
  readonly targetParameterGroup: RdsClusterParameterGroup;
  readonly rpoSeconds: number;
  /** The active region's payment function (fenced to 0). */
  readonly peerPaymentFunction: RegionalFunction;
  /** The public failover name the proof payment goes through. */
  readonly apiDomain: string;
  /**
   * The API client key secret's name and the synthetic-probe key secret's name (each has a copy in this region),
   * and this region's key for both.
   */
  readonly apiKeySecretName: string;
  readonly probeKeySecretName: string;
  readonly apiKeySecretKey: RegionalKey;
  readonly failureThreshold: number;
  readonly cooldownSeconds: number;
  readonly promotionBudgetSeconds: number;
  readonly timings?: FailoverTimings;
}

/**
 * The automatic failover controller of one region, which fails over TO this region's site: a Step Functions state
 * machine (visible steps, retries, 90 days of execution history, every state logged with its data, all encrypted
 * with our key), its task Lambda (outside any VPC, with provisioned concurrency 1 so no Init phase is on the
 * recovery path), and its control parameters in this region: the kill switch (`auto-failover`), the operation lock
 * (`operation-in-progress`, written by the DR CLI and the deploy workflow) and the run record
 * (`auto-failover-last-run`). Each role has exactly the actions it uses.
 *
 * One exists in EACH region, whatever `activeRegion` says: a role swap then changes nothing structural (no log
 * group with the history of the failover that caused the swap is replaced). The active site's controller is inert
 * by design: its prober never starts it (lambdas/prober, shouldStart), and if started its Decide answers
 * `verdict: "nothing-to-do"` (lambdas/failover-controller/guards.ts) and the run ends without paging, because its own
 * site already holds the designation and the writer.
 */
export class FailoverController extends Construct {
  public readonly stateMachine: SfnStateMachine;
  public readonly stateMachineArn: string;
  public readonly function: RegionalFunction;
  public readonly role: IamRole;
  /** The state machine role's policy (the state machine waits for it). */
  public readonly policy: IamRolePolicy;
  public readonly logGroup: CloudwatchLogGroup;
  public readonly killSwitch: SsmParameter;
  public readonly operationLock: SsmParameter;
  public readonly lastRun: SsmParameter;

  /** The state machine's name, known before it exists (the prober's environment names it; no cycle). */
  static stateMachineName(ctx: RegionContext): string {
    return ctx.naming.name('generic', 'failover', ctx.region);
  }

  static stateMachineArnFor(ctx: RegionContext): string {
    return stateMachineArn(ctx, FailoverController.stateMachineName(ctx));
  }

  constructor(scope: Construct, id: string, props: FailoverControllerProps) {
    super(scope, id);
    const { ctx, peer } = props;
    const provider = ctx.provider;
    if (ctx.region === peer.region) throw new Error(`FailoverController: peer must be the other region, got ${peer.region} for both`);
    if (props.cooldownSeconds < 300) throw new Error(`FailoverController: cooldownSeconds must be at least 300, got ${props.cooldownSeconds}`);
    const path = controlPath(ctx);
    const param = (pid: string, name: string, value: string, description: string, tier: 'Standard' | 'Advanced' = 'Standard') =>
      new SsmParameter(this, pid, {
        provider,
        name: `${path}/${name}`,
        type: 'String',
        value,
        tier,
        description,
        // Written live by the CLI and the controller: a deploy must not reset them.
        lifecycle: { ignoreChanges: ['value'] },
      });
    this.killSwitch = param('kill-switch', CONTROL.autoFailover, 'enabled', 'Automatic failover kill switch: enabled | disabled (npm run dr -- auto --enable/--disable)');
    this.operationLock = param('operation-lock', CONTROL.operationInProgress, 'none', 'A DR operation or deploy in progress: none, or {"operation","since","until"} (automatic failover waits)');
    // Advanced: a run record with every step exceeds the 4 KB of a standard parameter; its history keeps 100 versions.
    this.lastRun = param('last-run', CONTROL.lastRun, 'none', 'The last automatic failover run, rewritten at every step', 'Advanced');

    this.stateMachineArn = FailoverController.stateMachineArnFor(ctx);
    const ssmArn = (c: RegionContext, name: string) => ssmParameterArn(c, `${path}/${name}`);
    const globalClusterArn = rdsGlobalClusterArn(ctx.accountId, props.globalClusterIdentifier);
    const proveTimeout = props.timings?.proveTimeoutSeconds ?? 150;

    this.function = new RegionalFunction(this, 'function', {
      ctx,
      purpose: 'failover-controller',
      code: props.code,
      reservedConcurrency: 5,
      provisionedConcurrency: 1,
      timeoutSeconds: proveTimeout + 20,
      memorySizeMb: 256,
      logKey: props.logKey,
      logRetentionDays: props.logRetentionDays,
      environment: {
        POWERTOOLS_SERVICE_NAME: 'failover-controller',
        SITE: ctx.role,
        PEER_REGION: peer.region,
        CONTROL_PATH: path,
        GLOBAL_CLUSTER_ID: props.globalClusterIdentifier,
        TARGET_CLUSTER_ARN: props.targetCluster.arn,
        TARGET_CLUSTER_ID: props.targetCluster.clusterIdentifier,
        TARGET_PARAMETER_GROUP: props.targetParameterGroup.name,
        RPO_SECONDS: String(props.rpoSeconds),
        PEER_PAYMENT_FUNCTION: props.peerPaymentFunction.functionName,
        STATE_MACHINE_ARN: this.stateMachineArn,
        PAGER_TOPIC_ARN: props.pagerTopic.arn,
        API_DOMAIN: props.apiDomain,
        API_CLIENT_CREDENTIAL_ID: props.apiKeySecretName,
        PROBE_CREDENTIAL_ID: props.probeKeySecretName,
        FAILURE_THRESHOLD: String(props.failureThreshold),
        COOLDOWN_SECONDS: String(props.cooldownSeconds),
        PROMOTION_BUDGET_SECONDS: String(props.promotionBudgetSeconds),
        PROVE_TIMEOUT_MS: String(proveTimeout * 1000),
        CALL_TIMEOUT_MS: '5000',
      },
      statements: [
        {
          Sid: 'ReadControl',
          Effect: 'Allow',
          Action: ['ssm:GetParameter'],
          Resource: [CONTROL.activeSite, CONTROL.autoFailover, CONTROL.operationInProgress, CONTROL.lastRun].map((n) => ssmArn(ctx, n)),
        },
        { Sid: 'WriteDesignationAndRecord', Effect: 'Allow', Action: ['ssm:PutParameter'], Resource: [ssmArn(ctx, CONTROL.activeSite), ssmArn(ctx, CONTROL.lastRun)] },
        { Sid: 'FenceDesignationInFailedRegion', Effect: 'Allow', Action: ['ssm:PutParameter'], Resource: [ssmArn(peer, CONTROL.activeSite)] },
        { Sid: 'ReadGlobalCluster', Effect: 'Allow', Action: ['rds:DescribeGlobalClusters'], Resource: [globalClusterArn] },
        { Sid: 'PromoteThisCluster', Effect: 'Allow', Action: ['rds:FailoverGlobalCluster'], Resource: [globalClusterArn, props.targetCluster.arn] },
        { Sid: 'GlobalDbRpo', Effect: 'Allow', Action: ['rds:ModifyDBClusterParameterGroup'], Resource: [props.targetParameterGroup.arn] },
        // GetMetricData has no resource-level permissions (Service Authorization Reference, CloudWatch).
        { Sid: 'ReadReplicationLag', Effect: 'Allow', Action: ['cloudwatch:GetMetricData'], Resource: '*' },
        { Sid: 'OtherRuns', Effect: 'Allow', Action: ['states:ListExecutions'], Resource: [this.stateMachineArn] },
        { Sid: 'FenceFailedRegion', Effect: 'Allow', Action: ['lambda:PutFunctionConcurrency'], Resource: [props.peerPaymentFunction.function.arn] },
        { Sid: 'Page', Effect: 'Allow', Action: ['sns:Publish'], Resource: [props.pagerTopic.arn] },
        { Sid: 'PageEncrypted', Effect: 'Allow', Action: ['kms:GenerateDataKey', 'kms:Decrypt'], Resource: [props.logKey.arn] },
        {
          // The client key (x-api-key) and the probe key that signs the synthetic proof (lambdas/shared/probe.ts).
          Sid: 'ApiClientKey',
          Effect: 'Allow',
          Action: ['secretsmanager:GetSecretValue'],
          Resource: [secretArnPattern(ctx, props.apiKeySecretName), secretArnPattern(ctx, props.probeKeySecretName)],
        },
        { Sid: 'ApiClientKeyDecrypt', Effect: 'Allow', Action: ['kms:Decrypt'], Resource: [props.apiKeySecretKey.arn] },
      ],
    });

    this.logGroup = new CloudwatchLogGroup(this, 'logs', {
      provider,
      name: `/aws/vendedlogs/states/${FailoverController.stateMachineName(ctx)}`,
      retentionInDays: props.logRetentionDays,
      kmsKeyId: props.logKey.arn,
    });
    this.role = new IamRole(this, 'role', {
      provider,
      name: ctx.naming.name('iamRole', 'failover-sfn', ctx.region),
      description: `Automatic failover state machine in ${ctx.region}`,
      assumeRolePolicy: serviceTrustPolicy('states.amazonaws.com', ctx.accountId, this.stateMachineArn),
    });
    const policy = (this.policy = new IamRolePolicy(this, 'policy', {
      provider,
      role: this.role.id,
      name: 'least-privilege',
      policy: policyDocument([
        { Sid: 'InvokeTasks', Effect: 'Allow', Action: ['lambda:InvokeFunction'], Resource: [this.function.invokeTarget.arn] },
        {
          // Step Functions delivers its logs through CloudWatch Logs' vended-log APIs, which have no resource-level
          // permissions (Step Functions developer guide, cw-logs: "IAM policies for logging to CloudWatch Logs").
          Sid: 'LogDelivery',
          Effect: 'Allow',
          Action: [
            'logs:CreateLogDelivery',
            'logs:GetLogDelivery',
            'logs:UpdateLogDelivery',
            'logs:DeleteLogDelivery',
            'logs:ListLogDeliveries',
            'logs:PutResourcePolicy',
            'logs:DescribeResourcePolicies',
            'logs:DescribeLogGroups',
          ],
          Resource: '*',
        },
        { Sid: 'XRayTraces', Effect: 'Allow', Action: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'], Resource: '*' },
        {
          // The definition and execution history are encrypted with our key: the execution role needs both actions
          // for an execution to complete, only under this state machine's encryption context (Step Functions
          // developer guide, encryption-at-rest).
          Sid: 'StateMachineData',
          Effect: 'Allow',
          Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
          Resource: [props.logKey.arn],
          Condition: { StringEquals: { [STATES_CONTEXT_KEY]: this.stateMachineArn } },
        },
        {
          // Logging from a state machine with a customer managed key: the role generates the log payload's data key
          // under the log-delivery context; CloudWatch Logs' delivery service decrypts it (key policy).
          Sid: 'EncryptedLogDelivery',
          Effect: 'Allow',
          Action: ['kms:GenerateDataKey'],
          Resource: [props.logKey.arn],
          Condition: { StringEquals: { [LOG_DELIVERY_CONTEXT_KEY]: logDeliveryContext(ctx) } },
        },
      ]),
    }));

    this.stateMachine = new SfnStateMachine(this, 'state-machine', {
      provider,
      name: FailoverController.stateMachineName(ctx),
      type: 'STANDARD',
      roleArn: this.role.arn,
      definition: JSON.stringify(failoverDefinition(this.function.invokeTarget.arn, props.timings)),
      loggingConfiguration: { logDestination: `${this.logGroup.arn}:*`, includeExecutionData: true, level: 'ALL' },
      tracingConfiguration: { enabled: true },
      // Our key instead of the AWS owned one (definition and execution history); data keys reused up to 5 minutes
      // (the API's default, 60-900 s) to bound KMS calls.
      encryptionConfiguration: { type: 'CUSTOMER_MANAGED_KMS_KEY', kmsKeyId: props.logKey.arn, kmsDataKeyReusePeriodSeconds: 300 },
      // The role's KMS grants first: an execution cannot start without them.
      dependsOn: [policy],
    });
  }
}
