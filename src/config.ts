import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { parseDocument } from 'yaml';
import { capacity, cidrsOverlap, parseCidr } from './cidr';
import { API_DEFAULTS, AURORA_DEFAULTS, AURORA_MAX_ACU, AURORA_MIN_ACU, AURORA_MIN_MAJOR_VERSION, WAF_MIN_RATE_LIMIT, auroraMajorVersion } from './defaults';
import { powertoolsLayerProblem } from './powertools-layer';
import { AWS_REGIONS, ROUTE53_METRICS_RULE, isAwsRegion, route53MetricsSite } from './aws-regions';

/**
 * The platform's configuration: the schema, the embedded `dev` defaults, the profile-derived settings, and the
 * loader that merges `DR_CONFIG` and CI environment variables over the defaults.
 *
 * Validation reports every problem at once, each naming the field, the value given and what would be valid, and
 * runs before the cdktf `App` exists, so bad config never writes anything.
 */

/** Values CloudWatch Logs accepts for `retention_in_days` (PutRetentionPolicy). */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

/** Interface endpoints the platform knows how to create (service name suffix after `com.amazonaws.<region>.`). */
export const INTERFACE_ENDPOINT_SERVICES = ['secretsmanager', 'ssm', 'kms', 'sts', 'logs', 'monitoring', 'xray'] as const;

/**
 * Longest environment suffix: the longest physical name we build is the S3 bucket
 * `<prefix>-<suffix>-<purpose>-<account id>-<region>` (S3 allows 63 characters), see `naming.ts`.
 */
export const MAX_SUFFIX_LENGTH = 12;
export const MAX_PREFIX_LENGTH = 6;

const DNS_LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
const EMAIL = /^[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}$/;

/** A string restricted to `values` that fails "softly", so sibling and cross-field checks still report. */
function oneOf<T extends string>(values: readonly T[], what: string) {
  return z
    .string()
    .refine((v) => (values as readonly string[]).includes(v), {
      message: `is not a valid ${what}; use one of: ${values.join(', ')}`,
    })
    .transform((v) => v as T);
}

function numberIn<T extends number>(values: readonly T[], what: string) {
  return z
    .number()
    .refine((v) => (values as readonly number[]).includes(v), {
      message: `is not a valid ${what}; use one of: ${values.join(', ')}`,
    })
    .transform((v) => v as T);
}

const name = (pattern: RegExp, rule: string, max: number) =>
  z
    .string()
    .max(max, { message: `is longer than ${max} characters (${rule})` })
    .regex(pattern, { message: `must be ${rule}` });

const pagerSubscriptionSchema = z
  .object({
    protocol: z.enum(['https', 'sms']),
    endpoint: z.string().min(1),
  })
  .strict()
  .superRefine((s, ctx) => {
    if (s.protocol === 'https' && !/^https:\/\/[^\s/]+(\/\S*)?$/.test(s.endpoint)) {
      ctx.addIssue({ code: 'custom', path: ['endpoint'], message: 'must be an https:// URL (SNS HTTPS subscriptions confirm through it)' });
    }
    if (s.protocol === 'sms' && !/^\+[1-9]\d{6,14}$/.test(s.endpoint)) {
      ctx.addIssue({ code: 'custom', path: ['endpoint'], message: 'must be a phone number in E.164 form like "+14155550100"' });
    }
  });

const regionSchema = z
  .object({
    region: z
      .string()
      .refine(isAwsRegion, {
        message: `is not an AWS region this stack supports; use one of: ${AWS_REGIONS.join(', ')}`,
      })
      .superRefine((region, ctx) => {
        // Every function carries the Powertools layer, which is not published in every region.
        const problem = powertoolsLayerProblem(region);
        if (problem) ctx.addIssue({ code: 'custom', message: `cannot host the Lambda functions: ${problem}` });
      }),
    availabilityZones: z
      .array(z.string())
      .min(2, { message: 'needs at least 2 availability zones (Aurora and NAT/subnet redundancy need two)' })
      .max(6, { message: 'may list at most 6 availability zones' }),
    vpcCidr: z.string().superRefine((v, ctx) => {
      const parsed = parseCidr(v);
      if (typeof parsed === 'string') ctx.addIssue({ code: 'custom', message: parsed });
      else if (parsed.prefixLength < 16 || parsed.prefixLength > 28) {
        ctx.addIssue({ code: 'custom', message: 'must have a prefix length between /16 and /28 (AWS VPC limits)' });
      }
    }),
  })
  .strict()
  .superRefine((r, ctx) => {
    const seen = new Set<string>();
    r.availabilityZones.forEach((az, i) => {
      if (!new RegExp(`^${r.region}[a-z]$`).test(az)) {
        ctx.addIssue({
          code: 'custom',
          path: ['availabilityZones', i],
          message: `is not an availability zone of ${r.region}; use names like "${r.region}a"`,
        });
      }
      if (seen.has(az)) {
        ctx.addIssue({ code: 'custom', path: ['availabilityZones', i], message: 'is listed twice; list each zone once' });
      }
      seen.add(az);
    });
  });

