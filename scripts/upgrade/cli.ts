/**
 * `npm run plan:upgrade -- --from <git ref> [--to <git ref>] [--config <file>] [--to-config <file>]`: what deploying
 * the *to* version (default: the working tree) over the *from* version as deployed would replace or destroy,
 * planned offline, without AWS credentials.
 *
 * 1. Each version is synthesized with its own config: a ref in a `git worktree` of it (with the current
 *    node_modules when its package-lock.json is identical, else `npm ci` into the worktree), the working tree in
 *    place; the version's cdktf.json "app" (`node scripts/run.js main.ts`) with `CDKTF_OUTDIR` in a temp dir and
 *    `DR_CONFIG`.
 * 2. The from-version's deployed state is simulated (simulate.ts) and verified: planned against its
 *    own state it must plan no changes.
 * 3. The to-version is planned against it (`terraform plan -refresh=false`, the offline harness) and reported
 *    (report.ts).
 *
 * Exit codes: 0 no stateful resource is replaced or destroyed; 1 one is (each named; or a waiver is stale);
 * 2 usage or tooling error (no terraform or provider mirror, a ref that is not a commit, synth or plan failed,
 * the from-version cannot be simulated faithfully).
 */
import { spawn, spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, realpathSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { unavailableReason } from '../terraform-harness';
import { Waiver, parseWaivers } from './report';
import { SimulationError } from './simulate';
import { Version, planUpgrade } from './upgrade';

export class UsageError extends Error {}

const USAGE = `usage: npm run plan:upgrade -- --from <git ref> [--to <git ref>] [--config <file>] [--to-config <file>]
                              [--stack <name>] [--waivers <file>] [--summary <file>] [--no-cache] [--keep]
  --from <ref>        the version as deployed (e.g. HEAD, main, origin/main, a commit)
  --to <ref>          the version to deploy (default: the working tree, uncommitted changes included)
  --from-json <file>, --to-json <file>
                      an already synthesized cdk.tf.json instead of a ref (no git, no synth)
  --config <file>     DR_CONFIG of both versions (default: $DR_CONFIG, else the embedded dev config); a path inside
                      the repository is read from each version's own tree
  --to-config <file>  DR_CONFIG of the to-version only (e.g. a later activeRegion)
  --stack <name>      the stack to compare when a synth writes several
  --waivers <file>    reviewed waivers: stateful replacements they name (with a reason) do not fail the check
  --summary <file>    append the report as Markdown (e.g. "$GITHUB_STEP_SUMMARY")
  --no-cache          always simulate the from-version's state (default: reuse it per configuration)
  --keep              keep the worktrees and terraform working directories (paths are printed)
exit: 0 no stateful resource replaced or destroyed; 1 one is (named); 2 usage or tooling error`;

export interface Args {
  readonly from?: string;
  readonly to?: string;
  readonly fromJson?: string;
  readonly toJson?: string;
  readonly config?: string;
  readonly toConfig?: string;
  readonly stack?: string;
  readonly waivers?: string;
  readonly summary?: string;
  readonly cache: boolean;
  readonly keep: boolean;
}

export function parseArgs(argv: readonly string[]): Args | 'help' {
  const values: Record<string, string> = {};
  const flags = new Set<string>();
  const withValue = ['--from', '--to', '--from-json', '--to-json', '--config', '--to-config', '--stack', '--waivers', '--summary'];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--help' || arg === '-h') return 'help';
    const [name, inline] = arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    if (withValue.includes(name)) {
      const value = inline ?? argv[++i];
      if (value === undefined || value === '' || (inline === undefined && value.startsWith('--'))) throw new UsageError(`${name} needs a value`);
      if (name in values) throw new UsageError(`${name} given twice`);
      values[name] = value;
    } else if (arg === '--no-cache' || arg === '--keep') flags.add(arg);
    else throw new UsageError(`unknown argument "${arg}"`);
  }
  if (!values['--from'] === !values['--from-json']) {
    throw new UsageError('--from <git ref> is required (the version as deployed, e.g. --from HEAD or --from origin/main); or --from-json <cdk.tf.json>, not both');
  }
  if (values['--to'] && values['--to-json']) throw new UsageError('--to and --to-json exclude each other');
  if (values['--from-json'] && !values['--to-json']) throw new UsageError('--from-json needs --to-json (no ref is synthesized with it)');
  if (values['--to-json'] && (values['--config'] || values['--to-config'])) throw new UsageError('--config and --to-config apply to refs that are synthesized, not to --from-json/--to-json');
  return {
    from: values['--from'],
    to: values['--to'],
    fromJson: values['--from-json'],
    toJson: values['--to-json'],
    config: values['--config'],
    toConfig: values['--to-config'],
    stack: values['--stack'],
    waivers: values['--waivers'],
    summary: values['--summary'],
    cache: !flags.has('--no-cache'),
    keep: flags.has('--keep'),
  };
}

