import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { FisClient, GetExperimentCommand, StartExperimentCommand, StopExperimentCommand } from '@aws-sdk/client-fis';
import { FailoverGlobalClusterCommand, type FailoverGlobalClusterCommandInput } from '@aws-sdk/client-rds';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient, type AwsStub } from 'aws-sdk-client-mock';
import { fetchHttpClient, type Deps } from '../../src/dr-cli/deps';
import { main } from '../../src/dr-cli/main';
import { API, CLUSTER_ARN, OUTPUT_VALUES, REGION, START, terraformOutputs, World, type Role } from './dr-cli-world';

/**
 * The drill's world: the mocked two-region platform of `World`, on the real clock (the traffic loop and the
 * promotion run concurrently), with a local HTTP server on 127.0.0.1 standing in for the public API name. The
 * server answers from the region DNS serves, takes writes only where the database writes, replicates each write to
 * the other region after `replicationLagMs`, and loses the unreplicated writes of the old writer on an
 * allow-data-loss failover, as Aurora does. FIS and Secrets Manager are mocked per region.
 */

export const API_KEY = 'api-key-from-the-replicated-secret';
export const SECRET_NAME = 'pay-dev-api-client-key';
export const TEMPLATE: Record<Role, string> = { primary: 'EXTprimary111', dr: 'EXTdr222' };

interface Write {
  readonly id: string;
  readonly key: string;
  readonly reference: string;
  readonly region: Role;
  readonly at: number;
}

export class DrillWorld extends World {
  private readonly base = Date.now();
  server!: Server;
  port = 0;
  /** The site FIS has cut off (its API answers 503 or drops the connection). */
  faulted: Role | undefined;
  faultedAt: number | undefined;
  replicationLagMs = 500;
  readonly writes: Write[] = [];
  /** Set by an allow-data-loss failover: writes of `from` after `after` never reach the new writer. */
  lossCut: { from: Role; after: number } | undefined;
  /** Ids the API acknowledged (2xx) that the new writer lost: the ground truth for the drill's RPO. */
  readonly fis: Record<Role, FisClient> = { primary: new FisClient({ region: REGION.primary }), dr: new FisClient({ region: REGION.dr }) };
  readonly secrets: Record<Role, SecretsManagerClient> = {
    primary: new SecretsManagerClient({ region: REGION.primary }),
    dr: new SecretsManagerClient({ region: REGION.dr }),
  };
  readonly fisMocks: Record<Role, AwsStub<any, any, any>>;
  readonly secretMocks: Record<Role, AwsStub<any, any, any>>;
  experiment: { id: string; status: string; site: Role } | undefined;
  interrupt: (() => void) | undefined;
  private requests = 0;

  constructor(outputs: Record<string, unknown> = {}) {
    super();
    // Real time: the traffic loop and the promotion wait concurrently.
    Object.defineProperty(this, 'now', { get: () => START + (Date.now() - this.base), set: () => undefined, configurable: true });
    this.switchDurationMs = 1_000;
    this.healthDelayMs = 300;
    this.files.set(
      '/work/cdktf.out/outputs.json',
      JSON.stringify(
        withoutUndefined(terraformOutputs({
          ...OUTPUT_VALUES,
          'api-client-secret-name': SECRET_NAME,
          'environment-profile': 'dev',
          'fis-experiment-template-primary': TEMPLATE.primary,
          'fis-experiment-template-dr': TEMPLATE.dr,
          ...outputs,
        } as Record<string, unknown>)),
      ),
    );
    // client-fis 3.523 predates the smithy types aws-sdk-client-mock is typed against; the mock works the same.
    this.fisMocks = { primary: mockClient(this.fis.primary as never), dr: mockClient(this.fis.dr as never) };
    this.secretMocks = { primary: mockClient(this.secrets.primary), dr: mockClient(this.secrets.dr) };
    for (const role of ['primary', 'dr'] as const) {
      this.secretMocks[role].on(GetSecretValueCommand, { SecretId: SECRET_NAME }).resolves({ SecretString: `${API_KEY}\n` });
      this.fisMocks[role].on(StartExperimentCommand as never).callsFake((input: { experimentTemplateId: string }) => {
        const site = (Object.keys(TEMPLATE) as Role[]).find((r) => TEMPLATE[r] === input.experimentTemplateId);
        if (site !== role) throw Object.assign(new Error('template not found'), { name: 'ResourceNotFoundException' });
        this.experiment = { id: 'EXPdrill1', status: 'running', site };
        this.faulted = site;
        this.faultedAt = this.now;
        return { experiment: { id: 'EXPdrill1', state: { status: 'initiating' } } };
      });
      this.fisMocks[role].on(GetExperimentCommand as never).callsFake(() => ({ experiment: { id: this.experiment?.id, state: { status: this.experiment?.status } } }));
      this.fisMocks[role].on(StopExperimentCommand as never).callsFake(() => {
        if (this.experiment) this.experiment.status = 'stopped';
        this.faulted = undefined;
        return { experiment: { id: this.experiment?.id, state: { status: 'stopping' } } };
      });
      // Aurora's allow-data-loss failover: what the old writer had not replicated is gone from the new one.
      this.mocks[role].rds.on(FailoverGlobalClusterCommand).callsFake((input: FailoverGlobalClusterCommandInput) => {
        const to: Role = input.TargetDbClusterIdentifier === CLUSTER_ARN.dr ? 'dr' : 'primary';
        if (input.AllowDataLoss) this.lossCut = { from: this.writer, after: Math.min(this.faultedAt ?? Infinity, this.now) - this.replicationLagMs };
        this.operation = { to, dataLoss: input.AllowDataLoss === true, completeAt: this.now + this.switchDurationMs };
        this.operationStartedAt = this.now;
        return {};
      });
    }
  }

