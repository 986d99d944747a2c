import { CloudWatchClient, GetMetricDataCommand, type GetMetricDataCommandInput } from '@aws-sdk/client-cloudwatch';
import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DeleteFunctionConcurrencyCommand,
  GetAccountSettingsCommand,
  GetFunctionConcurrencyCommand,
  LambdaClient,
  ListTagsCommand,
  PutFunctionConcurrencyCommand,
  TagResourceCommand,
  UntagResourceCommand,
  type TagResourceCommandInput,
  type UntagResourceCommandInput,
} from '@aws-sdk/client-lambda';
import {
  DescribeDBClusterParametersCommand,
  DescribeDBEngineVersionsCommand,
  ModifyDBClusterParameterGroupCommand,
  ResetDBClusterParameterGroupCommand,
  type DescribeDBClusterParametersCommandInput,
  type ModifyDBClusterParameterGroupCommandInput,
  DescribeDBClustersCommand,
  DescribeGlobalClustersCommand,
  FailoverGlobalClusterCommand,
  RDSClient,
  SwitchoverGlobalClusterCommand,
  type FailoverGlobalClusterCommandInput,
  type SwitchoverGlobalClusterCommandInput,
} from '@aws-sdk/client-rds';
import { GetHealthCheckStatusCommand, GetHostedZoneCommand, Route53Client, TestDNSAnswerCommand, type GetHealthCheckStatusCommandInput } from '@aws-sdk/client-route-53';
import { GetBucketReplicationCommand, S3Client } from '@aws-sdk/client-s3';
import { GetParameterCommand, PutParameterCommand, SSMClient, type GetParameterCommandInput, type PutParameterCommandInput } from '@aws-sdk/client-ssm';
import { mockClient, type AwsStub } from 'aws-sdk-client-mock';
import type { AwsClients, Deps, HttpRequest, HttpResponse, Output, RegionClients } from '../../src/dr-cli/deps';
import { main } from '../../src/dr-cli/main';

/**
 * An in-memory two-region platform behind aws-sdk-client-mock: one client instance per region and service, each
 * mocked on its own, so a test can break one region. Time is a fake clock that only `sleep` advances.
 */

export type Role = 'primary' | 'dr';
export const REGION: Record<Role, string> = { primary: 'us-east-1', dr: 'us-west-2' };
export const CLUSTER_ID: Record<Role, string> = { primary: 'pay-dev-use1-aurora', dr: 'pay-dev-usw2-aurora' };
export const CLUSTER_ARN: Record<Role, string> = {
  primary: `arn:aws:rds:us-east-1:123456789012:cluster:${CLUSTER_ID.primary}`,
  dr: `arn:aws:rds:us-west-2:123456789012:cluster:${CLUSTER_ID.dr}`,
};
export const HEALTH_CHECK: Record<Role, string> = { primary: 'hc-primary-1111', dr: 'hc-dr-2222' };
export const FUNCTION: Record<Role, string> = { primary: 'pay-dev-use1-payment-processor', dr: 'pay-dev-usw2-payment-processor' };
export const BUCKET: Record<Role, string> = { primary: 'pay-dev-artifacts-use1', dr: 'pay-dev-artifacts-usw2' };
export const PARAM_GROUP: Record<Role, string> = { primary: 'pay-dev-use1-aurora-pg16', dr: 'pay-dev-usw2-aurora-pg16' };
export const DESIGNATION = '/pay/dev-control/active-site';
export const FUNCTION_ARN = (r: Role) => `arn:aws:lambda:${REGION[r]}:123456789012:function:${FUNCTION[r]}`;
export const START = Date.UTC(2025, 0, 15, 12, 0, 0);
export const API = 'api.payments.example.com';
export const TOKEN = 'drill-token-123';

export const OUTPUT_VALUES: Record<string, string> = {
  'primary-region': REGION.primary,
  'dr-region': REGION.dr,
  'global-cluster-id': 'pay-dev-aurora-global',
  'primary-cluster-arn': CLUSTER_ARN.primary,
  'dr-cluster-arn': CLUSTER_ARN.dr,
  'primary-cluster-id': CLUSTER_ID.primary,
  'dr-cluster-id': CLUSTER_ID.dr,
  'primary-health-check-id': HEALTH_CHECK.primary,
  'dr-health-check-id': HEALTH_CHECK.dr,
  'api-domain-name': API,
  'hosted-zone-id': 'Z0123456789ABC',
  'sessions-table-name': 'pay-dev-sessions',
  'artifacts-bucket-primary': BUCKET.primary,
  'artifacts-bucket-dr': BUCKET.dr,
  'payment-function-primary': FUNCTION.primary,
  'payment-function-dr': FUNCTION.dr,
  'api-endpoint-primary': 'https://abc123.execute-api.us-east-1.amazonaws.com/prod',
  'api-endpoint-dr': 'https://def456.execute-api.us-west-2.amazonaws.com/prod',
  'active-region': 'primary',
  'active-site-parameter-name': DESIGNATION,
  'primary-cluster-parameter-group': PARAM_GROUP.primary,
  'dr-cluster-parameter-group': PARAM_GROUP.dr,
};

