// The accelerator edge in the DR CLI: status shows the dials and endpoint health; switchover, failover and the
// failback (a switchover back) set the dials; none of them depends on the GA API (us-west-2) for its essential steps.
import {
  DescribeEndpointGroupCommand,
  GlobalAcceleratorClient,
  UpdateEndpointGroupCommand,
  type DescribeEndpointGroupCommandInput,
  type UpdateEndpointGroupCommandInput,
} from '@aws-sdk/client-global-accelerator';
import { GetFunctionConcurrencyCommand, PutFunctionConcurrencyCommand } from '@aws-sdk/client-lambda';
import { DescribeDBClustersCommand, DescribeGlobalClustersCommand } from '@aws-sdk/client-rds';
import { PutParameterCommand } from '@aws-sdk/client-ssm';
import { mockClient, type AwsStub } from 'aws-sdk-client-mock';
import type { Deps } from '../../src/dr-cli/deps';
import { parseOutputs } from '../../src/dr-cli/outputs';
import { OUTPUT_VALUES, REGION, World, terraformOutputs, type Role } from '../support/dr-cli-world';

const ACCELERATOR = 'arn:aws:globalaccelerator::123456789012:accelerator/1234abcd-abcd-1234-abcd-1234abcdefgh';
const GROUP: Record<Role, string> = {
  primary: `${ACCELERATOR}/listener/0123vxyz/endpoint-group/1111aaaa`,
  dr: `${ACCELERATOR}/listener/0123vxyz/endpoint-group/2222bbbb`,
};
const ALB: Record<Role, string> = {
  primary: 'arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/pay-dev-use1-payments/1',
  dr: 'arn:aws:elasticloadbalancing:us-west-2:123456789012:loadbalancer/app/pay-dev-usw2-payments/2',
};
const EDGE_OUTPUTS = {
  'edge-mode': 'accelerator',
  'accelerator-arn': ACCELERATOR,
  'endpoint-group-arn-primary': GROUP.primary,
  'endpoint-group-arn-dr': GROUP.dr,
};

/**
 * The platform of dr-cli-world with an accelerator in front: dials as deployed (100 on the writer), and each ALB
 * endpoint healthy exactly when that region's deep /health passes (world.healthy, which follows the writer).
 */
class EdgeWorld extends World {
  readonly gaClient = new GlobalAcceleratorClient({ region: 'us-west-2' });
  readonly ga: AwsStub<any, any, any> = mockClient(this.gaClient);
  dials: Record<Role, number> = { primary: 100, dr: 0 };
  readonly updates: Array<[Role, number]> = [];

  constructor() {
    super();
    this.files.set('/work/cdktf.out/outputs.json', JSON.stringify(terraformOutputs({ ...OUTPUT_VALUES, ...EDGE_OUTPUTS })));
    const roleOf = (arn?: string): Role => (arn === GROUP.dr ? 'dr' : 'primary');
    this.ga.on(DescribeEndpointGroupCommand).callsFake((input: DescribeEndpointGroupCommandInput) => {
      const role = roleOf(input.EndpointGroupArn);
      const healthy = this.healthy(role);
      return {
        EndpointGroup: {
          EndpointGroupArn: GROUP[role],
          EndpointGroupRegion: REGION[role],
          TrafficDialPercentage: this.dials[role],
          EndpointDescriptions: [
            { EndpointId: ALB[role], Weight: 128, ClientIPPreservationEnabled: true, HealthState: healthy ? 'HEALTHY' : 'UNHEALTHY', ...(healthy ? {} : { HealthReason: 'Target group has no healthy targets' }) },
          ],
        },
      };
    });
    this.ga.on(UpdateEndpointGroupCommand).callsFake((input: UpdateEndpointGroupCommandInput) => {
      const role = roleOf(input.EndpointGroupArn);
      this.dials[role] = input.TrafficDialPercentage!;
      this.updates.push([role, input.TrafficDialPercentage!]);
      return {};
    });
  }

  /** us-west-2 is impaired: the Global Accelerator API does not answer. */
  gaApiDown(): void {
    const down = Object.assign(new Error('connect ETIMEDOUT 52.94.133.131:443'), { name: 'TimeoutError' });
    this.ga.on(DescribeEndpointGroupCommand).rejects(down);
    this.ga.on(UpdateEndpointGroupCommand).rejects(down);
  }

  override deps(): Deps {
    const deps = super.deps();
    return { ...deps, aws: { ...deps.aws, inRegion: deps.aws.inRegion, route53: deps.aws.route53, globalAccelerator: this.gaClient } };
  }

  override restore(): void {
    super.restore();
    this.ga.restore();
  }
}

let world: EdgeWorld;
beforeEach(() => {
  world = new EdgeWorld();
});
afterEach(() => world.restore());

const row = (out: string, component: string, region: string) =>
  out.split('\n').find((l) => l.startsWith(component) && l.includes(`  ${region}  `)) ?? '';

