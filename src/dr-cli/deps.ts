import { BackupClient, DescribeRegionSettingsCommand } from '@aws-sdk/client-backup';
import { randomUUID } from 'node:crypto';
import { Resolver } from 'node:dns/promises';
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { FisClient } from '@aws-sdk/client-fis';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GlobalAcceleratorClient } from '@aws-sdk/client-global-accelerator';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { RDSClient } from '@aws-sdk/client-rds';
import { Route53Client } from '@aws-sdk/client-route-53';
import { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SSMClient } from '@aws-sdk/client-ssm';
import type { AwsCredentialIdentity } from '@smithy/types';

/**
 * Everything a command touches outside its own code, injected so tests run without network, real time or AWS.
 */

/** Where text goes; `isTTY` switches the progress display between one updating line and plain lines. */
export interface Output {
  write(text: string): void;
  readonly isTTY?: boolean;
}

/** The AWS clients of one region. */
export interface RegionClients {
  readonly rds: RDSClient;
  readonly cloudwatch: CloudWatchClient;
  readonly dynamodb: DynamoDBClient;
  readonly s3: S3Client;
  readonly lambda: LambdaClient;
  readonly ssm: SSMClient;
  /** The drill reads the API client key from the replicated secret (optional: only `drill` needs it). */
  readonly secretsManager?: SecretsManagerClient;
  /** Fault injection for `drill --inject fis` (optional: only `drill` needs it). */
  readonly fis?: FisClient;
  /** Step Functions: the controllers' latest executions and their verdicts (optional: only `status`/`auto` read it). */
  readonly sfn?: SFNClient;
}

export interface AwsClients {
  /** Clients bound to `region` (the same instances for the same region). */
  inRegion(region: string): RegionClients;
  /** Route 53 is a global API served from us-east-1. */
  readonly route53: Route53Client;
  /** Global Accelerator is a global API served from us-west-2 only (src/dr-cli/edge.ts). */
  readonly globalAccelerator?: GlobalAcceleratorClient;
  /** Closes every connection (pending calls fail at once), so the process can exit when a command is done. */
  destroy?(): void;
}

/** The real clients plus the AWS Backup settings reader, with the same call limits. */
export interface RealAwsClients extends AwsClients {
  readonly backupRegionSettings: BackupRegionSettingsReader;
}

/**
 * AWS Backup's per-region opt-in settings (DescribeRegionSettings): `ResourceTypeManagementPreference` (e.g.
 * `{ DynamoDB: true }` = advanced DynamoDB backup features). Injectable so tests need no Backup client; the real CLI
 * reads it with a bounded `BackupClient` (createAwsClients().backupRegionSettings).
 */
export type BackupRegionSettingsReader = (region: string) => Promise<Record<string, boolean>>;

export interface HttpRequest {
  readonly method: 'GET' | 'POST';
  readonly url: string;
  readonly headers: Record<string, string>;
  readonly body?: string;
  readonly timeoutMs: number;
}

export interface HttpResponse {
  readonly status: number;
  readonly body: string;
}

/** Sends one request; rejects only when no HTTP answer came back (DNS, TLS, timeout). */
export type HttpClient = (request: HttpRequest) => Promise<HttpResponse>;

/** The public DNS as a resolver sees it: the NS records of a name (lowercase, no trailing dot). */
export type NsResolver = (name: string) => Promise<string[]>;

export interface Deps {
  readonly env: Record<string, string | undefined>;
  readonly cwd: string;
  readonly stdout: Output;
  readonly stderr: Output;
  /** Milliseconds since the epoch. */
  now(): number;
  sleep(ms: number): Promise<void>;
  readonly aws: AwsClients;
  readonly http: HttpClient;
  readFile(path: string): string;
  writeFile(path: string, text: string): void;
  randomId(): string;
  /** See BackupRegionSettingsReader; undefined when no Backup client is available. */
  readonly backupRegionSettings?: BackupRegionSettingsReader;
  /** NS lookup through the machine's resolver (preflight's delegation check). */
  readonly resolveNs?: NsResolver;
  /** The whole-command budget of `status` (ms). @default STATUS_BUDGET_MS */
  readonly statusBudgetMs?: number;
  /** Appends to a file (streamed reports such as `reconcile`'s CSV). */
  appendFile?(path: string, text: string): void;
  /** The client's DNS resolver for a name: CNAME targets, else addresses (the drill's per-second DNS answer). */
  resolveName?(name: string): Promise<string[]>;
  /** Registers `handler` for an operator abort (SIGINT); returns the function that unregisters it. */
  onInterrupt?(handler: () => void): () => void;
}

