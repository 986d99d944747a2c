import { parseArgs, type ParseArgsConfig } from 'node:util';
import { errorText } from './aws';
import { EXIT_FAILED, EXIT_OK, EXIT_REFUSED, type Ctx, type ExitCode } from './context';
import { createRealDeps, type Deps } from './deps';
import { autoCommand, lockCommand } from './auto';
import { drillCommand } from './drill';
import { ConfigError, loadConfig, type PlatformConfig } from '../config';
import { failoverCommand } from './failover';
import { parseDuration } from './format';
import { reconcileCommand } from './reconcile';
import { loadOutputs, OutputsError, outputsPath, type Role } from './outputs';
import { preflightCommand } from './preflight';
import { statusCommand } from './status';
import { failbackCommand, switchoverCommand } from './switchover';

/** The DR operations CLI: `npm run dr -- <command> [flags]`. Exit codes: 0 ok, 1 failed, 2 refused or usage. */

export const USAGE = `Usage: npm run dr -- <command> [flags]

Commands:
  status       Writer region, RPO lag, health checks, DNS (or the accelerator's dials), DynamoDB and S3 replication (read-only)
  switchover   Planned move of the writer, no data loss (SwitchoverGlobalCluster), waits and verifies
  failover     The writer's region is down: promote the other (FailoverGlobalCluster, data loss allowed), fencing
               the failed region in parallel (best effort), designation set, config change printed
  failback     Back to the site active before a failover, once it rejoined as a secondary: switchover to it,
               designation restored, fence lifted, rds.global_db_rpo moved, config change printed
  preflight    Before a deploy: refuses (exit 1) when the live writer or designation differs from the config's
               activeRegion, a DR operation or fence is in place, or a fresh-account check fails (reads DR_CONFIG)
  drill        Moves the writer off the active site under continuous test traffic (optionally after an injected
               fault) and measures RTO, RPO and the error timeline from the client's side; JSON + Markdown report
  reconcile    After an unplanned failover: keep the old writer's final snapshot, restore it, compare its payments
               with the new writer's (missing, conflicting); CSV + JSON for finance; cleanup of the restore
  auto         Automatic failover: mode, kill switch and last run; --disable / --enable flip the kill switch
  lock         Take (or --release) the operation lock the automatic controller honours (deploys, DR operations; reads DR_CONFIG)

Common flags:
  --outputs <file>     stack outputs JSON (terraform output -json or cdktf --outputs-file); default $DR_OUTPUTS_FILE or cdktf.out/outputs.json
  --stack <name>       stack to read when the outputs file holds several
  --json               machine-readable result on stdout
  -h, --help

switchover:  --to primary|dr (default dr)  --timeout 15m  --poll-interval 10s  --max-lag 60s  --dry-run
             --global-db-rpo <s> (when no parameter group holds rds.global_db_rpo)  --restore-concurrency <n>
failover:    --confirm-data-loss (required)  --to primary|dr (default dr)  --timeout 15m  --poll-interval 10s  --dry-run
             --global-db-rpo <s>; run it from the surviving region: AWS_REGION must be set and must not be the failed region
failback:    --to primary|dr (default: the site that is not the writer)  and the switchover flags
preflight:   --synth-dir <dir> (default cdktf.out/stacks/<stack>); the config is DR_CONFIG (default: the dev defaults)
Re-running switchover, failover or failback after an interruption resumes it; it never starts a second operation.
switchover, failover and failback end by setting the accelerator's traffic dials (edge.mode "accelerator"); when the
Global Accelerator API (us-west-2 only) does not answer they still complete and print the commands to set them later.
auto:        --enable | --disable (the kill switch in the controller's region; failover.mode "automatic" only)
lock:        --operation <name> (default deploy)  --for 60m (the lock expires by itself)  --release (only the lock of --operation)
drill:       --mode switchover|failover (required)  --inject fis|none (default none: nothing injected)
             --rate 5 (payments/s)  --duration 10m  --baseline 30s  --max-in-flight 20  --request-timeout 10s
             --rto-timeout 10m  --decision-delay 0s (failover)  --report <file.json> (default dr-drill-<timestamp>.json, + .md)
             --timeout 15m  --poll-interval 10s  --max-lag 60s
             failover mode on prod (or an unknown profile): --allow-prod --confirm-prod <global cluster id>
             uses the API client key from the secret \`api-client-secret-name\` (read in the surviving region)
reconcile:   --snapshot <id> (default: newest rds:unplanned-global-failover-* of the old writer)  --old-cluster primary|dr
             --restored-cluster <id> (skip copy/restore)  --compare (needs RECONCILE_OLD_DATABASE_URL, RECONCILE_NEW_DATABASE_URL)
             --since <ISO time>  --page-size 1000  --out <dir>  --cleanup [--dry-run]

Durations: 500ms, 90s, 15m, 1h; a plain number is seconds.
Exit codes: 0 ok, 1 failed (see the message for the state the system is in), 2 refused or usage error.
`;

