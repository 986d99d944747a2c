/**
 * The check behind `npm run plan:upgrade`, on two synthesized stacks: the *from* version's simulated state
 * (scripts/upgrade/simulate.ts, cached per configuration), the *to* version planned against it offline
 * (`terraform plan -refresh=false`), and the report (scripts/upgrade/report.ts).
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TfJson, Workdir, harnessCacheDir, harnessFingerprint, prepareHermeticCopy, prepareWorkdir } from '../terraform-harness';
import { Heading, UpgradeReport, Waiver, analyze, renderMarkdown, renderText } from './report';
import { Json, PlanRun, SimulationError, describeDiagnostic, planRun, showPlan, simulate } from './simulate';

export interface Version {
  /** The synthesized `cdk.tf.json`. */
  readonly stack: TfJson;
  /** How the report names it, e.g. `HEAD (5afc3f9)` or `working tree`. */
  readonly label: string;
}

export interface UpgradeOptions {
  readonly from: Version;
  readonly to: Version;
  /** Stack name, for the report and for waivers scoped to one stack. */
  readonly stackName: string;
  readonly waivers?: readonly Waiver[];
  /** Reuse and save simulated states here (keyed by configuration, terraform and provider build); false: never. */
  readonly cacheDir?: string | false;
  readonly log?: (line: string) => void;
  /** Keep the harness working directories (their paths are logged). */
  readonly keep?: boolean;
}

export interface UpgradeResult {
  readonly report: UpgradeReport;
  readonly text: string;
  readonly markdown: string;
  /** The from-version's simulated state (format version 4). */
  readonly state: Json;
  readonly stateFromCache: boolean;
  /** Wall-clock seconds: simulate (0 when cached), plan of the to-version, total. */
  readonly timings: { simulate: number; toPlan: number; total: number };
}

/** Default cache: `PLAN_UPGRADE_STATE_CACHE`, else next to the harness's schema cache. */
export function defaultStateCache(env: NodeJS.ProcessEnv = process.env): string {
  return env.PLAN_UPGRADE_STATE_CACHE || join(harnessCacheDir(env), 'simulated-states');
}

function stateCacheFile(cacheDir: string, fromDir: string): string {
  const text = ['main.tf.json', 'harness_override.tf.json'].map((f) => readFileSync(join(fromDir, f), 'utf8')).join('\n');
  const key = createHash('sha256').update(harnessFingerprint()).update(text).digest('hex').slice(0, 32);
  return join(cacheDir, `${key}.tfstate`);
}

function readCached(file: string): Json | undefined {
  if (!existsSync(file)) return undefined;
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
}

function writeCached(file: string, state: Json): void {
  mkdirSync(join(file, '..'), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(state));
  renameSync(tmp, file);
}

function diagnosticsText(run: PlanRun): string {
  return run.diagnostics.map(describeDiagnostic).join('\n') || run.stderr;
}

async function planAgainst(wd: Workdir, state: Json, planFile: string): Promise<PlanRun> {
  writeFileSync(join(wd.dir, 'terraform.tfstate'), JSON.stringify(state));
  return planRun(wd.dir, planFile);
}

/**
 * Plans `to` against the simulated deployed state of `from`. Throws SimulationError (a tooling error: exit 2)
 * when the from-version cannot be simulated faithfully or the to-version does not plan.
 */
