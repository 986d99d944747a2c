import { LambdaPermission } from '@cdktf/provider-aws/lib/lambda-permission';
import { Route } from '@cdktf/provider-aws/lib/route';
import { SecretsmanagerSecretRotation } from '@cdktf/provider-aws/lib/secretsmanager-secret-rotation';
import { SecurityGroup } from '@cdktf/provider-aws/lib/security-group';
import { VpcSecurityGroupEgressRule } from '@cdktf/provider-aws/lib/vpc-security-group-egress-rule';
import { VpcSecurityGroupIngressRule } from '@cdktf/provider-aws/lib/vpc-security-group-ingress-rule';
import { TerraformAsset } from 'cdktf';
import { Construct } from 'constructs';
import { Tier } from '../composition';
import { RegionContext } from '../region';
import type { AuroraGlobalDatabase } from './aurora-global-database';
import type { DatabaseCredentials } from './database-credentials';
import { RegionalFunction } from './regional-function';
import { RegionalNetwork } from './regional-network';

/** One site as the rotation sees it. */
export interface RotationSite {
  readonly ctx: RegionContext;
  readonly network: RegionalNetwork;
}

export interface CredentialRotationProps {
  /** The site of the secret's home region (regions.primary): the function runs in its private subnets. */
  readonly primary: RotationSite;
  /** The other site: its writer is reached over the peering (isolated subnets). */
  readonly dr: RotationSite;
  /** The primary site's VPC CIDR (config `regions.primary.vpcCidr`): HTTPS to its interface endpoints. */
  readonly primaryVpcCidr: string;
  /** The database whose master secret rotates (its clusters, security groups, port and secret version). */
  readonly database: AuroraGlobalDatabase;
  /** The bundle of lambdas/secret-rotation. */
  readonly code: TerraformAsset;
  readonly logRetentionDays: number;
  /** Encrypts the function's log group (the primary region's logs key). */
  readonly logKey: ConstructorParameters<typeof RegionalFunction>[2]['logKey'];
  /** Days between rotations (config `database.rotationDays`). */
  readonly rotationIntervalDays: number;
  /** The peering routes the path to the DR writer needs before the first rotation. */
  readonly peeringRoutes: readonly Route[];
}

/**
 * Rotation of the database master secret: Secrets Manager's four steps in a Lambda of ours in the region of the
 * secret's primary (regions.primary): Secrets Manager rotates only a primary secret, never a replica (Secrets Manager
 * user guide, create-manage-multi-region-secrets: "rotation ... in the primary Region, and the new secret value
 * propagates to all of the associated replica secrets"). The writer is in whichever site is active, so the function
 * finds it among both sites' cluster endpoints (DB_WRITER_HOSTS) and reaches the DR writer over the peering. While
 * the primary site's region is down, rotation cannot run at all (README, Rotation).
 *
 * Created by {@link DatabaseCredentials.addRotation}. A tier: its resources keep their stack-level addresses
 * (`rotation-sg`, `rotation-fn`, `rotation`…).
 */
export class CredentialRotation extends Tier {
  /** The rotation function's own security group (it reaches the writer of either site). */
  public readonly securityGroup: SecurityGroup;
  public readonly function: RegionalFunction;
  public readonly rotation: SecretsmanagerSecretRotation;

