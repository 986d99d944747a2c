import { join, resolve } from 'node:path';
import type { PlatformConfig } from '../config';
import {
  accountConcurrency,
  describeGlobalCluster,
  engineVersionForGlobal,
  errorText,
  functionArn,
  functionConcurrency,
  functionTags,
  hostedZone,
  isUnreachable,
  readDesignation,
  regionOfArn,
  type GlobalClusterView,
} from './aws';
import { EXIT_FAILED, EXIT_OK, type ExitCode } from './context';
import type { Deps } from './deps';
import { renderTable } from './format';
import { PRE_FENCE_TAG } from './live';
import { ENGINE, liveNames, type LiveNames, type SiteRole } from './live-names';

/**
 * `preflight`: run before every `cdktf deploy` and drift plan. Compares the live platform with the config about to
 * be deployed and refuses (exit 1) when a deploy would fight a DR operation: the live writer is not the config's
 * `activeRegion`, the designations disagree, an operation is in progress (global cluster not available, a failover
 * state, a fence on a payment function — a deploy resets reserved concurrency and would lift it). Then the
 * fresh-account checks AWS allows read-only (issue 14).
 */

export type CheckState = 'ok' | 'FAIL' | 'warn' | 'skip';

export interface PreflightCheck {
  readonly name: string;
  readonly region: string;
  readonly state: CheckState;
  readonly detail: string;
}

export interface PreflightReport {
  readonly config: string;
  readonly activeRegion: SiteRole;
  readonly checks: readonly PreflightCheck[];
  readonly ok: boolean;
}

export interface PreflightOptions {
  /** The synthesized stack directory (reserved concurrency totals). @default cdktf.out/stacks/<stack> */
  readonly synthDir?: string;
}

/**
 * What AWS keeps unreserved: "You can reserve up to the Unreserved account concurrency value that is shown, minus 100
 * for functions that don't have reserved concurrency" (Lambda developer guide, configuration-concurrency).
 */
export const UNRESERVED_MINIMUM = 100;

const unreachableText = (e: unknown) => `${isUnreachable(e) ? 'UNREACHABLE: ' : ''}${errorText(e)}`;

/** Reserved concurrency per region of the synthesized stack, or undefined when there is no synthesized stack. */
export function reservedFromSynth(deps: Deps, dir: string): Record<string, number> | undefined {
  let json: any;
  try {
    json = JSON.parse(deps.readFile(join(dir, 'cdk.tf.json')));
  } catch {
    return undefined;
  }
  const regionOfAlias = new Map<string, string>();
  for (const p of ([] as any[]).concat(json.provider?.aws ?? [])) if (p.alias) regionOfAlias.set(`aws.${p.alias}`, p.region);
  const totals: Record<string, number> = {};
  for (const fn of Object.values<any>(json.resource?.aws_lambda_function ?? {})) {
    const region = regionOfAlias.get(fn.provider);
    const n = fn.reserved_concurrent_executions;
    if (region && typeof n === 'number' && n > 0) totals[region] = (totals[region] ?? 0) + n;
  }
  return totals;
}

/** Without a synthesized stack: payment and health functions per region, plus the one rotation function. */
function reservedFromConfig(config: PlatformConfig): Record<string, number> {
  const per = config.api.paymentConcurrency + config.api.healthConcurrency;
  return { [config.regions.primary.region]: per + 1, [config.regions.dr.region]: per + 1 };
}

/** The role of the site whose cluster is the writer (matched by region and cluster id). */
function writerRole(view: GlobalClusterView, n: LiveNames): SiteRole | undefined {
  const w = view.members.find((m) => m.isWriter);
  if (!w) return undefined;
  return (['primary', 'dr'] as const).find((r) => regionOfArn(w.arn) === n[r].region && w.arn.endsWith(`:cluster:${n[r].clusterId}`));
}

async function readGlobal(deps: Deps, n: LiveNames): Promise<{ view?: GlobalClusterView; missing?: boolean; error?: string; from?: string }> {
  const reads = await Promise.allSettled([n.dr, n.primary].map((s) => describeGlobalCluster(deps.aws.inRegion(s.region).rds, n.globalClusterId)));
  const errors: string[] = [];
  let missing = false;
  for (const [i, r] of reads.entries()) {
    const region = [n.dr, n.primary][i].region;
    if (r.status === 'fulfilled') return { view: r.value, from: region };
    const name = (r.reason as Error)?.name;
    if (name === 'GlobalClusterNotFoundFault' || /not found/i.test(errorText(r.reason))) missing = true;
    else errors.push(`${region}: ${unreachableText(r.reason)}`);
  }
  return missing && errors.length === 0 ? { missing: true } : { error: errors.join('; ') || 'not found' };
}

