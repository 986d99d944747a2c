/**
 * `npm run diagram`: synthesizes the stack `DR_CONFIG` configures (the embedded dev defaults without it) and writes
 * docs/architecture.svg from its JSON, then the same stack with `edge.mode: "accelerator"` into
 * docs/architecture-accelerator.svg.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, mergeConfig } from '../src/config';
import { stackName } from '../src/stack-identity';
import { renderSvg } from './diagram';

export async function main(_argv: readonly string[] = []): Promise<number> {
  const root = process.cwd();
  const synthesize = (outdir: string, env: NodeJS.ProcessEnv): object | number => {
    const synth = spawnSync(process.execPath, [join(root, 'scripts', 'run.js'), 'main.ts'], {
      stdio: 'inherit',
      env: { ...env, CDKTF_OUTDIR: outdir },
    });
    if (synth.status !== 0) return synth.status ?? 1;
    return JSON.parse(readFileSync(join(outdir, 'stacks', stackName(loadConfig(env)), 'cdk.tf.json'), 'utf8'));
  };
  mkdirSync(join(root, 'docs'), { recursive: true });
  const name = stackName(loadConfig(process.env));

  const dns = synthesize(join(root, 'cdktf.out'), process.env);
  if (typeof dns === 'number') return dns;
  writeFileSync(join(root, 'docs', 'architecture.svg'), renderSvg(dns));
  console.log(`wrote docs/architecture.svg (${name})`);

  // The same configuration with the accelerator edge.
  const dir = mkdtempSync(join(tmpdir(), 'diagram-'));
  const base = process.env.DR_CONFIG ? JSON.parse(readFileSync(process.env.DR_CONFIG, 'utf8')) : {};
  const config = join(dir, 'accelerator.json');
  writeFileSync(config, JSON.stringify(mergeConfig(base, { edge: { mode: 'accelerator' } })));
  const accelerator = synthesize(join(dir, 'out'), { ...process.env, DR_CONFIG: config });
  if (typeof accelerator === 'number') return accelerator;
  writeFileSync(join(root, 'docs', 'architecture-accelerator.svg'), renderSvg(accelerator));
  console.log(`wrote docs/architecture-accelerator.svg (${name}, edge.mode "accelerator")`);
  return 0;
}