  /** Inputs of the FIS calls of one region's client. */
  fisCalls(role: Role, command: unknown): any[] {
    return this.fisMocks[role].commandCalls(command as never).map((c) => c.args[0].input);
  }

  override healthy(role: Role): boolean {
    return role !== this.faulted && super.healthy(role);
  }

  /** Whether `w` is in `site`'s database now. */
  visibleIn(w: Write, site: Role): boolean {
    if (w.region === site) return true;
    if (this.lossCut && w.region === this.lossCut.from && w.at > this.lossCut.after) return false;
    return this.now - w.at >= this.replicationLagMs;
  }

  /** Writes the API acknowledged that the current writer does not have. */
  lostWrites(): Write[] {
    return this.writes.filter((w) => !this.visibleIn(w, this.writer));
  }

  async start(): Promise<void> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.port = (this.server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((r) => this.server.close(r));
    for (const role of ['primary', 'dr'] as const) {
      this.fisMocks[role].restore();
      this.secretMocks[role].restore();
    }
    this.restore();
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let body = '';
    for await (const chunk of req) body += chunk;
    const send = (status: number, payload: unknown) => {
      res.writeHead(status, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(payload));
    };
    const site = this.serving();
    this.requests += 1;
    if (req.headers['x-api-key'] !== API_KEY) return send(403, { message: 'Forbidden' });
    if (site === this.faulted) {
      // Cut off: half the answers are API Gateway's 503 (the database path is gone), half never come.
      if (this.requests % 2 === 0) return void res.destroy();
      return send(503, { code: 'DEPENDENCY_UNAVAILABLE' });
    }
    if (req.method === 'POST' && req.url === '/payments') {
      if (site !== this.writer || this.operation) return send(503, { code: 'NOT_WRITER', message: 'this region is not accepting writes' });
      const p = JSON.parse(body) as { reference: string };
      const w: Write = { id: randomUUID(), key: String(req.headers['idempotency-key']), reference: p.reference, region: site, at: this.now };
      this.writes.push(w);
      return send(201, { id: w.id, status: 'ACCEPTED', reference: w.reference, region: REGION[site] });
    }
    const m = /^\/payments\/([0-9a-f-]+)$/.exec(req.url ?? '');
    if (req.method === 'GET' && m) {
      const w = this.writes.find((x) => x.id === m[1] && this.visibleIn(x, site));
      return w ? send(200, { id: w.id, reference: w.reference, region: REGION[w.region] }) : send(404, { code: 'PAYMENT_NOT_FOUND' });
    }
    return send(404, { message: 'no route' });
  }

  override deps(): Deps {
    const base = super.deps();
    return {
      ...base,
      now: () => this.now,
      sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
      aws: {
        inRegion: (region) => {
          const role = (Object.keys(REGION) as Role[]).find((r) => REGION[r] === region)!;
          return { ...base.aws.inRegion(region), secretsManager: this.secrets[role], fis: this.fis[role] };
        },
        route53: base.aws.route53,
      },
      // The real HTTP client, with the public name pointed at the local server.
      http: (req) => {
        this.httpRequests.push(req);
        return fetchHttpClient({ ...req, url: req.url.replace(`https://${API}`, `http://127.0.0.1:${this.port}`) });
      },
      resolveName: async () => {
        const role = this.serving();
        return [`d-${role}xyz.execute-api.${REGION[role]}.amazonaws.com`];
      },
      onInterrupt: (handler) => {
        this.interrupt = handler;
        return () => (this.interrupt = undefined);
      },
    };
  }

  override async run(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
    const code = await main(argv, this.deps());
    return { code, out: this.stdout.text, err: this.stderr.text };
  }
}

/** `terraform output -json` leaves out outputs that are not set; so does this. */
function withoutUndefined(o: Record<string, { value?: unknown }>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v.value !== undefined));
}