export async function gatherPreflight(deps: Deps, config: PlatformConfig, source: string, opts: PreflightOptions = {}): Promise<PreflightReport> {
  const n = liveNames(config);
  const checks: PreflightCheck[] = [];
  const add = (name: string, region: string, state: CheckState, detail: string) => checks.push({ name, region, state, detail });
  const active = config.activeRegion;
  const sites = [n.primary, n.dr];

  // --- The live platform against the config -------------------------------------------------------------------
  const [global, designations, fences] = await Promise.all([
    readGlobal(deps, n),
    Promise.allSettled(sites.map((s) => readDesignation(deps.aws.inRegion(s.region).ssm, n.activeSiteParameter))),
    Promise.allSettled(
      sites.map(async (s) => {
        const lambda = deps.aws.inRegion(s.region).lambda;
        try {
          const tags = await functionTags(lambda, functionArn(s.region, config.accountId, s.paymentFunction));
          if (tags[PRE_FENCE_TAG] !== undefined) return `fenced by the DR CLI (tag ${PRE_FENCE_TAG}=${tags[PRE_FENCE_TAG]})`;
          return (await functionConcurrency(lambda, s.paymentFunction)) === 0 ? 'reserved concurrency 0 (fenced)' : null;
        } catch (e) {
          if ((e as Error).name === 'ResourceNotFoundException') return null; // not deployed yet
          throw e;
        }
      }),
    ),
  ]);

  const fresh = global.missing === true;
  if (global.view) {
    const v = global.view;
    const writer = writerRole(v, n);
    const inProgress = v.status !== 'available' || v.failoverState !== undefined;
    add(
      'no DR operation in progress',
      global.from ?? '-',
      inProgress ? 'FAIL' : 'ok',
      inProgress
        ? `global cluster ${n.globalClusterId} is "${v.status}"${v.failoverState ? ` with a ${v.failoverState.dataLossAllowed ? 'failover' : 'switchover'} ${v.failoverState.status ?? ''} towards ${v.failoverState.to ?? '?'}` : ''}: ` +
            'no deploy during a DR operation (it would reset the fence and the designation); finish it (`npm run dr -- status`) first'
        : `global cluster ${n.globalClusterId} available, no switchover or failover pending`,
    );
    if (!writer) {
      add('live writer = activeRegion', '-', 'FAIL', `no writer among this config's clusters (${v.members.map((m) => `${m.arn}${m.isWriter ? ' (writer)' : ''}`).join(', ') || 'no members'})`);
    } else if (writer !== active) {
      add(
        'live writer = activeRegion',
        n[writer].region,
        'FAIL',
        `the live writer is ${writer} (${n[writer].region}) but the config being deployed (${source}) says "activeRegion": "${active}". ` +
          `Deploying it would move roles back by configuration while the database writes in ${n[writer].region}. ` +
          `Commit "activeRegion": "${writer}" (the change the DR CLI printed), or move the writer with \`npm run dr -- switchover --to ${active}\` first`,
      );
    } else {
      add('live writer = activeRegion', n[writer].region, 'ok', `writer ${writer} (${n[writer].region}) = "activeRegion": "${active}"`);
      const passive = v.members.find((m) => !m.isWriter);
      const other = active === 'primary' ? n.dr : n.primary;
      if (!passive) {
        add('passive cluster replicates', other.region, 'warn', `${other.clusterId} is not a member of ${n.globalClusterId}: the deploy re-creates it as a secondary; rds.global_db_rpo on the writer blocks commits while the new secondary is behind the RPO`);
      } else if (passive.synchronization !== undefined && passive.synchronization !== 'connected') {
        add(
          'passive cluster replicates',
          regionOfArn(passive.arn),
          'FAIL',
          `the secondary is "${passive.synchronization}", not "connected": the deploy sets rds.global_db_rpo on the writer, and Aurora blocks every commit ` +
            'while no secondary is within the RPO. Wait until it is connected (`npm run dr -- status`)',
        );
      } else {
        add('passive cluster replicates', regionOfArn(passive.arn), 'ok', `secondary ${passive.synchronization ?? 'synchronization not reported'}`);
      }
    }
  } else if (fresh) {
    add('live writer = activeRegion', '-', 'skip', `global cluster ${n.globalClusterId} does not exist yet: first deploy, nothing live to agree with`);
  } else {
    add('live writer = activeRegion', '-', 'FAIL', `could not read global cluster ${n.globalClusterId} from either region (${global.error}); a deploy now could not be checked against the live writer`);
  }

  const values = designations.map((d) => (d.status === 'fulfilled' ? d.value : undefined));
  designations.forEach((d, i) => {
    const s = sites[i];
    if (d.status === 'rejected') add('designation', s.region, 'FAIL', `could not read ${n.activeSiteParameter}: ${unreachableText(d.reason)}`);
    else if (d.value === null) add('designation', s.region, fresh ? 'skip' : 'warn', `${n.activeSiteParameter} does not exist yet (the deploy creates it with "${active}")`);
    else if (d.value !== active) {
      add('designation', s.region, 'FAIL', `${n.activeSiteParameter} is "${d.value}", the config says "activeRegion": "${active}": a DR operation set it live; commit "activeRegion": "${d.value}" or finish the operation`);
    } else add('designation', s.region, 'ok', `${n.activeSiteParameter} = "${d.value}"`);
  });
  if (values[0] && values[1] && values[0] !== values[1]) {
    add('designations agree', '-', 'FAIL', `${n.primary.region} says "${values[0]}", ${n.dr.region} says "${values[1]}": an operation did not finish; re-run it (it resumes) before deploying`);
  }
  fences.forEach((f, i) => {
    const s = sites[i];
    if (f.status === 'rejected') add('payment function not fenced', s.region, 'FAIL', `could not read ${s.paymentFunction}: ${unreachableText(f.reason)}`);
    else if (f.value && s.role === active) {
      add('payment function not fenced', s.region, 'FAIL', `${s.paymentFunction} is ${f.value}: a deploy resets reserved concurrency and lifts the fence; run \`npm run dr -- failback\` (or lift it deliberately) first`);
    } else if (f.value) {
      // Staying on the other site: the deploy lifts the fence of the site the config makes passive; its designation
      // and its read-only database keep it passive (the checks above make sure both agree with the config).
      add('payment function not fenced', s.region, 'warn', `${s.paymentFunction} is ${f.value}; this site is passive in the config: the deploy resets its reserved concurrency, the designation keeps it passive`);
    } else add('payment function not fenced', s.region, 'ok', `${s.paymentFunction} not fenced`);
  });

  // --- Fresh-account checks (issue 14), read-only --------------------------------------------------------------
  const synthDir = resolve(deps.cwd, opts.synthDir ?? join('cdktf.out', 'stacks', n.stackName));
  const fromSynth = reservedFromSynth(deps, synthDir);
  const reserved = fromSynth ?? reservedFromConfig(config);
  const basis = fromSynth ? `synthesized stack ${synthDir}` : 'estimated from config (no synthesized stack; run `npm run synth` first for the exact total)';
  const engineVersion = config.database.engineVersion;
  const perRegion = await Promise.all(
    sites.map((s) =>
      Promise.allSettled([
        accountConcurrency(deps.aws.inRegion(s.region).lambda),
        engineVersionForGlobal(deps.aws.inRegion(s.region).rds, ENGINE, engineVersion),
        deps.backupRegionSettings ? deps.backupRegionSettings(s.region) : Promise.resolve(undefined),
      ]),
    ),
  );
  perRegion.forEach(([quota, engine, backup], i) => {
    const s = sites[i];
    const need = (reserved[s.region] ?? 0) + UNRESERVED_MINIMUM;
    if (quota.status === 'rejected') add('lambda concurrency quota', s.region, 'FAIL', `GetAccountSettings: ${unreachableText(quota.reason)}`);
    else {
      const ok = quota.value.limit >= need;
      add(
        'lambda concurrency quota',
        s.region,
        ok ? 'ok' : 'FAIL',
        `quota ${quota.value.limit} ${ok ? '>=' : '<'} reserved ${reserved[s.region] ?? 0} + ${UNRESERVED_MINIMUM} kept unreserved (${basis})` +
          (ok ? '' : '; ask for a quota increase (Service Quotas: Lambda "Concurrent executions") before deploying'),
      );
    }
    if (engine.status === 'rejected') add('aurora engine version', s.region, 'FAIL', `DescribeDBEngineVersions: ${unreachableText(engine.reason)}`);
    else {
      const text = { global: `${ENGINE} ${engineVersion} available and supports global databases`, 'no-global': `${ENGINE} ${engineVersion} exists but does not support global databases here`, missing: `${ENGINE} ${engineVersion} is not offered in ${s.region}` }[engine.value];
      add('aurora engine version', s.region, engine.value === 'global' ? 'ok' : 'FAIL', text + (engine.value === 'global' ? '' : '; choose a version offered for global databases in both regions (database.engineVersion)'));
    }
    if (!deps.backupRegionSettings) {
      add('backup: advanced DynamoDB features', s.region, 'skip', 'not checked: no AWS Backup client injected');
    } else if (backup.status === 'rejected') add('backup: advanced DynamoDB features', s.region, 'FAIL', `DescribeRegionSettings: ${unreachableText(backup.reason)}`);
    else {
      const on = backup.value?.DynamoDB === true;
      add('backup: advanced DynamoDB features', s.region, on ? 'ok' : 'FAIL', on ? 'ResourceTypeManagementPreference DynamoDB = true' : 'off: cross-region copies of the table fail; turn it on (bootstrap, both regions)');
    }
  });

  if (config.dns.hostedZoneId === null) {
    add('hosted zone delegated', '-', 'skip', `dns.hostedZoneId is null: the stack creates the zone ${config.dns.zoneName}; its delegation can only be checked after the first deploy`);
  } else {
    try {
      const z = await hostedZone(deps.aws.route53, config.dns.hostedZoneId);
      if (z.name !== config.dns.zoneName || z.privateZone) {
        add('hosted zone delegated', '-', 'FAIL', `${config.dns.hostedZoneId} is ${z.privateZone ? 'a private zone ' : ''}"${z.name}", the config says "${config.dns.zoneName}" (public)`);
      } else if (!deps.resolveNs) {
        add('hosted zone delegated', '-', 'warn', `zone ${z.name} exists; delegation not checked (no resolver)`);
      } else {
        try {
          const seen = (await deps.resolveNs(z.name)).map((x) => x.toLowerCase().replace(/\.$/, '')).sort();
          const want = [...z.nameServers].sort();
          const same = seen.length === want.length && seen.every((x, i) => x === want[i]);
          add(
            'hosted zone delegated',
            '-',
            same ? 'ok' : 'FAIL',
            same
              ? `${z.name}: public NS = the zone's name servers (${want.join(', ')})`
              : `${z.name}: public NS ${seen.join(', ') || '(none)'} ≠ the zone's ${want.join(', ')}: delegate the zone in its parent before deploying (ACM validation waits for it)`,
          );
        } catch (e) {
          add('hosted zone delegated', '-', 'warn', `zone ${z.name} exists; NS lookup failed (${errorText(e)}): delegation not verified`);
        }
      }
    } catch (e) {
      add('hosted zone delegated', '-', 'FAIL', `GetHostedZone ${config.dns.hostedZoneId}: ${unreachableText(e)}`);
    }
  }

  return { config: source, activeRegion: active, checks, ok: checks.every((c) => c.state !== 'FAIL') };
}

export function renderPreflight(r: PreflightReport): string {
  const rows = [['CHECK', 'REGION', 'STATE', 'DETAIL'], ...r.checks.map((c) => [c.name, c.region, c.state, c.detail])];
  const failed = r.checks.filter((c) => c.state === 'FAIL');
  const verdict = failed.length === 0
    ? `preflight passed: the live platform agrees with ${r.config} ("activeRegion": "${r.activeRegion}")`
    : `preflight FAILED (${failed.length}): do not deploy ${r.config} now.\n${failed.map((c) => `  - ${c.name}${c.region === '-' ? '' : ` (${c.region})`}: ${c.detail}`).join('\n')}`;
  return `${renderTable(rows)}\n${verdict}\n`;
}

export async function preflightCommand(deps: Deps, config: PlatformConfig, source: string, json: boolean, opts: PreflightOptions = {}): Promise<ExitCode> {
  const r = await gatherPreflight(deps, config, source, opts);
  const text = json ? JSON.stringify(r, null, 2) + '\n' : renderPreflight(r);
  (r.ok || json ? deps.stdout : deps.stderr).write(text);
  return r.ok ? EXIT_OK : EXIT_FAILED;
}