/** `terraform output -json` format. */
export const terraformOutputs = (values: Record<string, unknown> = OUTPUT_VALUES) =>
  Object.fromEntries(Object.entries(values).map(([k, v]) => [k, { sensitive: false, type: 'string', value: v }]));

export class Capture implements Output {
  text = '';
  constructor(readonly isTTY = false) {}
  write(t: string): void {
    this.text += t;
  }
}

interface RegionMocks {
  rds: AwsStub<any, any, any>;
  cloudwatch: AwsStub<any, any, any>;
  dynamodb: AwsStub<any, any, any>;
  s3: AwsStub<any, any, any>;
  lambda: AwsStub<any, any, any>;
  ssm: AwsStub<any, any, any>;
}

/** A switchover/failover in flight: Aurora reports it until `completeAt`. */
interface Operation {
  to: Role;
  dataLoss: boolean;
  completeAt: number;
}

export class World {
  now = START;
  readonly stdout = new Capture();
  readonly stderr = new Capture();
  readonly files = new Map<string, string>();
  readonly env: Record<string, string | undefined> = { AWS_REGION: REGION.dr };
  readonly httpRequests: HttpRequest[] = [];

  // The platform's state.
  writer: Role = 'primary';
  globalStatus = 'available';
  engine: Record<Role, string> = { primary: '16.4', dr: '16.4' };
  sync = 'connected';
  operation: Operation | undefined;
  /** How long Aurora takes to complete a requested switchover/failover. */
  switchDurationMs = 95_000;
  /** AuroraGlobalDBRPOLag of the secondary (null: no datapoint). */
  rpoLagMs: number | null = 800;
  /** Health checks follow the writer after this delay (the primary's check tests that its database accepts writes). */
  healthDelayMs = 40_000;
  lastWriterChange = -Infinity;
  previousWriter: Role = 'primary';
  /** DNS answers like a CNAME to the regional domain (region visible) or like an alias A record (IPs only). */
  dnsStyle: 'cname' | 'alias' = 'cname';
  /** Set to make the promoted region miss writes made before the switch. */
  loseWritesOnSwitch = false;
  payments = new Map<string, unknown>();
  private nextPayment = 1;
  /** The active-site designation parameter in each region (null: not created). */
  designation: Record<Role, string | null> = { primary: 'primary', dr: 'primary' };
  /** rds.global_db_rpo on each cluster's parameter group (null: default). */
  globalDbRpo: Record<Role, string | null> = { primary: '60', dr: null };
  /** Reserved concurrency of each payment function (null: unreserved). */
  concurrency: Record<Role, number | null> = { primary: 50, dr: 50 };
  tags: Record<Role, Record<string, string>> = { primary: {}, dr: {} };

  readonly clients: Record<Role, RegionClients>;
  readonly route53Client = new Route53Client({ region: 'us-east-1' });
  readonly mocks: Record<Role, RegionMocks>;
  readonly route53: AwsStub<any, any, any>;

  constructor() {
    const make = (region: string): RegionClients => ({
      rds: new RDSClient({ region }),
      cloudwatch: new CloudWatchClient({ region }),
      dynamodb: new DynamoDBClient({ region }),
      s3: new S3Client({ region }),
      lambda: new LambdaClient({ region }),
      ssm: new SSMClient({ region }),
    });
    this.clients = { primary: make(REGION.primary), dr: make(REGION.dr) };
    const mocksOf = (c: RegionClients): RegionMocks => ({
      rds: mockClient(c.rds),
      cloudwatch: mockClient(c.cloudwatch),
      dynamodb: mockClient(c.dynamodb),
      s3: mockClient(c.s3),
      lambda: mockClient(c.lambda),
      ssm: mockClient(c.ssm),
    });
    this.mocks = { primary: mocksOf(this.clients.primary), dr: mocksOf(this.clients.dr) };
    this.route53 = mockClient(this.route53Client);
    this.files.set('/work/cdktf.out/outputs.json', JSON.stringify(terraformOutputs()));
    for (const role of ['primary', 'dr'] as const) this.wireRegion(role);
    this.wireRoute53();
  }

