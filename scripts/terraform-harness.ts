/**
 * Runs `terraform init -backend=false` and a credential-less `terraform plan` (or only `terraform validate`) on a
 * synthesized stack, against the real hashicorp/aws provider from a local filesystem mirror (no network).
 *
 * What the harness changes in its private copy (never in cdktf.out), and why:
 * - the S3 backend is removed: a plan without AWS credentials cannot reach the state bucket;
 * - `random_*` resources are stood in for by `terraform_data` because the hashicorp/random provider is not in
 *   the mirror; references to them are rewritten to the stand-in's `output`; the stand-in's `triggers_replace`
 *   holds the random resource's arguments (all of which force a new value);
 * - an override file gives the AWS providers dummy credentials and the `skip_*` flags, and clears
 *   `allowed_account_ids` (there is no account to compare against).
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';

export const AWS_PROVIDER_VERSION = '5.100.0';

export interface Diagnostic {
  readonly severity: 'error' | 'warning';
  readonly summary: string;
  readonly detail?: string;
}

export interface HarnessReport {
  /** Set when terraform or the mirror is missing: nothing ran. */
  readonly skipped?: string;
  /** What the harness changed in its copy, to be printed. */
  readonly notes: string[];
  /** From `terraform validate` (run only with `plan: false`). */
  readonly validateDiagnostics: Diagnostic[];
  /** From `terraform plan`, which validates first: validation problems are here too. */
  readonly planDiagnostics: Diagnostic[];
  /** Resources the plan creates, per type (from the plan's `planned_change` messages). */
  readonly plannedCreates: Record<string, number>;
  readonly planOk: boolean;
  readonly workdir?: string;
}

/** Directory holding `registry.terraform.io/hashicorp/aws/<version>`: `TF_PROVIDER_MIRROR`, or a usual place. */
export function findProviderMirror(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const hasAws = (dir: string) => existsSync(join(dir, 'registry.terraform.io', 'hashicorp', 'aws', AWS_PROVIDER_VERSION));
  if (env.TF_PROVIDER_MIRROR) return hasAws(env.TF_PROVIDER_MIRROR) ? env.TF_PROVIDER_MIRROR : undefined;
  const candidates = [
    join(homedir(), '.terraform.d', 'plugins'),
    join(homedir(), '.local', 'share', 'terraform', 'plugins'),
    '/usr/local/share/terraform/plugins',
    '/usr/share/terraform/plugins',
  ];
  // Images often put a mirror one level below /opt (e.g. /opt/<name>/registry.terraform.io).
  for (const base of ['/opt', '/usr/local/share']) {
    try {
      for (const entry of readdirSync(base)) candidates.push(join(base, entry));
    } catch {
      /* not there */
    }
  }
  return candidates.find(hasAws);
}

export function terraformVersion(): string | undefined {
  const r = spawnSync('terraform', ['version', '-json'], { encoding: 'utf8', env: { ...process.env, CHECKPOINT_DISABLE: '1' } });
  if (r.status !== 0) return undefined;
  try {
    return JSON.parse(r.stdout).terraform_version as string;
  } catch {
    return undefined;
  }
}

/** Why the harness cannot run here, or undefined when it can. */
export function unavailableReason(): string | undefined {
  if (!terraformVersion()) return 'terraform is not on PATH';
  if (!findProviderMirror()) {
    return `no filesystem mirror of hashicorp/aws ${AWS_PROVIDER_VERSION} found (set TF_PROVIDER_MIRROR to the directory holding registry.terraform.io)`;
  }
  return undefined;
}

export interface TfJson {
  terraform?: { backend?: unknown; required_providers?: Record<string, unknown> };
  provider?: Record<string, Array<Record<string, unknown>>>;
  resource?: Record<string, Record<string, unknown>>;
  moved?: Array<{ from: string; to: string }>;
}

