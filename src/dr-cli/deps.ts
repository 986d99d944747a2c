import { randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GlobalAcceleratorClient } from '@aws-sdk/client-global-accelerator';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { RDSClient } from '@aws-sdk/client-rds';
import { Route53Client } from '@aws-sdk/client-route-53';
import { S3Client } from '@aws-sdk/client-s3';

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
}

export interface AwsClients {
  /** Clients bound to `region` (the same instances for the same region). */
  inRegion(region: string): RegionClients;
  /** Route 53 is a global API served from us-east-1. */
  readonly route53: Route53Client;
  /** Global Accelerator is a global API served from us-west-2 only (src/dr-cli/edge.ts). */
  readonly globalAccelerator?: GlobalAcceleratorClient;
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
  let globalAccelerator: GlobalAcceleratorClient | undefined;
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
        };
        cache.set(region, clients);
      }
      return clients;
    },
    get route53(): Route53Client {
      route53 ??= new Route53Client(config('us-east-1'));
      return route53;
    },
    get globalAccelerator(): GlobalAcceleratorClient {
      globalAccelerator ??= new GlobalAcceleratorClient(config('us-west-2'));
      return globalAccelerator;
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
  };
}