function git(root: string, args: string[]): { ok: boolean; out: string; err: string } {
  const r = spawnSync('git', args, { cwd: root, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  return { ok: r.status === 0, out: r.stdout?.trim() ?? '', err: (r.stderr ?? String(r.error ?? '')).trim() };
}

/** The commit a ref names, or a UsageError. */
function commitOf(root: string, ref: string, option: string): string {
  const r = git(root, ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`]);
  if (!r.ok || !r.out) throw new UsageError(`${option} ${ref}: not a commit in this repository (git rev-parse found nothing)`);
  return r.out;
}

/** True when the working tree is exactly `sha`: HEAD is it, nothing modified or staged, no untracked files. */
function workingTreeIs(root: string, sha: string): boolean {
  const head = git(root, ['rev-parse', 'HEAD']);
  if (!head.ok || head.out !== sha) return false;
  const status = git(root, ['status', '--porcelain', '--untracked-files=all']);
  return status.ok && status.out === '';
}

export interface Tree {
  readonly dir: string;
  readonly label: string;
  /** A worktree this run created (removed at the end). */
  readonly worktree: boolean;
}

/** A worktree of `sha` with dependencies: the current node_modules when the lock file is the same, else `npm ci`. */
function checkout(root: string, sha: string, label: string, scratch: string, log: (l: string) => void): Tree {
  const dir = join(scratch, label.replace(/[^A-Za-z0-9_.-]+/g, '_'));
  const add = git(root, ['worktree', 'add', '--detach', '--force', dir, sha]);
  if (!add.ok) throw new ToolError(`git worktree add ${sha}: ${add.err}`);
  const tree: Tree = { dir, label, worktree: true };
  const lock = git(root, ['show', `${sha}:package-lock.json`]);
  const current = existsSync(join(root, 'package-lock.json')) ? readFileSync(join(root, 'package-lock.json'), 'utf8').trim() : '';
  if (lock.ok && lock.out === current && existsSync(join(root, 'node_modules'))) {
    symlinkSync(realpathSync(join(root, 'node_modules')), join(dir, 'node_modules'), 'dir');
  } else {
    log(`${label}: package-lock.json differs from the working tree's: npm ci into its worktree (this takes a while)…`);
    const ci = spawnSync('npm', ['ci', '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: dir, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    if (ci.status !== 0) throw new ToolError(`npm ci for ${label} failed:\n${ci.stderr || ci.stdout}`);
  }
  return tree;
}

class ToolError extends Error {}

/**
 * DR_CONFIG for a version: a file inside the repository is that version's own copy (a version is deployed with
 * its config); a file elsewhere is used as given.
 */
function configFor(root: string, cwd: string, tree: Tree, file: string | undefined, option: string): string | undefined {
  if (!file) return undefined;
  const abs = resolve(cwd, file);
  const rel = relative(root, abs);
  const inside = rel !== '' && !rel.startsWith('..') && !isAbsolute(rel);
  if (!inside) {
    if (!existsSync(abs)) throw new UsageError(`${option} ${file}: no such file`);
    return abs;
  }
  const own = join(tree.dir, rel);
  if (!existsSync(own)) throw new UsageError(`${option} ${file}: ${rel} does not exist in ${tree.label}`);
  return own;
}

interface SynthResult {
  readonly ok: boolean;
  readonly output: string;
  readonly seconds: number;
}

/** Runs the version's synth (its cdktf.json "app": `node scripts/run.js main.ts` now, `node scripts/app.js` before) into `outdir`. */
function synth(tree: Tree, config: string | undefined, outdir: string): Promise<SynthResult> {
  let app = 'node scripts/run.js main.ts';
  try {
    app = JSON.parse(readFileSync(join(tree.dir, 'cdktf.json'), 'utf8')).app ?? app;
  } catch {
    /* no cdktf.json: the default */
  }
  mkdirSync(join(outdir, '..'), { recursive: true });
  const env: NodeJS.ProcessEnv = { ...process.env, CDKTF_OUTDIR: outdir, CHECKPOINT_DISABLE: '1' };
  if (config) env.DR_CONFIG = config;
  else delete env.DR_CONFIG;
  const started = Date.now();
  return new Promise((done) => {
    const child = spawn('sh', ['-c', app], { cwd: tree.dir, env });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.on('error', (e) => done({ ok: false, output: String(e), seconds: 0 }));
    child.on('close', (code) => done({ ok: code === 0, output, seconds: (Date.now() - started) / 1000 }));
  });
}

/** The synthesized stack: `--stack`, or the only one. */
function stackFile(outdir: string, wanted: string | undefined, label: string): { name: string; file: string } {
  const dir = join(outdir, 'stacks');
  const names = existsSync(dir) ? readdirSync(dir).filter((n) => existsSync(join(dir, n, 'cdk.tf.json'))) : [];
  if (wanted) {
    if (!names.includes(wanted)) throw new UsageError(`--stack ${wanted}: ${label} synthesized ${names.join(', ') || 'no stack'}`);
    return { name: wanted, file: join(dir, wanted, 'cdk.tf.json') };
  }
  if (names.length !== 1) throw new UsageError(`${label} synthesized ${names.length === 0 ? 'no stack' : `${names.join(', ')}: choose one with --stack`}`);
  return { name: names[0], file: join(dir, names[0], 'cdk.tf.json') };
}

export interface Versions {
  readonly from: Version;
  readonly to: Version;
  readonly stackName: string;
}

/**
 * Checks out (`trees` collects the worktrees made, for `removeTrees`) and synthesizes both versions of `args`
 * under `scratch`.
 */
export async function synthesizeVersions(
  args: Pick<Args, 'from' | 'to' | 'config' | 'toConfig' | 'stack'>,
  root: string,
  cwd: string,
  scratch: string,
  trees: Tree[],
  log: (l: string) => void,
): Promise<Versions> {
  const fromSha = commitOf(root, args.from!, '--from');
  const toSha = args.to ? commitOf(root, args.to, '--to') : undefined;
  const fromTree = checkout(root, fromSha, `${args.from} (${fromSha.slice(0, 7)})`, scratch, log);
  trees.push(fromTree);
  let toTree: Tree;
  if (toSha === undefined && workingTreeIs(root, fromSha)) {
    // A clean working tree at the from commit (a fresh clone with --from HEAD): the same sources, synthesized once.
    toTree = { ...fromTree, label: 'working tree (clean, = from)', worktree: false };
  } else if (toSha === undefined) toTree = { dir: root, label: 'working tree', worktree: false };
  else if (toSha === fromSha) toTree = { ...fromTree, label: `${args.to} (${toSha.slice(0, 7)})`, worktree: false };
  else {
    toTree = checkout(root, toSha, `${args.to} (${toSha.slice(0, 7)})`, scratch, log);
    trees.push(toTree);
  }
  const baseConfig = args.config ?? process.env.DR_CONFIG;
  const fromConfig = configFor(root, cwd, fromTree, baseConfig, args.config ? '--config' : 'DR_CONFIG');
  const toConfig = configFor(root, cwd, toTree, args.toConfig ?? baseConfig, args.toConfig ? '--to-config' : args.config ? '--config' : 'DR_CONFIG');
  const shown = (tree: Tree, file: string | undefined) => {
    if (!file) return '';
    const rel = relative(tree.dir, file);
    return ` with ${rel.startsWith('..') || isAbsolute(rel) ? file : rel}`;
  };
  log(`synthesizing ${fromTree.label}${shown(fromTree, fromConfig)} and ${toTree.label}${shown(toTree, toConfig)}`);
  const [fromOut, toOut] = [join(scratch, 'out-from', 'cdktf.out'), join(scratch, 'out-to', 'cdktf.out')];
  // One tree synthesizes one config at a time (its build output in dist/ is shared); two trees in parallel.
  const sameSynth = toTree.dir === fromTree.dir && toConfig === fromConfig;
  let fromResult: SynthResult;
  let toResult: SynthResult;
  if (toTree.dir === fromTree.dir) {
    fromResult = await synth(fromTree, fromConfig, fromOut);
    toResult = sameSynth ? fromResult : await synth(toTree, toConfig, toOut);
  } else {
    [fromResult, toResult] = await Promise.all([synth(fromTree, fromConfig, fromOut), synth(toTree, toConfig, toOut)]);
  }
  for (const [result, tree] of [
    [fromResult, fromTree],
    [toResult, toTree],
  ] as const) {
    if (!result.ok) throw new ToolError(`synth of ${tree.label} failed:\n${result.output.trim()}`);
  }
  log(`synthesized in ${Math.max(fromResult.seconds, toResult.seconds).toFixed(1)} s`);
  const from = stackFile(fromOut, args.stack, fromTree.label);
  const to = stackFile(sameSynth ? fromOut : toOut, args.stack, toTree.label);
  return {
    from: { stack: JSON.parse(readFileSync(from.file, 'utf8')), label: fromTree.label },
    to: { stack: JSON.parse(readFileSync(to.file, 'utf8')), label: toTree.label },
    stackName: to.name === from.name ? to.name : `${from.name} → ${to.name}`,
  };
}

/** Removes the worktrees `synthesizeVersions` made. */
export function removeTrees(root: string, trees: readonly Tree[]): void {
  for (const t of trees) if (t.worktree && existsSync(t.dir)) git(root, ['worktree', 'remove', '--force', t.dir]);
}

async function report(
  args: Args,
  cwd: string,
  from: Version,
  to: Version,
  stackName: string,
  waivers: Waiver[] | undefined,
  log: (l: string) => void,
  started: number,
): Promise<number> {
  const result = await planUpgrade({ from, to, stackName, waivers, cacheDir: args.cache ? undefined : false, keep: args.keep, log });
  console.log(`\n${result.text}`);
  console.log(`(${((Date.now() - started) / 1000).toFixed(1)} s in all, synth included)`);
  if (args.summary) appendFileSync(resolve(cwd, args.summary), `${result.markdown}\n`);
  return result.report.exitCode;
}

/**
 * Runs the command; returns the exit code. `root` is the repository (the working tree); relative paths in the
 * arguments are relative to `cwd` (where npm was invoked).
 */
export async function run(argv: readonly string[], root: string = process.cwd(), cwd: string = process.env.INIT_CWD ?? process.cwd()): Promise<number> {
  let args: Args | 'help';
  try {
    args = parseArgs(argv);
  } catch (e) {
    console.error(`${(e as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (args === 'help') {
    console.log(USAGE);
    return 0;
  }
  const reason = unavailableReason();
  if (reason) {
    console.error(`plan:upgrade cannot run here: ${reason}. It needs terraform (1.11) and an offline mirror of hashicorp/aws (see README, "Safe change").`);
    return 2;
  }
  const started = Date.now();
  const log = (l: string) => console.log(`… ${l}`);
  const scratch = mkdtempSync(join(tmpdir(), 'plan-upgrade-'));
  const trees: Tree[] = [];
  // Interrupted: the worktrees and temp dirs go too (terraform, in the same process group, stops by itself).
  const interrupted = () => {
    removeTrees(root, trees);
    rmSync(scratch, { recursive: true, force: true });
    process.exit(130);
  };
  if (!args.keep) process.once('SIGINT', interrupted).once('SIGTERM', interrupted);
  try {
    let waivers: Waiver[] | undefined;
    if (args.waivers) {
      const file = resolve(cwd, args.waivers);
      if (!existsSync(file)) throw new UsageError(`--waivers ${args.waivers}: no such file`);
      try {
        waivers = parseWaivers(readFileSync(file, 'utf8'), args.waivers);
      } catch (e) {
        throw new UsageError((e as Error).message);
      }
    }
    if (args.fromJson && args.toJson) {
      const [fromFile, toFile] = [resolve(cwd, args.fromJson), resolve(cwd, args.toJson)];
      for (const f of [fromFile, toFile]) if (!existsSync(f)) throw new UsageError(`${relative(cwd, f)}: no such file`);
      const toStack = JSON.parse(readFileSync(toFile, 'utf8'));
      return await report(
        args,
        cwd,
        { stack: JSON.parse(readFileSync(fromFile, 'utf8')), label: args.fromJson },
        { stack: toStack, label: args.toJson },
        args.stack ?? toStack?.['//']?.metadata?.stackName ?? 'stack',
        waivers,
        log,
        started,
      );
    }
    const versions = await synthesizeVersions(args, root, cwd, scratch, trees, log);
    return await report(args, cwd, versions.from, versions.to, versions.stackName, waivers, log, started);
  } catch (e) {
    if (e instanceof UsageError) {
      console.error(`${e.message}\n\n${USAGE}`);
      return 2;
    }
    if (e instanceof ToolError || e instanceof SimulationError) {
      console.error(`plan:upgrade failed: ${e.message}`);
      return 2;
    }
    console.error(`plan:upgrade failed: ${(e as Error).stack ?? e}`);
    return 2;
  } finally {
    process.removeListener('SIGINT', interrupted).removeListener('SIGTERM', interrupted);
    if (args.keep) console.log(`kept: ${scratch}`);
    else {
      removeTrees(root, trees);
      rmSync(scratch, { recursive: true, force: true });
    }
  }
}