/** Makes the hermetic copy described in the header; returns the notes of what changed. */
export function prepareHermeticCopy(stack: TfJson, dir: string): string[] {
  const notes: string[] = [];
  const copy: TfJson = JSON.parse(JSON.stringify(stack));
  if (copy.terraform?.backend) {
    delete copy.terraform.backend;
    notes.push('backend removed in the harness copy (a credential-less plan cannot reach the state bucket)');
  }
  if (copy.terraform?.required_providers?.random) {
    delete copy.terraform.required_providers.random;
    delete copy.provider?.random;
    notes.push('hashicorp/random is not in the offline provider mirror: random_* resources are stood in for by terraform_data');
  }
  const standIns: string[] = [];
  for (const type of Object.keys(copy.resource ?? {})) {
    if (!type.startsWith('random_')) continue;
    const data = (copy.resource!.terraform_data ??= {});
    for (const [name, body] of Object.entries(copy.resource![type] as Record<string, Record<string, unknown>>)) {
      // Every argument of a random_* resource forces a new value (a new password): the stand-in is replaced when
      // they change, so an offline plan shows it. Meta-arguments stay meta-arguments.
      const meta: Record<string, unknown> = {};
      const args: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(body)) (['//', 'count', 'for_each', 'depends_on', 'lifecycle', 'provider'].includes(k) ? meta : args)[k] = v;
      delete meta.provider;
      data[`${type}_${name}`] = { ...meta, input: `standin-${name}-Aa0!`.padEnd(40, 'x'), triggers_replace: args };
      standIns.push(`${type}.${name}`);
    }
    delete copy.resource![type];
  }
  let text = JSON.stringify(copy, null, 1);
  if (standIns.length > 0) {
    text = text.replace(/\brandom_([a-z_]+)\.([A-Za-z0-9_-]+)\.[a-z0-9_]+/g, (_m, type: string, name: string) => `terraform_data.random_${type}_${name}.output`);
    // Whole addresses (depends_on entries, moved blocks): the stand-in's address.
    text = text.replace(/"random_([a-z_]+)\.([A-Za-z0-9_-]+)"/g, (_m, type: string, name: string) => `"terraform_data.random_${type}_${name}"`);
    notes.push(`stood in: ${standIns.join(', ')}`);
  }
  writeFileSync(join(dir, 'main.tf.json'), text);
  const aliases = (copy.provider?.aws ?? []).map((p) => p.alias as string | undefined);
  const offline = {
    access_key: 'offline-harness',
    secret_key: 'offline-harness',
    skip_credentials_validation: true,
    skip_requesting_account_id: true,
    skip_metadata_api_check: true,
    allowed_account_ids: null,
  };
  writeFileSync(
    join(dir, 'harness_override.tf.json'),
    JSON.stringify({ provider: { aws: aliases.map((alias) => (alias ? { alias, ...offline } : offline)) } }, null, 1),
  );
  notes.push('AWS providers given dummy credentials and skip_* flags; allowed_account_ids cleared (harness override)');
  return notes;
}

/** The environment of every terraform run in `dir`: the CLI config that installs providers from the mirror only. */
function terraformEnv(dir: string, mirror: string): NodeJS.ProcessEnv {
  const cliConfig = join(dir, 'harness.tfrc');
  if (!existsSync(cliConfig)) {
    writeFileSync(
      cliConfig,
      `provider_installation {\n  filesystem_mirror {\n    path    = ${JSON.stringify(mirror)}\n    include = ["registry.terraform.io/hashicorp/*"]\n  }\n}\n`,
    );
  }
  return {
    ...process.env,
    TF_CLI_CONFIG_FILE: cliConfig,
    TF_IN_AUTOMATION: '1',
    CHECKPOINT_DISABLE: '1',
    TF_PLUGIN_CACHE_DIR: '',
    AWS_EC2_METADATA_DISABLED: 'true',
    // Terraform and the provider are Go programs that allocate heavily while planning ~400 resources: with the
    // collector running at 4x the live heap instead of 2x (GOGC=100), a plan costs ~25% less CPU for ~40% more
    // memory (measured: dev plan 15.5 → 11.5 s CPU, peak RSS 440 → 610 MB). A GOGC the caller sets wins.
    GOGC: process.env.GOGC ?? '400',
  };
}

function run(dir: string, mirror: string, args: string[]): TerraformRun {
  const memo = runMemo(dir, args);
  const hit = memo?.load();
  if (hit) return hit;
  const r = spawnSync('terraform', args, { cwd: dir, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, env: terraformEnv(dir, mirror) });
  const result: TerraformRun = { status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? String(r.error ?? '') };
  memo?.store(result);
  return result;
}

