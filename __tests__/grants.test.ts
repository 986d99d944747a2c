/**
 * Grant methods: each construct that owns a resource hands out the statements for it. The stack's functions must
 * be granted exactly these statements (byte for byte, in this key order), so converting a hand-built statement to
 * the grant changes no policy; each grant of a site names only that site's region.
 */
import { PaymentEvents } from '../src/constructs/payment-events';
import { RegionalFunction } from '../src/constructs/regional-function';
import { PolicyStatement } from '../src/iam';
import { REGION_ROLES, RegionRole, mapPerRegion, perRegion } from '../src/region';
import { Json, synthDrStack } from './support/synth';

const { stack, synth } = synthDrStack();
const regionOf = (role: RegionRole) => stack.config.regions[role].region;

/** The statements of a function's role policy, as synthesized (tokens resolved). */
function statementsOf(fn: RegionalFunction): Json[] {
  return JSON.parse(synth.bodyOf(fn.policy).policy).Statement;
}

/** A grant as it synthesizes: tokens resolved the way the policy document resolves them. */
function resolved(statements: PolicyStatement | PolicyStatement[]): Json[] {
  return JSON.parse(synth.ref(JSON.stringify([statements].flat())));
}

/** The grant's statements appear in the function's policy, consecutively, byte for byte. */
function expectGranted(fn: RegionalFunction, grant: PolicyStatement | PolicyStatement[]): void {
  const expected = resolved(grant);
  const actual = statementsOf(fn);
  const at = actual.findIndex((s) => s.Sid === expected[0].Sid);
  expect(at).toBeGreaterThanOrEqual(0);
  expect(JSON.stringify(actual.slice(at, at + expected.length))).toBe(JSON.stringify(expected));
}

describe.each(REGION_ROLES)('grants to the %s site\'s functions are what the stack grants', (role) => {
  const rt = stack.runtime[role];

  test('payment function: configuration, credentials, designation, sessions, audit objects, events', () => {
    const fn = rt.paymentFunction;
    expectGranted(fn, rt.parameters.grantRead());
    expectGranted(fn, stack.database.credentials.grantRead(role));
    expectGranted(fn, stack.sessions.grant(role, 'Sessions', ['dynamodb:UpdateItem']));
    expectGranted(fn, stack.artifacts.grantPutObjects(role, { sid: 'AuditObjects', keyPrefix: 'audit/' }));
    expectGranted(fn, stack.paymentEvents.grantPublish());
    const contexts = { primary: stack.primary.ctx, dr: stack.dr.ctx };
    expect(PaymentEvents.grantPublishFor(contexts)).toEqual(stack.paymentEvents.grantPublish());
  });

  test('health function: configuration, credentials, designation, one GetItem', () => {
    const fn = rt.healthFunction;
    expectGranted(fn, [rt.parameters.grantRead(), ...stack.database.credentials.grantRead(role), stack.designation.grantRead(role)]);
    expectGranted(fn, stack.sessions.grant(role, 'SessionsReachable', ['dynamodb:GetItem']));
  });

  test('outbox sweep: configuration and credentials', () => {
    const fn = stack.outboxSweep[role];
    expectGranted(fn, rt.parameters.grantRead());
    expectGranted(fn, stack.database.credentials.grantRead(role));
  });

  test('a site\'s grants name only its own region (no cross-region call, no reference to the other region)', () => {
    const other = regionOf(role === 'primary' ? 'dr' : 'primary');
    const grants = resolved([
      ...stack.database.credentials.grantRead(role),
      stack.sessions.grant(role, 'S', ['dynamodb:GetItem']),
      ...stack.artifacts.grantPutObjects(role, { sid: 'A', keyPrefix: 'audit/' }),
      stack.designation.grantRead(role),
      stack.databaseKey.grant(role, 'K', ['kms:Decrypt']),
    ]);
    const text = JSON.stringify(grants);
    expect(text).not.toContain(other);
    // The other site's resources by their token (replica key, DR bucket): none.
    const otherRole = role === 'primary' ? 'dr' : 'primary';
    for (const token of [stack.databaseKey.keys[otherRole].arn, stack.artifacts.buckets[otherRole].arn]) {
      expect(text).not.toContain(synth.ref(token));
    }
    expect(grants.find((s) => s.Sid === 'DatabaseCredentials')!.Resource).toEqual([
      expect.stringMatching(new RegExp(`^arn:aws:secretsmanager:${regionOf(role)}:\\d{12}:secret:.+-\\?{6}$`)),
    ]);
  });
});

test('rotation function: exactly the credentials construct\'s rotation grant, after logs, VPC and X-Ray', () => {
  const statements = statementsOf(stack.rotationFunction);
  expect(statements.map((s) => s.Sid)).toEqual(['OwnLogGroup', 'VpcNetworkInterfaces', 'XRayTraces', 'RotateDatabaseSecret', 'GeneratePassword', 'SecretKey', 'ReplicaSecretKey']);
  expectGranted(stack.rotationFunction, stack.database.credentials.grantRotation());
  // The DR replica's key only through Secrets Manager in the DR region.
  expect(statements.at(-1)!.Condition).toEqual({ StringEquals: { 'kms:ViaService': `secretsmanager.${regionOf('dr')}.amazonaws.com` } });
});

test('a key prefix starting with "/" is refused (S3 keys have no leading slash)', () => {
  expect(() => stack.artifacts.grantPutObjects('primary', { sid: 'X', keyPrefix: '/audit/' })).toThrow(/keyPrefix "\/audit\/" must not start with "\/"/);
});

describe('one per-region shape', () => {
  test('perRegion and mapPerRegion build primary first, then dr', () => {
    const calls: RegionRole[] = [];
    const built = perRegion((role) => (calls.push(role), role.length));
    expect(built).toEqual({ primary: 7, dr: 2 });
    expect(mapPerRegion(built, (n, role) => `${role}:${n}`)).toEqual({ primary: 'primary:7', dr: 'dr:2' });
    expect(calls).toEqual(['primary', 'dr']);
  });

  test('the clusters and their identifiers are the synthesized clusters; the database alarms name exactly those', () => {
    for (const role of REGION_ROLES) {
      expect(synth.bodyOf(stack.database.clusters[role]).cluster_identifier).toBe(stack.database.clusterIdentifiers[role]);
    }
    expect(stack.database.clusters.primary).toBe(stack.database.primaryCluster);
    expect(stack.database.clusters.dr).toBe(stack.database.secondaryCluster);
    const named = synth
      .list('aws_cloudwatch_metric_alarm')
      .map((a) => a.dimensions?.DBClusterIdentifier)
      .filter((id): id is string => id !== undefined);
    expect([...new Set(named)].sort()).toEqual([stack.database.clusterIdentifiers.primary, stack.database.clusterIdentifiers.dr].sort());
  });

  test('keys, buckets and table ARNs: one value per site', () => {
    expect(synth.ref(stack.databaseKey.keys.primary.arn)).toBe(synth.ref(stack.databaseKey.primaryKey.arn));
    expect(synth.ref(stack.databaseKey.keys.dr.arn)).toBe(synth.ref(stack.databaseKey.replicaKey.arn));
    expect(stack.artifacts.buckets.dr).toBe(stack.artifacts.drBucket);
    expect(stack.sessions.tableArns.dr).toBe(`arn:aws:dynamodb:${regionOf('dr')}:${stack.config.accountId}:table/${stack.sessions.tableName}`);
  });
});