/**
 * Deadlines of every AWS call. An unreachable region often accepts TCP connections and never answers; the SDK's
 * `requestTimeout` alone only logs a warning unless `throwOnRequestTimeout` is set (@smithy/node-http-handler
 * 4.14.2, setRequestTimeout), and a timed-out attempt is retried. So each client gets a connection timeout, a
 * request timeout that throws, at most `maxAttempts` attempts, and on top a deadline on the whole call (retries,
 * credential resolution and signing included): a call answers, fails, or is abandoned within `callDeadlineMs`.
 */
export interface AwsCallLimits {
  /** TCP (and TLS) connection establishment. @default 3 s */
  readonly connectionTimeoutMs: number;
  /** One attempt, from the request sent to the response headers; throws (throwOnRequestTimeout). @default 5 s */
  readonly requestTimeoutMs: number;
  /** Attempts per call, the first included. @default 2 */
  readonly maxAttempts: number;
  /** The whole call, every attempt and the backoff between them. @default 12 s */
  readonly callDeadlineMs: number;
}

export const DEFAULT_CALL_LIMITS: AwsCallLimits = {
  connectionTimeoutMs: 3_000,
  requestTimeoutMs: 5_000,
  maxAttempts: 2,
  callDeadlineMs: 12_000,
};

/**
 * `status` reads in two rounds of parallel calls (cluster, health checks, DNS, table and buckets; then one
 * GetMetricData per region), each bounded by `callDeadlineMs`: 2 × 12 s = 24 s worst case plus local work, within
 * the 30 s the runbook promises. The budget below is the hard stop on top of that.
 */
export const STATUS_BUDGET_MS = 28_000;

/** Thrown when a call has not finished within its deadline: the endpoint did not answer. */
export class DeadlineExceeded extends Error {
  readonly unreachable = true;
  constructor(message: string) {
    super(message);
    this.name = 'DeadlineExceeded';
  }
}

/** Rejects with DeadlineExceeded when `p` has not settled within `ms`; the timer never keeps the process alive. */
export function withDeadline<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DeadlineExceeded(`${what}: no answer within ${ms} ms`)), ms);
    timer.unref?.();
  });
  return Promise.race([p, deadline]).finally(() => clearTimeout(timer));
}

interface MiddlewareClient {
  middlewareStack: { add(mw: any, options: Record<string, unknown>): void };
  destroy(): void;
}

/** The whole-call deadline as the first middleware of the `initialize` step: it wraps retries and signing. */
function addCallDeadline(client: MiddlewareClient, ms: number): void {
  client.middlewareStack.add(
    (next: (args: unknown) => Promise<unknown>, context: { clientName?: string; commandName?: string }) => (args: unknown) =>
      withDeadline(next(args), ms, `${context.commandName ?? 'AWS call'} (${context.clientName ?? 'client'})`),
    { step: 'initialize', name: 'drCliCallDeadline', priority: 'high' },
  );
}

export interface AwsClientOptions {
  readonly limits?: Partial<AwsCallLimits>;
  /** Every service at this endpoint (tests: a local server). @default the SDK's (honours AWS_ENDPOINT_URL*) */
  readonly endpoint?: string;
  /** @default the SDK's default credential chain */
  readonly credentials?: AwsCredentialIdentity;
}

