import { randomUUID } from 'node:crypto';
import { promises as dnsPromises } from 'node:dns';
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { FisClient } from '@aws-sdk/client-fis';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { RDSClient } from '@aws-sdk/client-rds';
import { Route53Client } from '@aws-sdk/client-route-53';
import { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

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
  /** The drill reads the API client key from the replicated secret (optional: only `drill` needs it). */
  readonly secretsManager?: SecretsManagerClient;
  /** Fault injection for `drill --inject fis` (optional: only `drill` needs it). */
  readonly fis?: FisClient;
}

export interface AwsClients {
  /** Clients bound to `region` (the same instances for the same region). */
  inRegion(region: string): RegionClients;
  /** Route 53 is a global API served from us-east-1. */
  readonly route53: Route53Client;
}

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
  /** Appends to a file (streamed reports such as `reconcile`'s CSV). */
  appendFile?(path: string, text: string): void;
  /** The client's DNS resolver for a name: CNAME targets, else addresses (the drill's per-second DNS answer). */
  resolveName?(name: string): Promise<string[]>;
  /** Registers `handler` for an operator abort (SIGINT); returns the function that unregisters it. */
  onInterrupt?(handler: () => void): () => void;
}

/**
 * Real clients with short timeouts: during a regional outage a call into the failed region must fail in seconds,
 * not hang for minutes (the SDK's default has no request timeout).
 */
export function createAwsClients(): AwsClients {
  const cache = new Map<string, RegionClients>();
  const config = (region: string) => ({
    region,
    maxAttempts: 3,
    requestHandler: { connectionTimeout: 3_000, requestTimeout: 15_000 },
  });
  let route53: Route53Client | undefined;
  return {
    inRegion(region: string): RegionClients {
      let clients = cache.get(region);
      if (!clients) {
        clients = {
          rds: new RDSClient(config(region)),
          cloudwatch: new CloudWatchClient(config(region)),
          dynamodb: new DynamoDBClient(config(region)),
          s3: new S3Client(config(region)),
          lambda: new LambdaClient(config(region)),
          secretsManager: new SecretsManagerClient(config(region)),
          fis: new FisClient(config(region)),
        };
        cache.set(region, clients);
      }
      return clients;
    },
    get route53(): Route53Client {
      route53 ??= new Route53Client(config('us-east-1'));
      return route53;
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

export function createRealDeps(): Deps {
  return {
    env: process.env,
    cwd: process.cwd(),
    stdout: process.stdout,
    stderr: process.stderr,
    now: () => Date.now(),
    sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
    aws: createAwsClients(),
    http: fetchHttpClient,
    readFile: (p) => readFileSync(p, 'utf8'),
    writeFile: (p, text) => writeFileSync(p, text),
    randomId: () => randomUUID(),
    appendFile: (p, text) => appendFileSync(p, text),
    resolveName: resolveWithSystemResolver,
    onInterrupt: (handler) => {
      process.once('SIGINT', handler);
      return () => process.off('SIGINT', handler);
    },
  };
}

/**
 * What a client's resolver answers for `name`: the CNAME target when there is one (the failover records are
 * CNAMEs to the regional API domains, so the region is visible), else the addresses. Uses the system's
 * configured recursive resolver, so its caching is what a client sees.
 */
async function resolveWithSystemResolver(name: string): Promise<string[]> {
  try {
    return await dnsPromises.resolveCname(name);
  } catch (e) {
    if ((e as { code?: string }).code !== 'ENODATA') throw e;
    return dnsPromises.resolve4(name);
  }
}