export const configSchema = z
  .object({
    /** Short product prefix of every physical name. */
    namePrefix: name(/^[a-z][a-z0-9]*$/, 'lowercase letters and digits, starting with a letter', MAX_PREFIX_LENGTH),
    /** Distinguishes environments in one account (`dev`, `pr123`, `prod`). */
    environmentSuffix: name(
      /^[a-z](?!.*--)[a-z0-9-]*[a-z0-9]$|^[a-z]$/,
      'lowercase letters, digits and single hyphens, starting with a letter and not ending with a hyphen (S3 bucket and RDS identifier rules)',
      MAX_SUFFIX_LENGTH,
    ),
    /** `prod` protects what holds data; `dev` is fully destroyable. Never guessed from the suffix. */
    profile: oneOf(['dev', 'prod'] as const, 'profile'),
    accountId: z.string().regex(/^\d{12}$/, { message: 'must be a 12-digit AWS account id' }),
    costCenter: z.string().min(1).max(128).regex(/^[\p{L}\p{N}\s_.:/=+\-@]*$/u, {
      message: 'may contain only letters, digits, spaces and _ . : / = + - @ (AWS tag value rules)',
    }),
    regions: z.object({ primary: regionSchema, dr: regionSchema }).strict(),
    /**
     * Which of the two configured sites is active: holds the Aurora writer, takes traffic (the PRIMARY DNS
     * record) and runs what follows the writer (backups, `rds.global_db_rpo`). `regions.primary`/`regions.dr`
     * stay the names of the sites; after a switchover or failover the DR CLI prints the change of this key to
     * commit. @default 'primary'
     */
    activeRegion: z.enum(['primary', 'dr']).default('primary'),
    network: z
      .object({
        /** Prefix length of every subnet; each VPC holds public, private and isolated subnets in every zone. */
        subnetPrefixLength: z.number().int().min(16).max(28),
        /** `single` (one NAT per region) or `one-per-az`. @default by profile: dev `single`, prod `one-per-az` */
        natGateways: oneOf(['single', 'one-per-az'] as const, 'NAT gateway mode').optional(),
        /** Interface endpoints in the private subnets, so the Lambdas reach AWS APIs without the internet. */
        interfaceEndpoints: z.array(oneOf(INTERFACE_ENDPOINT_SERVICES, 'interface endpoint service')),
      })
      .strict(),
    /** Retention of every log group. @default by profile: dev 30, prod 365 */
    logRetentionDays: numberIn(LOG_RETENTION_DAYS, 'CloudWatch Logs retention').optional(),
    dns: z
      .object({
        /** The zone that serves the API name, e.g. `payments.example.com`. */
        zoneName: z
          .string()
          .max(253)
          .refine((v) => v.split('.').length >= 2 && v.split('.').every((l) => DNS_LABEL.test(l)), {
            message: 'must be a lowercase DNS name like "payments.example.com"',
          }),
        /**
         * An existing public hosted zone, already delegated from the parent domain (the bootstrap's `hostedZones`
         * creates one and prints its name servers). `null` (dev profile only) creates the zone in the stack: the
         * first deploy is then two-phase (README, "Fresh account"), because ACM DNS validation waits for a
         * delegation to name servers that exist only once the zone does.
         */
        hostedZoneId: z
          .string()
          .regex(/^Z[A-Z0-9]{1,31}$/, { message: 'must be a Route 53 hosted zone id like "Z0123456789ABCDEFGHIJ"' })
          .nullable(),
        /**
         * Label of the failover API name inside the zone: `api` → `api.<zoneName>`. `null` derives
         * `api-<environmentSuffix>`, so environments sharing a zone (and an account) never claim the same name.
         */
        apiRecordName: z.string().regex(DNS_LABEL, { message: 'must be one lowercase DNS label like "api"' }).nullable(),
        /** Route 53 health check request interval: 10 (fast) or 30 seconds; immutable once created. */
        healthCheckIntervalSeconds: numberIn([10, 30] as const, 'Route 53 health check interval'),
        /** Consecutive failed checks before a region counts as down (1-10). */
        healthCheckFailureThreshold: z.number().int().min(1).max(10),
        /**
         * TTL of the failover records (non-alias CNAMEs to each region's API domain, so the TTL is ours): how
         * long resolvers may keep answering with the old region after DNS flips (10-300 s). @default 30
         */
        recordTtlSeconds: z.number().int().min(10).max(300).default(30),
      })
      .strict(),
    edge: z
      .object({
        /**
         * How clients reach the API: `dns` (Route 53 failover records in front of the regional API Gateways) or
         * `accelerator` (Global Accelerator's static anycast IPs in front of an internal Application Load Balancer
         * per region, traffic dials following `activeRegion`).
         */
        mode: oneOf(['dns', 'accelerator'] as const, 'edge mode'),
        /** The ALB target groups' health check on the deep `/health` (accelerator mode). */
        healthCheck: z
          .object({
            /** Seconds between checks (ALB: 5-300; for Lambda targets it must exceed the function timeout, 10 s for payments). */
            intervalSeconds: z.number().int().min(5).max(300),
            /** Seconds to wait for an answer (ALB: 2-120; must be below the interval). */
            timeoutSeconds: z.number().int().min(2).max(120),
            /** Consecutive passes before a target counts as healthy (ALB: 2-10). */
            healthyThreshold: z.number().int().min(2).max(10),
            /** Consecutive failures before a target counts as unhealthy (ALB: 2-10). */
            unhealthyThreshold: z.number().int().min(2).max(10),
          })
          .strict(),
      })
      .strict(),
    api: z
      .object({
        /** Reserved concurrency of the payment function per region: bounds database connections. */
        paymentConcurrency: z.number().int().min(1).max(1000),
        /** Reserved concurrency of the health-check function per region. */
        healthConcurrency: z.number().int().min(1).max(100),
        /** API Gateway stage and usage-plan throttling (requests per second, burst). */
        throttleRateLimit: z.number().positive().max(10000),
        throttleBurstLimit: z.number().int().min(1).max(5000),
        /** WAF rate-based rule: requests per 5 minutes per client IP (AWS minimum 10). */
        wafRateLimit: z.number().int().min(WAF_MIN_RATE_LIMIT).max(2000000000),
        /**
         * Provisioned concurrency of the payment function in each region (0: none). Keeps execution environments
         * initialized on the passive site, so the first payments after a failover meet no cold start.
         */
        paymentProvisionedConcurrency: z.number().int().min(0).max(1000).default(0),
      })
      .strict(),
    database: z
      .object({
        /** aurora-postgresql version, the same in both regions. */
        engineVersion: z.string().refine((v) => (auroraMajorVersion(v) ?? 0) >= AURORA_MIN_MAJOR_VERSION, {
          message: `must be an aurora-postgresql version ${AURORA_MIN_MAJOR_VERSION}.x or later like "${AURORA_DEFAULTS.engineVersion}" (Serverless v2 in a global database)`,
        }),
        /** Serverless v2 ACUs per instance. Global clusters never auto-pause, so at least 0.5. */
        minCapacity: z.number().min(AURORA_MIN_ACU, { message: `must be at least ${AURORA_MIN_ACU} ACU: a global database never auto-pauses` }).max(AURORA_MAX_ACU),
        maxCapacity: z.number().min(1).max(AURORA_MAX_ACU, { message: `must be at most ${AURORA_MAX_ACU} ACUs (the Serverless v2 maximum)` }),
        /** Instances of the primary cluster (writer + readers in different zones). @default by profile: dev 1, prod 2 */
        primaryInstances: z.number().int().min(1).max(16).optional(),
        /** Instances of the DR cluster. */
        drInstances: z.number().int().min(1).max(16),
        /** Automated backup retention (1-35 days). */
        backupRetentionDays: z.number().int().min(1).max(35),
        /** Log statements slower than this (ms). */
        slowQueryMs: z.number().int().min(-1),
        /** Rotate the master password every N days (Secrets Manager rotation, 1-1000). */
        rotationDays: z.number().int().min(1).max(1000),
      })
      .strict(),
    backup: z
      .object({
        /** AWS Backup schedule (cron in UTC). */
        schedule: z.string().regex(/^cron\(.+\)$|^rate\(.+\)$/, { message: 'must be a schedule expression like "cron(0 5 * * ? *)"' }),
        /** Days a backup is kept in the primary vault. */
        retentionDays: z.number().int().min(1).max(36500),
        /** Days the cross-region copy is kept in the DR vault. */
        copyRetentionDays: z.number().int().min(1).max(36500),
      })
      .strict(),
    objectives: z
      .object({
        /** Recovery time objective: payments accepted again after losing the primary region. */
        rtoSeconds: z.number().int().positive(),
        /** Recovery point objective for payment data; sets Aurora's rds.global_db_rpo. */
        rpoSeconds: z.number().int().positive(),
        /** Recovery point objective for S3 objects (RTC guarantees 900 s). */
        objectStorageRpoSeconds: z.number().int().positive(),
        /** Time the on-call needs from the alarm to running the failover. */
        failoverDecisionSeconds: z.number().int().min(0),
      })
      .strict(),
    /** Payment events: EventBridge buses, global endpoint, consumer queues, archives, outbox sweep. */
    events: z
      .object({
        /** Days each bus's archive keeps every payment event for replay (EventBridge archive retention). */
        archiveRetentionDays: z.number().int().min(1).max(3650),
        /** How long an undelivered message stays in each consumer queue (SQS: 60 s to 14 days). */
        queueRetentionSeconds: z.number().int().min(60).max(1_209_600),
        /** Receives before a message moves to the consumer queue's dead-letter queue (SQS redrive). */
        maxReceiveCount: z.number().int().min(1).max(1000),
        /** Minutes between outbox sweeps (events not sent right after their payment's commit). */
        sweepIntervalMinutes: z.number().int().min(1).max(60),
      })
      .strict(),
    alerts: z
      .object({
        emails: z
          .array(z.string().regex(EMAIL, { message: 'is not an e-mail address' }))
          .min(1, { message: 'needs at least one address: alarms without a recipient are silent' }),
        /**
         * Pager subscriptions beyond e-mail, on the pager topic of each region and on the alert topics (Route 53
         * health alarms in us-east-1, RPO and replication alarms): an incident tool's HTTPS endpoint, SMS numbers
         * (E.164).
         */
        subscriptions: z.array(pagerSubscriptionSchema).max(20).default([]),
      })
      .strict(),
    failover: z
      .object({
        /**
         * `manual`: the prober pages and an operator runs `npm run dr -- failover`. `automatic`: a Step Functions
         * controller in each region; the passive region's fails over by itself (guarded by a kill switch, a cool-down
         * and the Route 53 view), the active region's is inert.
         */
        mode: z.enum(['manual', 'automatic']).default('manual'),
        /** Seconds between two probes of the prober (it checks the other region and its own site). */
        probeIntervalSeconds: z.number().int().min(5).max(30).default(10),
        /** Time one probe may take before it counts as failed (below the interval). */
        probeTimeoutSeconds: z.number().int().min(1).max(10).default(3),
        /** Consecutive failed probes of the other region before it counts as down (2-10: one failure never fails over). */
        probeFailureThreshold: z.number().int().min(2).max(10).default(3),
        /** No automatic failover within this many seconds after any failover (prevents ping-pong). */
        cooldownSeconds: z.number().int().min(300).max(604800).default(3600),
        /**
         * Promotion deadline of the controller (and the report's bound for Aurora promotion): AWS gives no
         * guaranteed figure; past it the controller pages "promotion overdue" and keeps waiting.
         */
        promotionBudgetSeconds: z.number().int().min(30).max(1800).default(60),
        /** Manual mode: the on-call policy's page acknowledgement time (counted in the DR report). */
        manualAcknowledgeSeconds: z.number().int().min(0).max(86400).default(900),
        /** Manual mode: time for the second person the runbook requires to confirm a failover. */
        manualSecondPersonSeconds: z.number().int().min(0).max(86400).default(600),
      })
      .strict()
      .default({}),
    stateBackend: z
      .object({
        bucket: z
          .string()
          .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, { message: 'is not a valid S3 bucket name (3-63 lowercase letters, digits, dots, hyphens)' }),
        region: z.string().refine(isAwsRegion, { message: 'is not an AWS region this stack supports' }),
        /** State object key is `<keyPrefix>/<environmentSuffix>/terraform.tfstate`. */
        keyPrefix: z.string().regex(/^[A-Za-z0-9!_.*'()-]+(\/[A-Za-z0-9!_.*'()-]+)*$/, {
          message: 'must be a relative S3 key prefix without leading or trailing "/"',
        }),
        /** KMS key (ARN) that encrypts the state object (the bootstrap's `state-kms-key-arn`); null: SSE-S3. */
        kmsKeyArn: z
          .string()
          .regex(/^arn:aws:kms:[a-z0-9-]+:\d{12}:key\/[A-Za-z0-9-]+$/, { message: 'must be a KMS key ARN like "arn:aws:kms:us-east-1:123456789012:key/<id>"' })
          .nullable(),
      })
      .strict(),
  })
  .strict()
  .superRefine((c, ctx) => {
    const { primary, dr } = c.regions;
    if (primary.region === dr.region) {
      ctx.addIssue({
        code: 'custom',
        path: ['regions', 'dr', 'region'],
        message: `is the same as regions.primary.region; the DR region must be a different region (e.g. "${primary.region === 'us-west-2' ? 'us-east-1' : 'us-west-2'}")`,
      });
    }
    if (c.failover.probeTimeoutSeconds >= c.failover.probeIntervalSeconds) {
      ctx.addIssue({
        code: 'custom',
        path: ['failover', 'probeTimeoutSeconds'],
        message: `must be below failover.probeIntervalSeconds (${c.failover.probeIntervalSeconds}); a probe must finish before the next one starts`,
      });
    }
    if (c.api.paymentProvisionedConcurrency > c.api.paymentConcurrency) {
      ctx.addIssue({
        code: 'custom',
        path: ['api', 'paymentProvisionedConcurrency'],
        message: `is above api.paymentConcurrency (${c.api.paymentConcurrency}); provisioned concurrency must fit in the reserved concurrency`,
      });
    }
    if (c.edge.healthCheck.timeoutSeconds >= c.edge.healthCheck.intervalSeconds) {
      ctx.addIssue({
        code: 'custom',
        path: ['edge', 'healthCheck', 'timeoutSeconds'],
        message: `must be below edge.healthCheck.intervalSeconds (${c.edge.healthCheck.intervalSeconds}); Elastic Load Balancing refuses a timeout that is not shorter than the interval`,
      });
    }
    if (c.database.maxCapacity < c.database.minCapacity) {
      ctx.addIssue({
        code: 'custom',
        path: ['database', 'maxCapacity'],
        message: `is below database.minCapacity (${c.database.minCapacity}); raise maxCapacity or lower minCapacity`,
      });
    }
    if (c.profile === 'prod' && c.database.primaryInstances !== undefined && c.database.primaryInstances < 2) {
      ctx.addIssue({
        code: 'custom',
        path: ['database', 'primaryInstances'],
        message: 'must be at least 2 in the prod profile (a writer and a reader in different zones)',
      });
    }
    if (c.profile === 'prod' && c.dns.hostedZoneId === null) {
      ctx.addIssue({
        code: 'custom',
        path: ['dns', 'hostedZoneId'],
        message: `creates the zone inside the stack; prod needs an existing public zone for "${c.dns.zoneName}" already delegated from its parent domain, or ACM DNS validation waits (up to 75 minutes) on a delegation nobody has made. Create it once (bootstrap "hostedZones", or by hand), add its NS records to the parent domain, and set its id here (e.g. "Z0123456789ABCDEFGHIJ")`,
      });
    }
    if (c.profile !== 'prod' && c.dns.apiRecordName !== null && !c.dns.apiRecordName.includes(c.environmentSuffix)) {
      ctx.addIssue({
        code: 'custom',
        path: ['dns', 'apiRecordName'],
        message: `does not contain the environment suffix "${c.environmentSuffix}": another environment in the same zone and account could claim the same API name (an API Gateway custom domain name exists once per region and account); use null (derives "api-${c.environmentSuffix}") or a label containing "${c.environmentSuffix}"`,
      });
    }
    if (route53MetricsSite({ primary: primary.region, dr: dr.region }) === undefined && isAwsRegion(primary.region) && isAwsRegion(dr.region)) {
      ctx.addIssue({ code: 'custom', path: ['regions'], message: `has neither region in us-east-1; ${ROUTE53_METRICS_RULE}` });
    }
    const pc = parseCidr(primary.vpcCidr);
    const dc = parseCidr(dr.vpcCidr);
    if (typeof pc !== 'string' && typeof dc !== 'string' && cidrsOverlap(pc, dc)) {
      ctx.addIssue({
        code: 'custom',
        path: ['regions', 'dr', 'vpcCidr'],
        message: `overlaps regions.primary.vpcCidr "${primary.vpcCidr}"; peered VPCs need disjoint ranges (e.g. "10.1.0.0/16")`,
      });
    }
    for (const [key, r, cidr] of [['primary', primary, pc], ['dr', dr, dc]] as const) {
      if (typeof cidr === 'string') continue;
      const needed = 3 * r.availabilityZones.length;
      const room = capacity(cidr, c.network.subnetPrefixLength);
      if (room < needed) {
        ctx.addIssue({
          code: 'custom',
          path: ['regions', key, 'vpcCidr'],
          message: `is too small for ${needed} subnets of /${c.network.subnetPrefixLength} (3 tiers × ${r.availabilityZones.length} zones; it holds ${room}); use a larger VPC or a longer network.subnetPrefixLength`,
        });
      }
    }
  });