describe('status', () => {
  test('shows each site\'s traffic dial and its ALB endpoint\'s health', async () => {
    const r = await world.run('status');
    expect(r.code).toBe(0);
    expect(row(r.out, 'edge dial', 'us-east-1')).toMatch(/100% +primary endpoint group: ALB HEALTHY$/);
    expect(row(r.out, 'edge dial', 'us-west-2')).toMatch(/0% +dr endpoint group: ALB UNHEALTHY \(Target group has no healthy targets\)$/);
    expect(r.out).toMatch(/Edge dials: primary 100%, dr 0%\./);
    expect(r.out).not.toMatch(/WARNING: the accelerator/);
    expect(world.ga.commandCalls(UpdateEndpointGroupCommand)).toHaveLength(0);
  });

  test('--json carries the dials and endpoint health', async () => {
    const r = await world.run('status', '--json');
    const report = JSON.parse(r.out);
    expect(report.edge.primary).toMatchObject({ role: 'primary', region: 'us-east-1', trafficDial: 100, endpoints: [{ id: ALB.primary, health: 'HEALTHY', weight: 128 }] });
    expect(report.edge.dr).toMatchObject({ trafficDial: 0, endpoints: [{ health: 'UNHEALTHY' }] });
  });

  test('warns when the dials do not point at the writer', async () => {
    world.dials = { primary: 0, dr: 100 };
    const r = await world.run('status');
    expect(r.out).toMatch(/WARNING: the accelerator's dials do not point at the writer \(primary\).*--traffic-dial-percentage 100/);
  });

  test('with the GA API unreachable the rest of the status is still shown, the edge rows say why (exit 1)', async () => {
    world.gaApiDown();
    const r = await world.run('status');
    expect(r.code).toBe(1);
    expect(row(r.out, 'edge dial', 'us-east-1')).toMatch(/UNREACHABLE +Global Accelerator API \(us-west-2\): TimeoutError/);
    expect(row(r.out, 'aurora cluster', 'us-east-1')).toMatch(/WRITER/);
    expect(r.out).toMatch(/could not be read: .*edge primary: Global Accelerator API/);
  });

  test('a GA API that accepts the call and never answers: status still answers within its budget and names it unreachable', async () => {
    world.ga.on(DescribeEndpointGroupCommand).callsFake(() => new Promise(() => undefined));
    const started = Date.now();
    const deps = { ...world.deps(), statusBudgetMs: 600 };
    const { main } = await import('../../src/dr-cli/main');
    const code = await main(['status'], deps);
    const out = world.stdout.text;
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(code).toBe(1);
    expect(row(out, 'edge dial', 'us-east-1')).toMatch(/UNREACHABLE +Global Accelerator API \(us-west-2\)/);
    expect(out).toMatch(/UNREACHABLE \(no answer within the deadline\): .*global accelerator \(us-west-2\)/);
  });
});

describe('switchover and failback set the dials', () => {
  test('switchover to DR raises DR to 100 first, then lowers primary to 0', async () => {
    const r = await world.run('switchover');
    expect(r.code).toBe(0);
    expect(world.writer).toBe('dr');
    expect(world.updates).toEqual([['dr', 100], ['primary', 0]]);
    expect(world.ga.commandCalls(UpdateEndpointGroupCommand).map((c) => c.args[0].input)).toEqual([
      { EndpointGroupArn: GROUP.dr, TrafficDialPercentage: 100 },
      { EndpointGroupArn: GROUP.primary, TrafficDialPercentage: 0 },
    ]);
    expect(r.err).toMatch(/edge: traffic dials follow dr \(dr 0% → 100%, primary 100% → 0%\)/);
  });

  test('failback (switchover back to primary) moves the dials back; --json reports them', async () => {
    world.writer = 'dr';
    world.dials = { primary: 0, dr: 100 };
    const r = await world.run('switchover', '--to', 'primary', '--json');
    expect(r.code).toBe(0);
    expect(world.dials).toEqual({ primary: 100, dr: 0 });
    expect(JSON.parse(r.out).edge).toMatchObject({ ok: true, active: 'primary', changes: [{ role: 'primary', from: 0, to: 100, outcome: 'set' }, { role: 'dr', from: 100, to: 0, outcome: 'set' }] });
  });

  test('dials already in place are not touched (re-running is safe)', async () => {
    world.dials = { primary: 0, dr: 100 };
    const r = await world.run('switchover');
    expect(r.code).toBe(0);
    expect(world.updates).toEqual([]);
    expect(r.err).toMatch(/dr 100% \(already\), primary 0% \(already\)/);
  });

  test('a dry run changes no dial', async () => {
    const r = await world.run('switchover', '--dry-run');
    expect(r.code).toBe(0);
    expect(world.ga.commandCalls(DescribeEndpointGroupCommand)).toHaveLength(0);
    expect(world.updates).toEqual([]);
  });
});

describe('failover', () => {
  test('sets the dials even when the surviving region\'s designation cannot be written (exit 1, re-run asked for)', async () => {
    world.mocks.dr.ssm.on(PutParameterCommand).rejects(Object.assign(new Error('throttled'), { name: 'ThrottlingException' }));
    const r = await world.run('failover', '--confirm-data-loss', '--json');
    expect(r.code).toBe(1);
    expect(world.writer).toBe('dr');
    expect(world.dials).toEqual({ primary: 0, dr: 100 });
    expect(JSON.parse(r.out).edge).toMatchObject({ ok: true, active: 'dr' });
  });

  test('sets the dials to the promoted site', async () => {
    const r = await world.run('failover', '--confirm-data-loss');
    expect(r.code).toBe(0);
    expect(world.writer).toBe('dr');
    expect(world.dials).toEqual({ primary: 0, dr: 100 });
  });

  test('with us-west-2 impaired (GA API down) the failover still completes: dials unchanged, health-based failover moves traffic, and the commands to finish are printed', async () => {
    world.gaApiDown();
    const r = await world.run('failover', '--confirm-data-loss');
    expect(r.code).toBe(0);
    expect(world.writer).toBe('dr');
    expect(world.dials).toEqual({ primary: 100, dr: 0 });
    expect(r.err).toMatch(/edge: the traffic dials could not all be set \(dr NOT SET \(TimeoutError: connect ETIMEDOUT/);
    expect(r.err).toMatch(/The Global Accelerator API is served from us-west-2 only/);
    expect(r.err).toMatch(/This does not undo the operation: traffic reaches dr by Global Accelerator's health-based failover, which ignores the dials/);
    expect(r.err).toContain(`aws globalaccelerator update-endpoint-group --region us-west-2 --endpoint-group-arn ${GROUP.dr} --traffic-dial-percentage 100`);
    expect(r.err).toContain(`--endpoint-group-arn ${GROUP.primary} --traffic-dial-percentage 0`);
    expect(r.out).toMatch(/failover complete: the writer is now dr/);
    // What GA would do: the old site is unhealthy (its /health answers 503), the promoted one healthy.
    world.now += 60_000;
    expect([world.healthy('primary'), world.healthy('dr')]).toEqual([false, true]);
  });

  test('DR active in us-west-2 and us-west-2 impaired: failover to primary from us-east-1 completes without the GA API', async () => {
    world.writer = 'dr';
    world.dials = { primary: 0, dr: 100 };
    world.env.AWS_REGION = 'us-east-1';
    world.gaApiDown();
    const down = Object.assign(new Error('connect ETIMEDOUT 52.94.0.9:443'), { name: 'TimeoutError' });
    world.mocks.dr.rds.on(DescribeDBClustersCommand).rejects(down);
    world.mocks.dr.lambda.on(GetFunctionConcurrencyCommand).rejects(down);
    world.mocks.dr.lambda.on(PutFunctionConcurrencyCommand).rejects(down);
    const r = await world.run('failover', '--to', 'primary', '--confirm-data-loss');
    expect(r.code).toBe(0);
    expect(world.writer).toBe('primary');
    expect(r.err).toMatch(/traffic reaches primary by Global Accelerator's health-based failover/);
    expect(r.err).toContain(`--endpoint-group-arn ${GROUP.primary} --traffic-dial-percentage 100`);
  });
});

describe('dns mode', () => {
  test('without accelerator outputs no Global Accelerator call is made and status has no edge rows', async () => {
    world.files.set('/work/cdktf.out/outputs.json', JSON.stringify(terraformOutputs()));
    const status = await world.run('status');
    expect(status.out).not.toMatch(/edge dial/);
    const r = await world.run('switchover');
    expect(r.code).toBe(0);
    expect(world.ga.commandCalls(DescribeEndpointGroupCommand)).toHaveLength(0);
    expect(world.calls('dr', 'rds', DescribeGlobalClustersCommand).length).toBeGreaterThan(0);
  });
});

describe('outputs', () => {
  test('accelerator outputs are read in either file format; invalid ones are named', () => {
    const o = parseOutputs(terraformOutputs({ ...OUTPUT_VALUES, ...EDGE_OUTPUTS }), 'x.json');
    expect(o.edge).toEqual({ acceleratorArn: ACCELERATOR, endpointGroupArns: GROUP });
    expect(parseOutputs({ 'payments-dr-dev': { ...OUTPUT_VALUES, ...EDGE_OUTPUTS } }, 'y.json').edge?.endpointGroupArns.dr).toBe(GROUP.dr);
    expect(parseOutputs(terraformOutputs(), 'z.json').edge).toBeUndefined();
    expect(() => parseOutputs(terraformOutputs({ ...OUTPUT_VALUES, ...EDGE_OUTPUTS, 'endpoint-group-arn-dr': 'nope' }), 'bad.json')).toThrow(
      /The accelerator outputs in bad\.json are incomplete or invalid:\n {2}- endpoint-group-arn-dr: "nope" is not an endpoint group ARN/,
    );
  });
});