  constructor(scope: Construct, id: string, credentials: DatabaseCredentials, props: CredentialRotationProps) {
    super(scope, id);
    const { database } = props;
    const primaryCtx = props.primary.ctx;
    const drCtx = props.dr.ctx;
    this.securityGroup = new SecurityGroup(this, 'rotation-sg', {
      provider: primaryCtx.provider,
      name: primaryCtx.naming.name('generic', 'secret-rotation', primaryCtx.region),
      description: 'Secret rotation Lambda: PostgreSQL to the writer of either site, HTTPS to the VPC endpoints',
      vpcId: props.primary.network.vpc.id,
      tags: { Name: primaryCtx.naming.name('generic', 'secret-rotation', primaryCtx.region) },
    });
    const rotationNetwork = [
      new VpcSecurityGroupEgressRule(this, 'rotation-sg-https-endpoints', {
        provider: primaryCtx.provider,
        securityGroupId: this.securityGroup.id,
        description: 'HTTPS to the interface endpoints in the VPC (Secrets Manager)',
        ipProtocol: 'tcp',
        fromPort: 443,
        toPort: 443,
        cidrIpv4: props.primaryVpcCidr,
      }),
      new VpcSecurityGroupEgressRule(this, 'rotation-sg-postgres-primary', {
        provider: primaryCtx.provider,
        securityGroupId: this.securityGroup.id,
        description: 'PostgreSQL to the Aurora cluster of the primary site',
        ipProtocol: 'tcp',
        fromPort: database.port,
        toPort: database.port,
        referencedSecurityGroupId: database.securityGroups.primary.id,
      }),
      new VpcSecurityGroupIngressRule(this, 'aurora-primary-from-rotation', {
        provider: primaryCtx.provider,
        securityGroupId: database.securityGroups.primary.id,
        description: 'PostgreSQL from the secret rotation Lambda',
        ipProtocol: 'tcp',
        fromPort: database.port,
        toPort: database.port,
        referencedSecurityGroupId: this.securityGroup.id,
      }),
      // Security groups cannot be referenced across regions over a peering, so the DR side admits the subnets
      // the function runs in, and the function may reach the DR isolated subnets the cluster lives in.
      ...props.dr.network.isolatedSubnets.map(
        (subnet, i) =>
          new VpcSecurityGroupEgressRule(this, `rotation-sg-postgres-dr-${i + 1}`, {
            provider: primaryCtx.provider,
            securityGroupId: this.securityGroup.id,
            description: `PostgreSQL to the Aurora cluster of the DR site (isolated subnet ${i + 1}, over the peering)`,
            ipProtocol: 'tcp',
            fromPort: database.port,
            toPort: database.port,
            cidrIpv4: subnet.cidrBlock,
          }),
      ),
      ...props.primary.network.privateSubnets.map(
        (subnet, i) =>
          new VpcSecurityGroupIngressRule(this, `aurora-dr-from-rotation-${i + 1}`, {
            provider: drCtx.provider,
            securityGroupId: database.securityGroups.dr.id,
            description: `PostgreSQL from the secret rotation Lambda (primary-site private subnet ${i + 1}, over the peering)`,
            ipProtocol: 'tcp',
            fromPort: database.port,
            toPort: database.port,
            cidrIpv4: subnet.cidrBlock,
          }),
      ),
    ];
    this.function = new RegionalFunction(this, 'rotation-fn', {
      ctx: primaryCtx,
      purpose: 'secret-rotation',
      code: props.code,
      reservedConcurrency: 1,
      timeoutSeconds: 30,
      memorySizeMb: 256,
      subnets: props.primary.network.privateSubnets,
      securityGroup: this.securityGroup,
      logKey: props.logKey,
      logRetentionDays: props.logRetentionDays,
      environment: {
        POWERTOOLS_SERVICE_NAME: 'secret-rotation',
        NODE_EXTRA_CA_CERTS: '/var/runtime/ca-cert.pem',
        // Both sites' cluster endpoints, the active one first: the function uses whichever is writable.
        // WRITER_HOSTS_ENV of lambdas/secret-rotation (a test checks the two agree).
        DB_WRITER_HOSTS: [database.activeCluster.endpoint, database.passiveCluster.endpoint].join(','),
      },
      // The four rotation steps, a random password, the home key and the DR replica's key (DatabaseCredentials).
      statements: credentials.grantRotation(),
    });
    const rotationPermission = new LambdaPermission(this, 'rotation-permission', {
      provider: primaryCtx.provider,
      functionName: this.function.function.functionName,
      action: 'lambda:InvokeFunction',
      principal: 'secretsmanager.amazonaws.com',
      sourceArn: credentials.secret.arn,
    });
    // RotateSecret rotates at once by default, and a failed first rotation leaves AWSPENDING on a version, which
    // makes every later RotateSecret fail until it is cleared (RotateSecret API reference, RotateImmediately;
    // provider docs, secretsmanager_secret_rotation). So the rotation is configured only once there is something
    // to rotate and a way to do it: the secret's first value, every instance of both clusters, the network path
    // (security group rules, the Secrets Manager endpoint, the peering routes), the function's policy and the
    // permission for Secrets Manager to invoke it. The immediate first rotation then proves rotation works.
    const secretsEndpoint = props.primary.network.interfaceEndpoints.secretsmanager;
    this.rotation = new SecretsmanagerSecretRotation(this, 'rotation', {
      provider: primaryCtx.provider,
      secretId: credentials.secret.id,
      rotationLambdaArn: this.function.function.arn,
      rotationRules: { automaticallyAfterDays: props.rotationIntervalDays },
      rotateImmediately: true,
      dependsOn: [
        rotationPermission,
        this.function.policy,
        database.secretVersion,
        ...database.primaryInstances,
        ...database.drInstances,
        ...rotationNetwork,
        ...(secretsEndpoint ? [secretsEndpoint] : []),
        ...props.peeringRoutes,
      ],
    });
  }
}