/** Configuration as written in `config/*.json` (profile-derived fields may be omitted). */
export type PlatformConfigInput = z.input<typeof configSchema>;

/** Settings derived from the profile: what protects data in `prod` and keeps `dev` destroyable. */
export interface Protection {
  /** RDS / DynamoDB deletion protection. */
  readonly deletionProtection: boolean;
  /** Terraform `lifecycle.prevent_destroy` on stores of data. */
  readonly preventDestroy: boolean;
  /** Take a final snapshot before deleting a database cluster. */
  readonly finalSnapshot: boolean;
  /** Let `terraform destroy` empty buckets (dev only). */
  readonly forceDestroyBuckets: boolean;
  /** KMS key deletion waiting period in days (7-30). */
  readonly kmsDeletionWindowDays: number;
  /**
   * Days Secrets Manager keeps a deleted secret recoverable: 0 deletes at once (ForceDeleteWithoutRecovery), so a
   * destroyed dev environment can be created again; with 7-30 the name stays taken ("a secret with this name is
   * already scheduled for deletion", terraform-provider-aws issue #10259).
   */
  readonly secretRecoveryWindowDays: number;
}

export type RegionConfig = z.output<typeof regionSchema>;

/** Validated, fully resolved configuration. */
type ParsedConfig = z.output<typeof configSchema>;
export type PlatformConfig = Omit<ParsedConfig, 'network' | 'logRetentionDays' | 'database' | 'dns'> & {
  readonly dns: Omit<ParsedConfig['dns'], 'apiRecordName'> & {
    /** The label of the API name in the zone (resolved: `api-<environmentSuffix>` when the file says null). */
    readonly apiRecordName: string;
  };
  readonly network: Omit<ParsedConfig['network'], 'natGateways'> & {
    readonly natGateways: 'single' | 'one-per-az';
  };
  readonly database: Omit<ParsedConfig['database'], 'primaryInstances'> & { readonly primaryInstances: number };
  readonly logRetentionDays: (typeof LOG_RETENTION_DAYS)[number];
  readonly protection: Protection;
};