  /** Completes an operation whose time has come. */
  private settle(): void {
    if (this.operation && this.now >= this.operation.completeAt) {
      this.setWriter(this.operation.to);
      this.operation = undefined;
      this.globalStatus = 'available';
    }
  }

  setWriter(role: Role): void {
    if (role === this.writer) return;
    this.previousWriter = this.writer;
    this.writer = role;
    this.lastWriterChange = this.now;
    if (this.loseWritesOnSwitch) this.payments.clear();
  }

  globalClusterResponse() {
    this.settle();
    const op = this.operation;
    return {
      GlobalClusters: [
        {
          GlobalClusterIdentifier: 'pay-dev-aurora-global',
          Status: op ? (op.dataLoss ? 'failing-over' : 'switching-over') : this.globalStatus,
          Engine: 'aurora-postgresql',
          EngineVersion: this.engine.primary,
          GlobalClusterMembers: (['primary', 'dr'] as const).map((r) => ({
            DBClusterArn: CLUSTER_ARN[r],
            IsWriter: this.writer === r,
            SynchronizationStatus: this.writer === r ? undefined : this.sync,
          })),
          FailoverState: op
            ? {
                Status: op.dataLoss ? 'failing-over' : 'switching-over',
                FromDbClusterArn: CLUSTER_ARN[this.writer],
                ToDbClusterArn: CLUSTER_ARN[op.to],
                IsDataLossAllowed: op.dataLoss,
              }
            : undefined,
        },
      ],
    };
  }

