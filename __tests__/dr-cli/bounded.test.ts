import { createServer, type Server, type Socket } from 'node:net';
import { DescribeGlobalClustersCommand } from '@aws-sdk/client-rds';
import { GetParameterCommand } from '@aws-sdk/client-ssm';
import { createAwsClients, DEFAULT_CALL_LIMITS, STATUS_BUDGET_MS, withDeadline, type AwsCallLimits, type AwsClients } from '../../src/dr-cli/deps';
import { main } from '../../src/dr-cli/main';
import { World } from '../support/dr-cli-world';

/**
 * Issue 15 §4: an AWS endpoint that accepts connections and never answers (what a regional outage often looks like
 * to a client). A local TCP server on 127.0.0.1 plays it; small deadlines keep the test fast.
 */

let server: Server;
let port: number;
const sockets = new Set<Socket>();
let clients: AwsClients | undefined;

beforeAll(async () => {
  server = createServer((s) => {
    sockets.add(s); // accept, read, never answer
    s.on('close', () => sockets.delete(s));
    s.on('error', () => undefined);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as { port: number }).port;
});
afterEach(() => {
  clients?.destroy?.();
  clients = undefined;
});
afterAll(async () => {
  for (const s of sockets) s.destroy();
  await new Promise((r) => server.close(r));
});

const hanging = (limits: Partial<AwsCallLimits>) =>
  (clients = createAwsClients({ endpoint: `http://127.0.0.1:${port}`, credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'test' }, limits }));

describe('every AWS call has an effective deadline', () => {
  test('the defaults bound a call: connection 3 s, request 5 s (throws), 2 attempts, 12 s for the whole call', () => {
    expect(DEFAULT_CALL_LIMITS).toEqual({ connectionTimeoutMs: 3_000, requestTimeoutMs: 5_000, maxAttempts: 2, callDeadlineMs: 12_000 });
    // status: two rounds of calls, each within the call deadline, inside the 30 s promised.
    expect(2 * DEFAULT_CALL_LIMITS.callDeadlineMs).toBeLessThanOrEqual(STATUS_BUDGET_MS);
    expect(STATUS_BUDGET_MS).toBeLessThan(30_000);
  });

  test('requestTimeout throws (throwOnRequestTimeout) instead of only warning, and retries are bounded', async () => {
    // Call deadline out of the way: what stops the call is the request timeout of each of the 2 attempts.
    const aws = hanging({ requestTimeoutMs: 300, connectionTimeoutMs: 1_000, maxAttempts: 2, callDeadlineMs: 60_000 });
    const started = Date.now();
    const e = await aws.inRegion('us-east-1').rds.send(new DescribeGlobalClustersCommand({})).catch((x: Error) => x);
    const took = Date.now() - started;
    expect(e).toBeInstanceOf(Error);
    expect((e as Error).name).toBe('TimeoutError');
    expect((e as Error).message).toMatch(/exceeded the configured 300 ms requestTimeout/);
    expect(took).toBeGreaterThanOrEqual(2 * 300 - 50); // two attempts
    expect(took).toBeLessThan(5_000);
  });

  test('the whole-call deadline cuts a call short, retries and all', async () => {
    const aws = hanging({ requestTimeoutMs: 1_500, connectionTimeoutMs: 500, maxAttempts: 3, callDeadlineMs: 400 });
    const started = Date.now();
    const e = await aws.inRegion('us-west-2').ssm.send(new GetParameterCommand({ Name: '/pay/dev-control/active-site' })).catch((x: Error) => x);
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(e).toMatchObject({ name: 'DeadlineExceeded', unreachable: true });
  });

  test('withDeadline settles with the value when it comes in time', async () => {
    await expect(withDeadline(Promise.resolve(7), 100, 'x')).resolves.toBe(7);
    await expect(withDeadline(new Promise(() => undefined), 50, 'x')).rejects.toMatchObject({ name: 'DeadlineExceeded' });
  });
});

describe('status against a region that never answers', () => {
  test('answers within its budget and marks every unreachable region and service', async () => {
    const world = new World();
    try {
      const aws = hanging({ requestTimeoutMs: 250, connectionTimeoutMs: 250, maxAttempts: 2, callDeadlineMs: 400 });
      const deps = { ...world.deps(), aws, statusBudgetMs: 1_500 };
      const started = Date.now();
      const code = await main(['status'], deps);
      const took = Date.now() - started;
      expect(code).toBe(1);
      expect(took).toBeLessThan(1_500 + 500);
      const out = world.stdout.text;
      expect(out).toMatch(/^aurora global +- +UNREACHABLE /m);
      expect(out).toMatch(/^health check +us-east-1 +UNREACHABLE /m);
      expect(out).toMatch(/^designation +us-west-2 +UNREACHABLE /m);
      expect(out).toMatch(/UNREACHABLE \(no answer within the deadline\): us-east-1 and us-west-2, route53, us-east-1, us-west-2\./);
      expect(out).toMatch(/Writer: unknown\. DNS serves: unknown\./);
    } finally {
      world.restore();
    }
  });
});