/** The embedded default: a complete `dev` environment (mirrored, spelled out, by `config/dev.json`). */
export const DEFAULT_CONFIG: PlatformConfigInput = {
  namePrefix: 'pay',
  environmentSuffix: 'dev',
  profile: 'dev',
  accountId: '123456789012',
  costCenter: 'payments-platform',
  regions: {
    primary: { region: 'us-east-1', availabilityZones: ['us-east-1a', 'us-east-1b', 'us-east-1c'], vpcCidr: '10.0.0.0/16' },
    dr: { region: 'us-west-2', availabilityZones: ['us-west-2a', 'us-west-2b', 'us-west-2c'], vpcCidr: '10.1.0.0/16' },
  },
  activeRegion: 'primary',
  network: { subnetPrefixLength: 20, interfaceEndpoints: ['secretsmanager', 'ssm', 'kms'] },
  dns: {
    zoneName: 'payments.example.com',
    hostedZoneId: null,
    apiRecordName: null,
    healthCheckIntervalSeconds: 10,
    healthCheckFailureThreshold: 3,
    recordTtlSeconds: 30,
  },
  edge: { mode: 'dns', healthCheck: { intervalSeconds: 15, timeoutSeconds: 5, healthyThreshold: 3, unhealthyThreshold: 2 } },
  // The constructs' own defaults (src/defaults.ts), so a construct built without these props matches dev.
  api: { paymentConcurrency: 50, healthConcurrency: 5, ...API_DEFAULTS, paymentProvisionedConcurrency: 0 },
  database: {
    engineVersion: AURORA_DEFAULTS.engineVersion,
    minCapacity: AURORA_DEFAULTS.minCapacity,
    maxCapacity: AURORA_DEFAULTS.maxCapacity,
    drInstances: AURORA_DEFAULTS.drInstanceCount,
    backupRetentionDays: AURORA_DEFAULTS.backupRetentionDays,
    slowQueryMs: AURORA_DEFAULTS.slowQueryMs,
    rotationDays: 30,
  },
  backup: { schedule: 'cron(0 5 * * ? *)', retentionDays: 35, copyRetentionDays: 35 },
  objectives: { rtoSeconds: 1800, rpoSeconds: 60, objectStorageRpoSeconds: 900, failoverDecisionSeconds: 300 },
  events: { archiveRetentionDays: 30, queueRetentionSeconds: 1_209_600, maxReceiveCount: 5, sweepIntervalMinutes: 1 },
  alerts: { emails: ['payments-oncall@example.com'], subscriptions: [] },
  failover: { mode: 'manual', probeIntervalSeconds: 10, probeTimeoutSeconds: 3, probeFailureThreshold: 3, cooldownSeconds: 3600, promotionBudgetSeconds: 60, manualAcknowledgeSeconds: 900, manualSecondPersonSeconds: 600 },
  stateBackend: { bucket: 'pay-terraform-state-123456789012', region: 'us-east-1', keyPrefix: 'payments-dr', kmsKeyArn: null },
};

