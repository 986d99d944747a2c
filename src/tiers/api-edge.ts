import { AcmCertificate } from '@cdktf/provider-aws/lib/acm-certificate';
import { Route53Record } from '@cdktf/provider-aws/lib/route53-record';
import { Route53Zone } from '@cdktf/provider-aws/lib/route53-zone';
import { SecretsmanagerSecret } from '@cdktf/provider-aws/lib/secretsmanager-secret';
import { SecretsmanagerSecretVersion } from '@cdktf/provider-aws/lib/secretsmanager-secret-version';
import { Password } from '@cdktf/provider-random/lib/password';
import { TerraformStack } from 'cdktf';
import { Construct } from 'constructs';
import { secretArnPattern } from '../arn';
import { Tier } from '../composition';
import { PlatformConfig } from '../config';
import { MultiRegionKey } from '../constructs/multi-region-key';
import { PolicyStatement, allow } from '../iam';
import { RegionContext, RegionRole } from '../region';

export interface ApiEdgeProps {
  readonly primary: RegionContext;
  readonly dr: RegionContext;
  /** Encrypts the client key secret and its DR replica. */
  readonly key: MultiRegionKey;
  readonly config: Pick<PlatformConfig, 'dns' | 'protection' | 'failover'>;
}

/**
 * What clients meet before a regional API: the hosted zone, the API name and its certificate in each region, and the
 * client key (one value for both regions' API Gateways, kept in a secret replicated to the DR region). A tier: the
 * resources keep their stack-level addresses.
 */
export class ApiEdge extends Tier {
  /** The API client key (random_password): imported into both regions' API Gateways. Sensitive. */
  public readonly clientKey: Password;
  /** Secret holding the client key (x-api-key), readable in both regions. */
  public readonly clientSecret: SecretsmanagerSecret;
  /** Name of the secret whose key signs the controllers' synthetic probe payments (automatic mode creates it). */
  public readonly probeKeySecretName: string;
  /** Automatic failover only: that secret, replicated like the client key. */
  public readonly probeKeySecret?: SecretsmanagerSecret;
  /** The zone this stack created (dev without `dns.hostedZoneId`); undefined when the zone exists already. */
  public readonly createdZone?: Route53Zone;
  public readonly hostedZoneId: string;
  /** `<dns.apiRecordName>.<dns.zoneName>`. */
  public readonly domainName: string;
  /** One regional certificate per region (a regional custom domain needs one in its own region). */
  public readonly certificates: Record<RegionRole, AcmCertificate>;
  /** The DNS validation record, shared by both certificates. */
  public readonly validationRecord: Route53Record;

  constructor(scope: Construct, id: string, props: ApiEdgeProps) {
    super(scope, id);
    const { primary: primaryCtx, dr: drCtx, config } = props;
    // The client credential: one API key value imported into both regions' API Gateways, kept in a secret
    // replicated to the DR region so clients and the DR drill can read it in either region.
    this.clientKey = new Password(this, 'api-client-key', { length: 40, special: false });
    this.clientSecret = this.replicatedSecret(props, 'api-client-secret', {
      name: primaryCtx.naming.name('generic', 'api-client-key'),
      description: 'Payments API client key (x-api-key), the same in both regions',
      value: () => this.clientKey.result,
    });
    // Automatic failover: the key that signs the controllers' synthetic probe payments (lambdas/shared/probe.ts),
    // readable only by the controllers and the payment functions, replicated like the client key.
    this.probeKeySecretName = primaryCtx.naming.name('generic', 'probe-key');
    if (config.failover.mode === 'automatic') {
      this.probeKeySecret = this.replicatedSecret(props, 'probe-key-secret', {
        name: this.probeKeySecretName,
        description: 'Signs the automatic failover controller\'s synthetic probe payments (X-Synthetic-Probe)',
        value: () => new Password(this, 'probe-key', { length: 48, special: false }).result,
      });
    }

    // prod must name an existing, delegated zone (config validation). A dev stack without one creates it: the first
    // deploy is then two-phase (README, "Fresh account"), because ACM validates through public DNS and waits for the
    // parent domain to delegate to name servers that only exist once the zone does.
    this.createdZone = config.dns.hostedZoneId
      ? undefined
      : new Route53Zone(this, 'zone', { provider: primaryCtx.provider, name: config.dns.zoneName, comment: 'Payments DR platform' });
    this.hostedZoneId = config.dns.hostedZoneId ?? this.createdZone!.zoneId;
    if (config.dns.hostedZoneId) {
      // Stacks deployed before prod required an existing zone created it here (`hostedZoneId: null`). Naming that
      // zone's id now must not destroy it (found by `npm run plan:upgrade -- --from 4306699 --config
      // config/prod.json`): Terraform forgets the old address and the zone stays in AWS (a `removed` block,
      // Terraform >= 1.7; a no-op where the address was never in state). cdktf 0.21 has no construct for it.
      TerraformStack.of(this).addOverride('removed', [{ from: 'aws_route53_zone.zone', lifecycle: { destroy: false } }]);
    }
    this.domainName = `${config.dns.apiRecordName}.${config.dns.zoneName}`;

    // Both certificates ask for the same name, so ACM asks for the identical validation record: it is created once.
    const certificate = (ctx: RegionContext) =>
      new AcmCertificate(this, `api-certificate-${ctx.role}`, {
        provider: ctx.provider,
        domainName: this.domainName,
        validationMethod: 'DNS',
        lifecycle: { createBeforeDestroy: true },
      });
    this.certificates = { primary: certificate(primaryCtx), dr: certificate(drCtx) };
    const validation = this.certificates.primary.domainValidationOptions.get(0);
    this.validationRecord = new Route53Record(this, 'api-certificate-validation', {
      provider: primaryCtx.provider,
      zoneId: this.hostedZoneId,
      name: validation.resourceRecordName,
      type: validation.resourceRecordType,
      records: [validation.resourceRecordValue],
      ttl: 300,
      allowOverwrite: true,
    });
  }

  /**
   * A secret in the primary region holding `value`, replicated to the DR region; both copies under our key. Its
   * version is `<id>-value`.
   */
  private replicatedSecret(props: ApiEdgeProps, id: string, secret: { name: string; description: string; value: () => string }): SecretsmanagerSecret {
    const { primary, dr, key, config } = props;
    const created = new SecretsmanagerSecret(this, id, {
      provider: primary.provider,
      name: secret.name,
      description: secret.description,
      kmsKeyId: key.keys.primary.arn,
      recoveryWindowInDays: config.protection.secretRecoveryWindowDays,
      replica: [{ region: dr.region, kmsKeyId: key.keys.dr.arn }],
    });
    new SecretsmanagerSecretVersion(this, `${id}-value`, { provider: primary.provider, secretId: created.id, secretString: secret.value() });
    return created;
  }

  /**
   * Lets a function of one site read the client key from that site's replica (`ApiClientKey`). The secret is
   * encrypted with the database key, whose `kms:Decrypt` such a function holds already (credentials' grantRead).
   */
  grantReadClientKey(site: RegionContext): PolicyStatement {
    return allow('ApiClientKey', ['secretsmanager:GetSecretValue'], [secretArnPattern(site, this.clientSecret.name)]);
  }

  /** Lets a function of one site read the synthetic-probe key from that site's replica (`SyntheticProbeKey`). */
  grantReadProbeKey(site: RegionContext): PolicyStatement {
    return allow('SyntheticProbeKey', ['secretsmanager:GetSecretValue'], [secretArnPattern(site, this.probeKeySecretName)]);
  }
}