  private wireRegion(role: Role): void {
    const m = this.mocks[role];
    m.rds.on(DescribeGlobalClustersCommand).callsFake(() => this.globalClusterResponse());
    m.rds.on(DescribeDBClustersCommand).callsFake((input: { DBClusterIdentifier?: string }) => {
      const r = (Object.keys(CLUSTER_ID) as Role[]).find((k) => CLUSTER_ID[k] === input.DBClusterIdentifier);
      if (r !== role) throw Object.assign(new Error(`DBCluster ${input.DBClusterIdentifier} not found`), { name: 'DBClusterNotFoundFault' });
      return { DBClusters: [{ DBClusterIdentifier: CLUSTER_ID[r], Status: 'available', EngineVersion: this.engine[r] }] };
    });
    const startOperation = (to: Role, dataLoss: boolean) => {
      this.operation = { to, dataLoss, completeAt: this.now + this.switchDurationMs };
      this.operationStartedAt = this.now;
      return {};
    };
    m.rds.on(SwitchoverGlobalClusterCommand).callsFake((input: SwitchoverGlobalClusterCommandInput) =>
      startOperation(input.TargetDbClusterIdentifier === CLUSTER_ARN.dr ? 'dr' : 'primary', false),
    );
    m.rds.on(FailoverGlobalClusterCommand).callsFake((input: FailoverGlobalClusterCommandInput) =>
      startOperation(input.TargetDbClusterIdentifier === CLUSTER_ARN.dr ? 'dr' : 'primary', input.AllowDataLoss === true),
    );
    m.cloudwatch.on(GetMetricDataCommand).callsFake((input: GetMetricDataCommandInput) => ({
      MetricDataResults: (input.MetricDataQueries ?? []).map((q) => {
        const metric = q.MetricStat?.Metric?.MetricName;
        const value =
          metric === 'AuroraGlobalDBRPOLag' ? this.rpoLagMs
          : metric === 'ReplicationLatency' ? 1200
          : metric === 'OperationsFailedReplication' ? 0
          : null;
        return value === null
          ? { Id: q.Id, Values: [], Timestamps: [] }
          : { Id: q.Id, Values: [value, value * 2], Timestamps: [new Date(this.now - 60_000), new Date(this.now - 120_000)] };
      }),
    }));
    m.dynamodb.on(DescribeTableCommand).resolves({
      Table: {
        TableName: 'pay-dev-sessions',
        TableStatus: 'ACTIVE',
        Replicas: [
          { RegionName: REGION.primary, ReplicaStatus: 'ACTIVE' },
          { RegionName: REGION.dr, ReplicaStatus: 'ACTIVE' },
        ],
      },
    });
    if (role === 'primary') {
      m.s3.on(GetBucketReplicationCommand).resolves({
        ReplicationConfiguration: {
          Role: 'arn:aws:iam::123456789012:role/replication',
          Rules: [
            {
              ID: 'artifacts-to-dr',
              Status: 'Enabled',
              Destination: {
                Bucket: `arn:aws:s3:::${BUCKET.dr}`,
                ReplicationTime: { Status: 'Enabled', Time: { Minutes: 15 } },
                Metrics: { Status: 'Enabled', EventThreshold: { Minutes: 15 } },
              },
            },
          ],
        },
      });
    } else {
      m.s3.on(GetBucketReplicationCommand).rejects(
        Object.assign(new Error('The replication configuration was not found'), { name: 'ReplicationConfigurationNotFoundError' }),
      );
    }
    m.lambda.on(GetFunctionConcurrencyCommand).callsFake(() => (this.concurrency[role] === null ? {} : { ReservedConcurrentExecutions: this.concurrency[role] }));
    m.lambda.on(PutFunctionConcurrencyCommand).callsFake((input: { ReservedConcurrentExecutions?: number }) => {
      this.concurrency[role] = input.ReservedConcurrentExecutions ?? null;
      return { ReservedConcurrentExecutions: input.ReservedConcurrentExecutions };
    });
    m.lambda.on(DeleteFunctionConcurrencyCommand).callsFake(() => {
      this.concurrency[role] = null;
      return {};
    });
    m.lambda.on(ListTagsCommand).callsFake(() => ({ Tags: { ...this.tags[role] } }));
    m.lambda.on(TagResourceCommand).callsFake((input: TagResourceCommandInput) => {
      Object.assign(this.tags[role], input.Tags);
      return {};
    });
    m.lambda.on(UntagResourceCommand).callsFake((input: UntagResourceCommandInput) => {
      for (const k of input.TagKeys ?? []) delete this.tags[role][k];
      return {};
    });
    m.lambda.on(GetAccountSettingsCommand).resolves({ AccountLimit: { ConcurrentExecutions: 1000, UnreservedConcurrentExecutions: 890 } });
    m.ssm.on(GetParameterCommand).callsFake((input: GetParameterCommandInput) => {
      const v = input.Name === DESIGNATION ? this.designation[role] : null;
      if (v === null) throw Object.assign(new Error(`parameter ${input.Name} not found`), { name: 'ParameterNotFound' });
      return { Parameter: { Name: input.Name, Type: 'String', Value: v } };
    });
    m.ssm.on(PutParameterCommand).callsFake((input: PutParameterCommandInput) => {
      if (input.Name === DESIGNATION) this.designation[role] = input.Value ?? null;
      return { Version: 2 };
    });
    const groupRole = (name?: string) => {
      if (name !== PARAM_GROUP[role]) throw Object.assign(new Error(`DBClusterParameterGroup ${name} not found`), { name: 'DBParameterGroupNotFoundFault' });
      return role;
    };
    m.rds.on(DescribeDBClusterParametersCommand).callsFake((input: DescribeDBClusterParametersCommandInput) => {
      const r = groupRole(input.DBClusterParameterGroupName);
      const v = this.globalDbRpo[r];
      return { Parameters: v === null ? [{ ParameterName: 'rds.force_ssl', ParameterValue: '1', Source: 'user' }] : [{ ParameterName: 'rds.force_ssl', ParameterValue: '1', Source: 'user' }, { ParameterName: 'rds.global_db_rpo', ParameterValue: v, Source: 'user' }] };
    });
    m.rds.on(ModifyDBClusterParameterGroupCommand).callsFake((input: ModifyDBClusterParameterGroupCommandInput) => {
      const r = groupRole(input.DBClusterParameterGroupName);
      for (const p of input.Parameters ?? []) if (p.ParameterName === 'rds.global_db_rpo') this.globalDbRpo[r] = p.ParameterValue ?? null;
      return { DBClusterParameterGroupName: input.DBClusterParameterGroupName };
    });
    m.rds.on(ResetDBClusterParameterGroupCommand).callsFake((input: ModifyDBClusterParameterGroupCommandInput) => {
      const r = groupRole(input.DBClusterParameterGroupName);
      for (const p of input.Parameters ?? []) if (p.ParameterName === 'rds.global_db_rpo') this.globalDbRpo[r] = null;
      return { DBClusterParameterGroupName: input.DBClusterParameterGroupName };
    });
    m.rds.on(DescribeDBEngineVersionsCommand).callsFake((input: { EngineVersion?: string }) => ({
      DBEngineVersions: [{ Engine: 'aurora-postgresql', EngineVersion: input.EngineVersion, SupportsGlobalDatabases: true }],
    }));
  }