/** Real clients, each call bounded as described in AwsCallLimits. */
export function createAwsClients(options: AwsClientOptions = {}): RealAwsClients {
  const limits = { ...DEFAULT_CALL_LIMITS, ...options.limits };
  const cache = new Map<string, RegionClients>();
  const all: MiddlewareClient[] = [];
  const config = (region: string) => ({
    region,
    maxAttempts: limits.maxAttempts,
    requestHandler: {
      connectionTimeout: limits.connectionTimeoutMs,
      requestTimeout: limits.requestTimeoutMs,
      throwOnRequestTimeout: true,
    },
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    ...(options.credentials ? { credentials: options.credentials } : {}),
  });
  const bounded = <C extends MiddlewareClient>(c: C): C => {
    addCallDeadline(c, limits.callDeadlineMs);
    all.push(c);
    return c;
  };
  let route53: Route53Client | undefined;
  const backup = new Map<string, BackupClient>();
  let globalAccelerator: GlobalAcceleratorClient | undefined;
  return {
    async backupRegionSettings(region: string): Promise<Record<string, boolean>> {
      let client = backup.get(region);
      if (!client) backup.set(region, (client = bounded(new BackupClient(config(region)))));
      const out = await client.send(new DescribeRegionSettingsCommand({}));
      return { ...(out.ResourceTypeManagementPreference ?? {}) };
    },
    inRegion(region: string): RegionClients {
      let clients = cache.get(region);
      if (!clients) {
        clients = {
          rds: bounded(new RDSClient(config(region))),
          cloudwatch: bounded(new CloudWatchClient(config(region))),
          dynamodb: bounded(new DynamoDBClient(config(region))),
          s3: bounded(new S3Client({ ...config(region), ...(options.endpoint ? { forcePathStyle: true } : {}) })),
          lambda: bounded(new LambdaClient(config(region))),
          ssm: bounded(new SSMClient(config(region))),
          secretsManager: bounded(new SecretsManagerClient(config(region))),
          fis: bounded(new FisClient(config(region))),
          sfn: bounded(new SFNClient(config(region))),
        };
        cache.set(region, clients);
      }
      return clients;
    },
    get route53(): Route53Client {
      route53 ??= bounded(new Route53Client(config('us-east-1')));
      return route53;
    },
    get globalAccelerator(): GlobalAcceleratorClient {
      globalAccelerator ??= bounded(new GlobalAcceleratorClient(config('us-west-2')));
      return globalAccelerator;
    },
    destroy(): void {
      for (const c of all) c.destroy();
    },
  };
}

/** HTTP over node's fetch. */
export const fetchHttpClient: HttpClient = async (req) => {
  const res = await fetch(req.url, {
    method: req.method,
    headers: req.headers,
    body: req.body,
    signal: AbortSignal.timeout(req.timeoutMs),
    redirect: 'manual',
  });
  return { status: res.status, body: await res.text() };
};

/** NS records through the system resolver, bounded like the AWS calls. */
export const systemNsResolver: NsResolver = async (name) => {
  const resolver = new Resolver({ timeout: 3_000, tries: 2 });
  const records = await withDeadline(resolver.resolveNs(name), DEFAULT_CALL_LIMITS.callDeadlineMs, `NS lookup of ${name}`);
  return records.map((r) => r.toLowerCase().replace(/\.$/, ''));
};

export function createRealDeps(): Deps {
  const aws = createAwsClients();
  return {
    env: process.env,
    cwd: process.cwd(),
    stdout: process.stdout,
    stderr: process.stderr,
    now: () => Date.now(),
    sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
    aws,
    backupRegionSettings: (region) => aws.backupRegionSettings(region),
    http: fetchHttpClient,
    readFile: (p) => readFileSync(p, 'utf8'),
    writeFile: (p, text) => writeFileSync(p, text),
    randomId: () => randomUUID(),
    resolveNs: systemNsResolver,
    appendFile: (p, text) => appendFileSync(p, text),
    resolveName: systemNameResolver,
    onInterrupt: (handler) => {
      process.once('SIGINT', handler);
      return () => process.off('SIGINT', handler);
    },
  };
}

/**
 * What a client's resolver answers for `name`: the CNAME target when there is one (the failover records are
 * CNAMEs to the regional API domains, so the region is visible), else the addresses. The system's configured
 * recursive resolver, so its caching is what a client sees; bounded like the AWS calls.
 */
export const systemNameResolver = async (name: string): Promise<string[]> => {
  const resolver = new Resolver({ timeout: 3_000, tries: 2 });
  const lookup = async () => {
    try {
      return await resolver.resolveCname(name);
    } catch (e) {
      if ((e as { code?: string }).code !== 'ENODATA') throw e;
      return resolver.resolve4(name);
    }
  };
  return withDeadline(lookup(), DEFAULT_CALL_LIMITS.callDeadlineMs, `DNS lookup of ${name}`);
};