export async function planUpgrade(options: UpgradeOptions): Promise<UpgradeResult> {
  const started = Date.now();
  const log = options.log ?? (() => undefined);
  const workdirs: string[] = [];
  try {
    // The hermetic copies first: the cache key and `identical` need no terraform; `terraform init` runs only in the
    // working directories that plan (the from-version's only when its state is not cached).
    const fromDir = mkdtempSync(join(tmpdir(), 'plan-upgrade-from-'));
    workdirs.push(fromDir);
    prepareHermeticCopy(options.from.stack, fromDir);
    const fromText = readFileSync(join(fromDir, 'main.tf.json'), 'utf8');
    const toDir = mkdtempSync(join(tmpdir(), 'plan-upgrade-to-'));
    workdirs.push(toDir);
    prepareHermeticCopy(options.to.stack, toDir);
    // The same configuration (e.g. HEAD against HEAD): the last plan of the simulation is the to-version's plan.
    const identical = readFileSync(join(toDir, 'main.tf.json'), 'utf8') === fromText;
    const cacheFile = options.cacheDir === false ? undefined : stateCacheFile(options.cacheDir ?? defaultStateCache(), fromDir);
    const cached = cacheFile ? readCached(cacheFile) : undefined;
    const fromWd = cached && !identical ? undefined : prepareWorkdir(options.from.stack, fromDir);
    const toWd = identical ? fromWd! : prepareWorkdir(options.to.stack, toDir);

    let state: Json;
    let toRun: PlanRun;
    let simulateSeconds = 0;
    const toStarted = Date.now();
    let toSeconds = 0;
    if (cached) {
      state = cached;
      log(`from: simulated state of ${options.from.label} from the cache (${cached.resources?.length ?? 0} resources)`);
      toRun = await planAgainst(toWd, state, 'to.tfplan');
      toSeconds = (Date.now() - toStarted) / 1000;
    } else {
      let pending: Promise<PlanRun> | undefined;
      try {
        const sim = await simulate(options.from.stack, {
          workdir: fromWd!,
          log: (l) => log(`from: ${l}`),
          // Plan the to-version against each candidate state while the from-version is checked against it.
          onState: identical
            ? undefined
            : (json) => {
                const previous = pending;
                pending = (async () => {
                  if (previous) await previous.catch(() => undefined);
                  const t = Date.now();
                  const run = await planAgainst(toWd, json, 'to.tfplan');
                  toSeconds = (Date.now() - t) / 1000;
                  return run;
                })();
              },
        });
        simulateSeconds = sim.seconds;
        state = sim.state.toJSON();
        toRun = identical ? sim.finalRun : await pending!;
        if (identical) toSeconds = sim.finalRun.seconds;
      } finally {
        await pending?.catch(() => undefined);
      }
      if (cacheFile) writeCached(cacheFile, state);
    }
    if (!toRun.ok) throw new SimulationError(`terraform plan of the to-version (${options.to.label}) against the simulated state failed:\n${diagnosticsText(toRun)}`);
    if (toRun.diagnostics.some((d) => d.severity === 'warning')) log(`to: plan warnings:\n${diagnosticsText(toRun)}`);
    log(`to: ${options.to.label} planned against it in ${toSeconds.toFixed(1)} s`);

    // The plan's details (what forces a replacement, which values a created resource gets) are in `show -json`;
    // a plan that only moves resources says all there is in its messages.
    const onlyMoves = toRun.changes.every((c) => ['noop', 'read', 'move'].includes(c.action)) && toRun.summary.add + toRun.summary.change + toRun.summary.remove === 0;
    const plan = onlyMoves ? undefined : await showPlan(toWd.dir, toRun.planFile);
    const report = analyze({ stack: options.stackName, run: toRun, plan, state, config: toWd.config as Json, waivers: options.waivers });
    const total = (Date.now() - started) / 1000;
    const heading: Heading = {
      from: options.from.label,
      to: options.to.label,
      notes: [
        `from: simulated deployed state, ${state.resources?.length ?? 0} resources${cached ? ' (cached)' : `, built and verified in ${simulateSeconds.toFixed(1)} s`}`,
        `to: terraform plan -refresh=false against it, offline (${toSeconds.toFixed(1)} s); total ${total.toFixed(1)} s`,
      ],
    };
    if (options.keep) log(`kept: ${workdirs.join(', ')}`);
    return {
      report,
      text: renderText(report, heading),
      markdown: renderMarkdown(report, heading),
      state,
      stateFromCache: Boolean(cached),
      timings: { simulate: simulateSeconds, toPlan: toSeconds, total },
    };
  } finally {
    if (!options.keep) for (const d of workdirs) rmSync(d, { recursive: true, force: true });
  }
}