type Options = NonNullable<ParseArgsConfig['options']>;

const COMMON: Options = {
  outputs: { type: 'string' },
  stack: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
};
const WAITING: Options = { timeout: { type: 'string' }, 'poll-interval': { type: 'string' } };

const LIVE: Options = { 'global-db-rpo': { type: 'string' } };
const SWITCHOVER: Options = { ...COMMON, ...WAITING, ...LIVE, to: { type: 'string' }, 'max-lag': { type: 'string' }, 'dry-run': { type: 'boolean' }, 'restore-concurrency': { type: 'string' } };

const COMMANDS: Record<string, Options> = {
  status: COMMON,
  switchover: SWITCHOVER,
  failover: { ...COMMON, ...WAITING, ...LIVE, to: { type: 'string' }, 'confirm-data-loss': { type: 'boolean' }, 'dry-run': { type: 'boolean' } },
  failback: SWITCHOVER,
  preflight: { json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' }, 'synth-dir': { type: 'string' } },
  drill: {
    ...COMMON,
    ...WAITING,
    mode: { type: 'string' },
    inject: { type: 'string' },
    report: { type: 'string' },
    'rto-timeout': { type: 'string' },
    'max-lag': { type: 'string' },
    rate: { type: 'string' },
    duration: { type: 'string' },
    baseline: { type: 'string' },
    'max-in-flight': { type: 'string' },
    'request-timeout': { type: 'string' },
    'decision-delay': { type: 'string' },
    'allow-prod': { type: 'boolean' },
    'confirm-prod': { type: 'string' },
  },
  reconcile: {
    ...COMMON,
    ...WAITING,
    snapshot: { type: 'string' },
    'old-cluster': { type: 'string' },
    'restored-cluster': { type: 'string' },
    compare: { type: 'boolean' },
    since: { type: 'string' },
    'page-size': { type: 'string' },
    out: { type: 'string' },
    cleanup: { type: 'boolean' },
    'dry-run': { type: 'boolean' },
  },
  auto: { ...COMMON, enable: { type: 'boolean' }, disable: { type: 'boolean' } },
  lock: { help: { type: 'boolean', short: 'h' }, operation: { type: 'string' }, for: { type: 'string' }, release: { type: 'boolean' } },
};

class UsageError extends Error {}

function duration(values: Record<string, unknown>, name: string, fallbackMs: number): number {
  const v = values[name];
  if (v === undefined) return fallbackMs;
  const ms = parseDuration(String(v));
  if (ms === undefined) throw new UsageError(`--${name} "${String(v)}" is not a duration; use e.g. 90s, 15m or 1h`);
  return ms;
}

function oneOf<T extends string>(values: Record<string, unknown>, name: string, allowed: readonly T[], fallback?: T): T {
  const v = values[name] ?? fallback;
  if (v === undefined) throw new UsageError(`--${name} is required: ${allowed.join(' or ')}`);
  if (!(allowed as readonly unknown[]).includes(v)) throw new UsageError(`--${name} "${String(v)}" must be ${allowed.map((a) => `"${a}"`).join(' or ')}`);
  return v as T;
}

function number(values: Record<string, unknown>, name: string, fallback: number, min: number, max: number): number {
  const v = values[name];
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isFinite(n) || n < min || n > max) throw new UsageError(`--${name} "${String(v)}" must be a number from ${min} to ${max}`);
  return n;
}