export class ConfigError extends Error {
  constructor(public readonly problems: readonly string[], source: string) {
    super(`Invalid configuration (${source}), ${problems.length} problem(s):\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

function valueAt(input: unknown, path: readonly (string | number)[]): unknown {
  let v: unknown = input;
  for (const key of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string | number, unknown>)[key];
  }
  return v;
}

/**
 * One zod issue as `field: <value given> <what would be valid>`; unknown keys and missing values point at
 * `example`, the file that spells out every valid key.
 */
export function formatZodIssue(issue: z.ZodIssue, input: unknown, example: string): string {
  const field = issue.path.join('.') || '(root)';
  if (issue.code === 'unrecognized_keys') {
    return `${field === '(root)' ? '' : `${field}: `}unknown key(s) ${issue.keys.map((k) => `"${k}"`).join(', ')}: remove or fix the spelling (see ${example} for every valid key)`;
  }
  const value = valueAt(input, issue.path);
  if (value === undefined) return `${field}: missing; it is required (see ${example})`;
  return `${field}: ${JSON.stringify(value)} ${issue.message}`;
}

/** Validates `input` (already merged) and derives the profile settings; throws a ConfigError listing every problem. */
export function resolveConfig(input: unknown, source = 'config'): PlatformConfig {
  const result = configSchema.safeParse(input);
  if (!result.success) throw new ConfigError(result.error.issues.map((i) => formatZodIssue(i, input, 'config/dev.json')), source);
  const c = result.data;
  const prod = c.profile === 'prod';
  return {
    ...c,
    network: { ...c.network, natGateways: c.network.natGateways ?? (prod ? 'one-per-az' : 'single') },
    dns: { ...c.dns, apiRecordName: c.dns.apiRecordName ?? `api-${c.environmentSuffix}` },
    logRetentionDays: c.logRetentionDays ?? (prod ? 365 : 30),
    database: { ...c.database, primaryInstances: c.database.primaryInstances ?? (prod ? 2 : 1) },
    protection: {
      deletionProtection: prod,
      preventDestroy: prod,
      finalSnapshot: prod,
      forceDestroyBuckets: !prod,
      kmsDeletionWindowDays: prod ? 30 : 7,
      secretRecoveryWindowDays: prod ? 30 : 0,
    },
  };
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Deep merge for config: objects merge key by key, arrays and scalars in `override` replace. */
export function mergeConfig(base: unknown, override: unknown): unknown {
  if (!isPlainObject(base) || !isPlainObject(override)) return override === undefined ? base : override;
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(override)) out[k] = mergeConfig(base[k], v);
  return out;
}

/**
 * Keys repeated within one object of a JSON text, as `"name" (line N)`. `JSON.parse` silently keeps the last one: an
 * operator who edits the first `"activeRegion"` after a failover would deploy the other. The `yaml` parser (JSON is
 * YAML) reports them.
 */
export function repeatedKeys(text: string): string[] {
  const lines = text.split('\n');
  return parseDocument(text, { uniqueKeys: true })
    .errors.filter((e) => e.code === 'DUPLICATE_KEY')
    .map((e) => {
      const at = e.linePos?.[0];
      const key = at ? /"((?:[^"\\]|\\.)*)"/.exec((lines[at.line - 1] ?? '').slice(at.col - 1))?.[1] : undefined;
      return `"${key ?? '?'}"${at ? ` (line ${at.line})` : ''}`;
    });
}

/**
 * Loads the configuration: the embedded defaults, then the JSON file named by `DR_CONFIG`, then the CI variables
 * `ENVIRONMENT_SUFFIX`, `TERRAFORM_STATE_BUCKET` and `TERRAFORM_STATE_BUCKET_REGION`.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): PlatformConfig {
  let merged: unknown = DEFAULT_CONFIG;
  const sources = ['defaults'];
  if (env.DR_CONFIG) {
    let text: string;
    try {
      text = readFileSync(env.DR_CONFIG, 'utf8');
    } catch (e) {
      throw new ConfigError([`DR_CONFIG: cannot read "${env.DR_CONFIG}": ${(e as Error).message}`], 'DR_CONFIG');
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (e) {
      throw new ConfigError([`DR_CONFIG: "${env.DR_CONFIG}" is not valid JSON: ${(e as Error).message}`], 'DR_CONFIG');
    }
    if (!isPlainObject(parsed)) {
      throw new ConfigError([`DR_CONFIG: "${env.DR_CONFIG}" must hold a JSON object`], 'DR_CONFIG');
    }
    const repeated = repeatedKeys(text);
    if (repeated.length > 0) {
      throw new ConfigError(
        repeated.map((k) => `DR_CONFIG: "${env.DR_CONFIG}" repeats the key ${k}: JSON keeps only the last one, so an edit to the other is silently ignored; keep one`),
        'DR_CONFIG',
      );
    }
    merged = mergeConfig(merged, parsed);
    sources.push(env.DR_CONFIG);
  }
  const overrides: Record<string, unknown> = {};
  if (env.ENVIRONMENT_SUFFIX !== undefined) {
    overrides.environmentSuffix = env.ENVIRONMENT_SUFFIX;
    sources.push('ENVIRONMENT_SUFFIX');
  }
  const backend: Record<string, unknown> = {};
  if (env.TERRAFORM_STATE_BUCKET !== undefined) backend.bucket = env.TERRAFORM_STATE_BUCKET;
  if (env.TERRAFORM_STATE_BUCKET_REGION !== undefined) backend.region = env.TERRAFORM_STATE_BUCKET_REGION;
  if (Object.keys(backend).length > 0) {
    overrides.stateBackend = backend;
    sources.push('TERRAFORM_STATE_BUCKET*');
  }
  merged = mergeConfig(merged, overrides);
  return resolveConfig(merged, sources.join(' + '));
}