  /**
   * Whether a region's health check passes at the current time. The checks are deep (lambdas/health-check): a
   * region is healthy only while its database is the writer; Route 53 notices a change after `healthDelayMs`.
   */
  healthy(role: Role): boolean {
    this.settle();
    const effectiveWriter = this.now - this.lastWriterChange >= this.healthDelayMs ? this.writer : this.previousWriter;
    return effectiveWriter === role && !(this.operation && this.now - this.operationStartedAt >= this.healthDelayMs);
  }
  operationStartedAt = -Infinity;

  /** The region Route 53's failover records send the API name to (the primary when both are unhealthy). */
  serving(): Role {
    return this.healthy('primary') || !this.healthy('dr') ? 'primary' : 'dr';
  }

  private wireRoute53(): void {
    this.route53.on(GetHostedZoneCommand).resolves({
      HostedZone: { Id: '/hostedzone/Z0123456789ABC', Name: 'payments.example.com.', CallerReference: 'x', Config: { PrivateZone: false } },
      DelegationSet: { NameServers: ['ns-1.awsdns-01.org', 'ns-2.awsdns-02.com'] },
    });
    this.route53.on(GetHealthCheckStatusCommand).callsFake((input: GetHealthCheckStatusCommandInput) => {
      const role: Role = input.HealthCheckId === HEALTH_CHECK.primary ? 'primary' : 'dr';
      const ok = this.healthy(role);
      return {
        HealthCheckObservations: Array.from({ length: 8 }, (_, i) => ({
          Region: 'us-east-1',
          IPAddress: `15.177.0.${i}`,
          StatusReport: { Status: ok ? 'Success: HTTP Status Code 200, OK' : 'Failure: HTTP Status Code 503, Service Unavailable' },
        })),
      };
    });
    this.route53.on(TestDNSAnswerCommand).callsFake(() => {
      const role = this.serving();
      const records =
        this.dnsStyle === 'cname'
          ? [`d-${role}xyz.execute-api.${REGION[role]}.amazonaws.com`]
          : role === 'primary' ? ['192.0.2.10', '192.0.2.11'] : ['198.51.100.20'];
      return { Nameserver: 'ns-1.awsdns-01.org', RecordName: API, RecordType: 'A', RecordData: records, ResponseCode: 'NOERROR', Protocol: 'UDP' };
    });
  }

  /** The payments API: answers from the region DNS serves; writes succeed only where the database writes. */
  http = async (req: HttpRequest): Promise<HttpResponse> => {
    this.httpRequests.push(req);
    this.settle();
    const region = this.serving();
    if (req.method === 'POST') {
      if (region !== this.writer || this.operation) return { status: 503, body: '{"code":"NOT_WRITER","message":"this region is not accepting writes"}' };
      const id = `pay-${this.nextPayment++}`;
      this.payments.set(id, JSON.parse(req.body ?? '{}'));
      return { status: 201, body: JSON.stringify({ id, status: 'AUTHORIZED' }) };
    }
    const id = decodeURIComponent(req.url.split('/payments/')[1] ?? '');
    return this.payments.has(id) ? { status: 200, body: JSON.stringify({ id }) } : { status: 404, body: '{"message":"not found"}' };
  };

  deps(): Deps {
    const aws: AwsClients = {
      inRegion: (region) => {
        const role = (Object.keys(REGION) as Role[]).find((r) => REGION[r] === region);
        if (!role) throw new Error(`test world has no region ${region}`);
        return this.clients[role];
      },
      route53: this.route53Client,
    };
    let ids = 0;
    return {
      env: this.env,
      cwd: '/work',
      stdout: this.stdout,
      stderr: this.stderr,
      now: () => this.now,
      sleep: async (ms) => {
        this.now += ms;
      },
      aws,
      http: (req) => this.http(req),
      readFile: (p) => {
        const f = this.files.get(p);
        if (f === undefined) throw Object.assign(new Error(`ENOENT: no such file or directory, open '${p}'`), { code: 'ENOENT' });
        return f;
      },
      writeFile: (p, t) => {
        this.files.set(p, t);
      },
      randomId: () => `key-${++ids}`,
    };
  }

  /** Runs the CLI; returns the exit code and what it printed. */
  async run(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
    const code = await main(argv, this.deps());
    return { code, out: this.stdout.text, err: this.stderr.text };
  }

  /** Calls of one command on one region's client. */
  calls(role: Role | 'route53', service: keyof RegionMocks | 'route53', command: new (...a: any[]) => any): any[] {
    const stub = role === 'route53' ? this.route53 : this.mocks[role][service as keyof RegionMocks];
    return stub.commandCalls(command).map((c) => c.args[0].input);
  }

  restore(): void {
    for (const role of ['primary', 'dr'] as const) for (const m of Object.values(this.mocks[role])) m.restore();
    this.route53.restore();
  }
}