export interface TerraformRun {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * The memo of terraform runs (`TF_HARNESS_RUN_CACHE`: a directory, or unset / `off` for none; jest.config.js sets
 * `.cache/terraform-runs` for `npm test`). A `plan` or `show` is a function of what it reads: its arguments, the
 * working directory's configuration files, lock file and `terraform.tfstate`, the saved plan it shows, `TF_VAR_*`,
 * and the terraform and provider build (`harnessFingerprint`). The key hashes all of them, so a run is reused only
 * when terraform would read exactly the same inputs; a successful run's status, stdout, stderr and saved plan
 * (`-out`) are kept. Failed runs (exit status other than 0) are never kept: they run again every time.
 * Entries unused for 7 days, and the least recently used beyond a size budget, are removed when one is written.
 */
const RUN_CACHE_FORMAT = 1;
const RUN_CACHE_MAX_AGE_MS = 7 * 24 * 3600 * 1000;

export function runCacheDir(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const dir = env.TF_HARNESS_RUN_CACHE;
  return dir && dir !== 'off' && dir !== '0' ? dir : undefined;
}

interface RunMemo {
  load(): TerraformRun | undefined;
  store(r: TerraformRun): void;
}

/**
 * Removes entries unused for 7 days, then the least recently used ones beyond `TF_HARNESS_RUN_CACHE_MB` (default
 * 1024 MB: ~14 MB per profile and stack version, so dozens of stack versions).
 */
function pruneRunCache(cache: string): void {
  const cutoff = Date.now() - RUN_CACHE_MAX_AGE_MS;
  const budget = Number(process.env.TF_HARNESS_RUN_CACHE_MB ?? 1024) * 1024 * 1024;
  const entries = readdirSync(cache)
    .filter((name) => !name.includes('.tmp-'))
    .map((name) => {
      const path = join(cache, name);
      const bytes = readdirSync(path).reduce((sum, f) => sum + statSync(join(path, f)).size, 0);
      return { path, used: statSync(path).mtimeMs, bytes };
    })
    .sort((a, b) => b.used - a.used);
  let total = 0;
  for (const e of entries) {
    total += e.bytes;
    if (e.used < cutoff || total > budget) rmSync(e.path, { recursive: true, force: true });
  }
}

function runMemo(dir: string, args: readonly string[]): RunMemo | undefined {
  const cache = runCacheDir();
  if (!cache || !['plan', 'show'].includes(args[0])) return undefined;
  const hash = createHash('sha256');
  const feed = (label: string, data: string | Buffer) => hash.update(`\0${label}\0${data.length}\0`).update(data);
  feed('format', String(RUN_CACHE_FORMAT));
  feed('build', harnessFingerprint());
  feed('args', JSON.stringify(args));
  feed('vars', JSON.stringify(Object.entries(process.env).filter(([k]) => k.startsWith('TF_VAR_')).sort()));
  for (const name of readdirSync(dir).sort()) {
    if (/\.tf(\.json)?$/.test(name) || name === '.terraform.lock.hcl' || name === 'terraform.tfstate') feed(name, readFileSync(join(dir, name)));
  }
  if (args[0] === 'show') feed('shown plan', readFileSync(join(dir, args[args.length - 1])));
  const entry = join(cache, hash.digest('hex').slice(0, 40));
  const out = args.find((a) => a.startsWith('-out='))?.slice('-out='.length);
  return {
    load() {
      try {
        const result = JSON.parse(readFileSync(join(entry, 'result.json'), 'utf8')) as TerraformRun;
        if (out) copyFileSync(join(entry, 'out.bin'), join(dir, out));
        const now = new Date();
        utimesSync(entry, now, now);
        return result;
      } catch {
        return undefined; // not there (or torn): run terraform
      }
    },
    store(r) {
      if (r.status !== 0) return;
      try {
        mkdirSync(cache, { recursive: true });
        const tmp = mkdtempSync(`${entry}.tmp-`);
        if (out) copyFileSync(join(dir, out), join(tmp, 'out.bin'));
        writeFileSync(join(tmp, 'result.json'), JSON.stringify(r));
        rmSync(entry, { recursive: true, force: true });
        renameSync(tmp, entry);
        pruneRunCache(cache);
      } catch {
        /* a cache that cannot be written is no cache: the run's result stands */
      }
    },
  };
}

/**
 * Runs terraform in a harness working directory (see `prepareWorkdir`) without blocking, so two plans can use the
 * two cores at once. Never rejects: a failure to start is status null with the error in stderr.
 */
export function terraformAsync(dir: string, args: readonly string[]): Promise<TerraformRun> {
  const mirror = findProviderMirror();
  if (!mirror) return Promise.resolve({ status: null, stdout: '', stderr: unavailableReason() ?? 'no provider mirror' });
  const memo = runMemo(dir, args);
  const hit = memo?.load();
  if (hit) return Promise.resolve(hit);
  return new Promise<TerraformRun>((resolve) => {
    const child = spawn('terraform', args, { cwd: dir, env: terraformEnv(dir, mirror) });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    child.on('error', (e) => resolve({ status: null, stdout: '', stderr: String(e) }));
    child.on('close', (status) => resolve({ status, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') }));
  }).then((r) => {
    memo?.store(r);
    return r;
  });
}

export interface Workdir {
  readonly dir: string;
  /** What the harness changed in its copy (see the file header). */
  readonly notes: string[];
  /** The hermetic copy as written (main.tf.json). */
  readonly config: TfJson;
}

/** Working directories the harness created itself (not those a caller named): removed when the process exits. */
const ownedDirs = new Set<string>();
let cleanupRegistered = false;

/**
 * A new scratch directory under the system temp dir, removed when this process exits (2–3 MB each: without this,
 * every test run left a dozen behind). `TF_HARNESS_KEEP=1` keeps them for debugging (their paths are in the reports).
 */
export function harnessTempDir(prefix = 'tf-harness-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  if (process.env.TF_HARNESS_KEEP !== '1') {
    ownedDirs.add(dir);
    if (!cleanupRegistered) {
      cleanupRegistered = true;
      process.once('exit', removeHarnessTempDirs);
    }
  }
  return dir;
}

/**
 * Removes the scratch directories `harnessTempDir` made so far. Scripts get it at exit; a jest suite calls it in
 * `afterAll` (jest's sandboxed `process` does not see the worker's exit).
 */
export function removeHarnessTempDirs(): void {
  for (const d of ownedDirs) rmSync(d, { recursive: true, force: true });
  ownedDirs.clear();
}

/**
 * A fresh harness working directory for `stack`: the hermetic copy, the offline CLI config and `terraform init`.
 * Throws `HarnessUnavailable` where terraform or the mirror is missing and an Error when init fails.
 */
export function prepareWorkdir(stack: TfJson, dir: string = harnessTempDir()): Workdir {
  const reason = unavailableReason();
  if (reason) throw new HarnessUnavailable(reason);
  mkdirSync(dir, { recursive: true });
  const notes = prepareHermeticCopy(stack, dir);
  const init = run(dir, findProviderMirror()!, ['init', '-backend=false', '-input=false', '-no-color']);
  if (init.status !== 0) throw new Error(`terraform init failed in ${dir}:\n${init.stderr || init.stdout}`);
  return { dir, notes, config: JSON.parse(readFileSync(join(dir, 'main.tf.json'), 'utf8')) };
}

/** Terraform or the provider mirror is missing: nothing can run (the message says which). */
export class HarnessUnavailable extends Error {}

let fingerprint: string | undefined;

/** Identifies this terraform and provider build (version, and path, size and mtime of the provider binaries). */
export function harnessFingerprint(): string {
  if (fingerprint) return fingerprint;
  const mirror = findProviderMirror()!;
  const providerDir = join(mirror, 'registry.terraform.io', 'hashicorp', 'aws', AWS_PROVIDER_VERSION);
  const binaries = readdirSync(providerDir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => {
      const path = join(e.parentPath, e.name);
      const st = statSync(path);
      return `${path}:${st.size}:${st.mtimeMs}`;
    })
    .sort();
  fingerprint = createHash('sha256').update(JSON.stringify([terraformVersion(), binaries])).digest('hex').slice(0, 24);
  return fingerprint;
}

/** Where the harness keeps what is expensive and never changes for one terraform + provider build (the schemas). */
export function harnessCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.TF_HARNESS_CACHE ?? join(tmpdir(), 'tf-harness-cache');
}

/**
 * `terraform providers schema -json` of an initialized working directory, cached per terraform version and
 * provider binaries (path, size, mtime) under `harnessCacheDir()`: ~3 s of CPU and 14 MB for hashicorp/aws.
 */
export async function providerSchemas(dir: string): Promise<Record<string, any>> {
  const file = join(harnessCacheDir(), `schemas-${harnessFingerprint()}.json`);
  if (existsSync(file)) {
    try {
      return JSON.parse(readFileSync(file, 'utf8'));
    } catch {
      /* a torn write by another process: fetch again */
    }
  }
  const r = await terraformAsync(dir, ['providers', 'schema', '-json']);
  if (r.status !== 0) throw new Error(`terraform providers schema failed: ${r.stderr}`);
  const schemas = JSON.parse(r.stdout);
  mkdirSync(harnessCacheDir(), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, r.stdout);
  renameSync(tmp, file);
  return schemas;
}

/** The messages of terraform's machine-readable UI (`-json`), one JSON object per line. */
export function jsonMessages(stdout: string): Array<Record<string, any>> {
  const out: Array<Record<string, any>> = [];
  for (const line of stdout.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      out.push(JSON.parse(line));
    } catch {
      /* not a JSON line */
    }
  }
  return out;
}

export function diagnosticsOf(stdout: string): Diagnostic[] {
  return jsonMessages(stdout).filter((m) => m.type === 'diagnostic' && m.diagnostic).map((m) => m.diagnostic as Diagnostic);
}

function plannedChanges(stdout: string): Array<{ type: string; action: string }> {
  return jsonMessages(stdout)
    .filter((m) => m.type === 'planned_change')
    .map((m) => ({ type: m.change.resource.resource_type as string, action: m.change.action as string }));
}

/**
 * Plans `stack` (parsed cdk.tf.json), which validates it first: every diagnostic is in `planDiagnostics`. With
 * `plan: false`, runs only `terraform validate` (diagnostics in `validateDiagnostics`). Returns `skipped`
 * instead of failing where terraform or the provider mirror is missing.
 */
export function validateAndPlan(stack: TfJson, options: { plan?: boolean } = {}): HarnessReport {
  const reason = unavailableReason();
  if (reason) {
    return { skipped: reason, notes: [], validateDiagnostics: [], planDiagnostics: [], plannedCreates: {}, planOk: false };
  }
  const mirror = findProviderMirror()!;
  const dir = harnessTempDir();
  const notes = prepareHermeticCopy(stack, dir);
  const init = run(dir, mirror, ['init', '-backend=false', '-input=false', '-no-color']);
  if (init.status !== 0) {
    const failed: Diagnostic = { severity: 'error', summary: 'terraform init failed', detail: init.stderr || init.stdout };
    return {
      notes,
      validateDiagnostics: [failed],
      planDiagnostics: [failed],
      plannedCreates: {},
      planOk: false,
      workdir: dir,
    };
  }
  const report: HarnessReport = { notes, validateDiagnostics: [], planDiagnostics: [], plannedCreates: {}, planOk: false, workdir: dir };
  if (options.plan === false) {
    const validate = run(dir, mirror, ['validate', '-json', '-no-color']);
    try {
      report.validateDiagnostics.push(...JSON.parse(validate.stdout).diagnostics);
    } catch {
      report.validateDiagnostics.push({ severity: 'error', summary: 'terraform validate gave no JSON', detail: validate.stderr });
    }
    return report;
  }

  // No separate `terraform validate` before a plan: plan validates the configuration first and stops on
  // errors, and with configured providers it reports more (e.g. deprecated arguments, which validate does
  // not); one provider start-up (~3 s CPU for hashicorp/aws) less per stack.
  const plan = run(dir, mirror, ['plan', '-json', '-input=false', '-lock=false', '-refresh=false', '-out=plan.bin']);
  report.planDiagnostics.push(...diagnosticsOf(plan.stdout));
  if (plan.status !== 0 && report.planDiagnostics.length === 0) {
    report.planDiagnostics.push({ severity: 'error', summary: 'terraform plan failed', detail: plan.stderr });
  }
  if (plan.status === 0) {
    for (const change of plannedChanges(plan.stdout)) {
      if (change.action === 'create') report.plannedCreates[change.type] = (report.plannedCreates[change.type] ?? 0) + 1;
    }
    return { ...report, planOk: true };
  }
  return report;
}

export function formatDiagnostics(diagnostics: readonly Diagnostic[]): string {
  return diagnostics.map((d) => `${d.severity}: ${d.summary}${d.detail ? ` — ${d.detail}` : ''}`).join('\n');
}