function isoTime(values: Record<string, unknown>, name: string): Date {
  const v = String(values[name]);
  const d = new Date(v);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(v) || Number.isNaN(d.getTime())) throw new UsageError(`--${name} "${v}" is not an ISO time like 2025-01-15T12:00:00Z`);
  return d;
}

function whole(values: Record<string, unknown>, name: string, min: number): number | undefined {
  const v = values[name];
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new UsageError(`--${name} "${String(v)}" must be a whole number >= ${min}`);
  return n;
}

function role(values: Record<string, unknown>): Role {
  const v = values.to ?? 'dr';
  if (v !== 'primary' && v !== 'dr') throw new UsageError(`--to "${String(v)}" must be "primary" or "dr"`);
  return v;
}

/**
 * Entry point (`node scripts/run.js src/dr-cli/main.ts <command>`, tests with their own `deps`). With the real
 * dependencies it closes every AWS connection at the end: a call abandoned past its deadline must not keep the
 * process alive.
 */
export async function main(argv: readonly string[], deps?: Deps): Promise<ExitCode> {
  if (deps) return dispatch(argv, deps);
  const real = createRealDeps();
  try {
    return await dispatch(argv, real);
  } finally {
    real.aws.destroy?.();
  }
}

async function dispatch(argv: readonly string[], deps: Deps): Promise<ExitCode> {
  const err = (t: string) => deps.stderr.write(t.endsWith('\n') ? t : `${t}\n`);
  const [command, ...rest] = argv;
  if (command === undefined || command === 'help' || command === '--help' || command === '-h') {
    (command === undefined ? err : (t: string) => deps.stdout.write(t))(USAGE);
    return command === undefined ? EXIT_REFUSED : EXIT_OK;
  }
  const options = COMMANDS[command];
  if (!options) {
    err(`unknown command "${command}"; use one of: ${Object.keys(COMMANDS).join(', ')}\n\n${USAGE}`);
    return EXIT_REFUSED;
  }
  let values: Record<string, unknown>;
  try {
    ({ values } = parseArgs({ args: [...rest], options, strict: true, allowPositionals: false }));
  } catch (e) {
    err(`${command}: ${(e as Error).message}\n\n${USAGE}`);
    return EXIT_REFUSED;
  }
  if (values.help) {
    deps.stdout.write(USAGE);
    return EXIT_OK;
  }

  // Commands that work from the config being deployed (DR_CONFIG), not from the stack outputs: a bad config refuses.
  const withConfig = async (run: (config: PlatformConfig) => Promise<ExitCode>): Promise<ExitCode> => {
    let config: PlatformConfig;
    try {
      config = loadConfig(deps.env as NodeJS.ProcessEnv);
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      err(e.message);
      return EXIT_REFUSED;
    }
    try {
      return await run(config);
    } catch (e) {
      err(`${command} failed unexpectedly: ${errorText(e)}`);
      return EXIT_FAILED;
    }
  };

  if (command === 'lock') {
    return withConfig(async (config) => {
      const forMs = values.for === undefined ? 60 * 60_000 : parseDuration(String(values.for));
      if (forMs === undefined || forMs <= 0) {
        err(`lock: --for "${String(values.for)}" is not a duration; use e.g. 45m or 2h`);
        return EXIT_REFUSED;
      }
      return lockCommand(deps, config, { operation: String(values.operation ?? 'deploy'), forMs, release: values.release === true });
    });
  }

  if (command === 'preflight') {
    return withConfig((config) =>
      preflightCommand(deps, config, deps.env.DR_CONFIG ?? 'the embedded defaults (DR_CONFIG unset)', values.json === true, {
        synthDir: values['synth-dir'] as string | undefined,
      }),
    );
  }

  let ctx: Ctx;
  try {
    const path = outputsPath(values.outputs as string | undefined, deps.env, deps.cwd);
    ctx = { deps, outputs: loadOutputs(path, deps.readFile, values.stack as string | undefined), json: values.json === true };
  } catch (e) {
    if (e instanceof OutputsError) {
      err(e.message);
      return EXIT_REFUSED;
    }
    throw e;
  }

  try {
    const poll = () => duration(values, 'poll-interval', 10_000);
    switch (command) {
      case 'status':
        return await statusCommand(ctx);
      case 'switchover':
      case 'failback': {
        const opts = {
          timeoutMs: duration(values, 'timeout', 15 * 60_000),
          pollMs: poll(),
          maxLagMs: duration(values, 'max-lag', 60_000),
          dryRun: values['dry-run'] === true,
          globalDbRpoSeconds: whole(values, 'global-db-rpo', 20),
          restoreConcurrency: whole(values, 'restore-concurrency', 1),
        };
        if (command === 'failback') return await failbackCommand(ctx, { ...opts, to: values.to === undefined ? undefined : role(values) });
        return await switchoverCommand(ctx, { ...opts, to: role(values) });
      }
      case 'failover':
        return await failoverCommand(ctx, {
          to: role(values),
          confirmDataLoss: values['confirm-data-loss'] === true,
          globalDbRpoSeconds: whole(values, 'global-db-rpo', 20),
          timeoutMs: duration(values, 'timeout', 15 * 60_000),
          pollMs: poll(),
          dryRun: values['dry-run'] === true,
        });
      case 'drill':
        return await drillCommand(ctx, {
          mode: oneOf(values, 'mode', ['switchover', 'failover'] as const),
          inject: oneOf(values, 'inject', ['none', 'fis'] as const, 'none'),
          reportPath: values.report as string | undefined,
          timeoutMs: duration(values, 'timeout', 15 * 60_000),
          rtoTimeoutMs: duration(values, 'rto-timeout', 10 * 60_000),
          pollMs: poll(),
          maxLagMs: duration(values, 'max-lag', 60_000),
          ratePerSecond: number(values, 'rate', 5, 0.1, 100),
          durationMs: duration(values, 'duration', 10 * 60_000),
          baselineMs: duration(values, 'baseline', 30_000),
          maxInFlight: number(values, 'max-in-flight', 20, 1, 200),
          requestTimeoutMs: duration(values, 'request-timeout', 10_000),
          decisionDelayMs: /^0(ms|s|m|h)?$/.test(String(values['decision-delay'] ?? '')) ? 0 : duration(values, 'decision-delay', 0),
          allowProd: values['allow-prod'] === true,
          confirmProd: values['confirm-prod'] as string | undefined,
        });
      case 'reconcile':
        return await reconcileCommand(ctx, {
          snapshotId: values.snapshot as string | undefined,
          oldRole: values['old-cluster'] === undefined ? undefined : oneOf(values, 'old-cluster', ['primary', 'dr'] as const),
          restoredCluster: values['restored-cluster'] as string | undefined,
          compare: values.compare === true,
          since: values.since === undefined ? undefined : isoTime(values, 'since'),
          pageSize: number(values, 'page-size', 1000, 10, 100_000),
          outDir: values.out as string | undefined,
          cleanup: values.cleanup === true,
          dryRun: values['dry-run'] === true,
          timeoutMs: duration(values, 'timeout', 60 * 60_000),
          pollMs: poll(),
        });
      case 'auto':
        return await autoCommand(ctx, { enable: values.enable === true, disable: values.disable === true });
      default:
        return EXIT_REFUSED;
    }
  } catch (e) {
    if (e instanceof UsageError) {
      err(`${command}: ${e.message}`);
      return EXIT_REFUSED;
    }
    // A bug or an unexpected error: say so plainly; the commands catch AWS errors where state matters.
    err(`${command} failed unexpectedly: ${errorText(e)}\nrun \`npm run dr -- status\` to see the current state`);
    return EXIT_FAILED;
  }
}

