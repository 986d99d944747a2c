/**
 * `npm run diagram`: synthesizes the stack `DR_CONFIG` configures (the embedded dev defaults without it) and writes
 * docs/architecture.svg from its JSON.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../src/config';
import { stackName } from '../src/dr-stack';
import { renderSvg } from './diagram';

export async function main(_argv: readonly string[] = []): Promise<number> {
  const root = process.cwd();
  const outdir = join(root, 'cdktf.out');
  const synth = spawnSync(process.execPath, [join(root, 'scripts', 'run.js'), 'main.ts'], {
    stdio: 'inherit',
    env: { ...process.env, CDKTF_OUTDIR: outdir },
  });
  if (synth.status !== 0) return synth.status ?? 1;
  const name = stackName(loadConfig(process.env));
  const stackJson = JSON.parse(readFileSync(join(outdir, 'stacks', name, 'cdk.tf.json'), 'utf8'));
  mkdirSync(join(root, 'docs'), { recursive: true });
  writeFileSync(join(root, 'docs', 'architecture.svg'), renderSvg(stackJson));
  console.log(`wrote docs/architecture.svg (${name})`);
  return 0;
}
