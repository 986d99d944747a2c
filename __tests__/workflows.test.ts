import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { DEPLOY_ENVIRONMENTS, DEPLOY_SESSION_SECONDS } from '../bootstrap/bootstrap-stack';
import { deploySteps } from '../scripts/deploy';

/**
 * The delivery pipeline (.github/workflows): valid workflow syntax, only scripts that exist, maintained actions
 * pinned by version, OIDC roles and no stored AWS keys, one deploy per environment at a time, prod after dev behind
 * its environment, and the Terraform version the README states.
 */
const root = join(__dirname, '..');
const workflowDir = join(root, '.github', 'workflows');
const validator = join(root, 'node_modules', '.bin', 'action-validator');

interface Step {
  readonly id?: string;
  readonly name?: string;
  readonly uses?: string;
  readonly run?: string;
  readonly if?: string;
  readonly with?: Record<string, unknown>;
  readonly env?: Record<string, unknown>;
  readonly 'working-directory'?: string;
}
interface Job {
  readonly name?: string;
  readonly uses?: string;
  readonly needs?: string | string[];
  readonly environment?: string | { name: string };
  readonly concurrency?: string | { group: string; 'cancel-in-progress'?: boolean | string };
  readonly permissions?: string | Record<string, string>;
  readonly strategy?: { matrix?: Record<string, unknown> };
  readonly env?: Record<string, unknown>;
  readonly steps?: Step[];
}
interface Workflow {
  readonly on: Record<string, unknown>;
  readonly env?: Record<string, unknown>;
  readonly permissions?: string | Record<string, string>;
  readonly jobs: Record<string, Job>;
}
interface WorkflowFile {
  readonly file: string;
  readonly path: string;
  readonly text: string;
  readonly doc: Workflow;
}

const files = readdirSync(workflowDir)
  .filter((f) => /\.ya?ml$/.test(f))
  .sort();
const workflows: WorkflowFile[] = files.map((file) => {
  const path = join(workflowDir, file);
  const text = readFileSync(path, 'utf8');
  return { file, path, text, doc: parse(text) as Workflow };
});
const workflow = (file: string): Workflow => {
  const found = workflows.find((w) => w.file === file);
  if (!found) throw new Error(`.github/workflows/${file} is missing`);
  return found.doc;
};
const jobsOf = (w: Workflow) => Object.entries(w.jobs);
const allJobs = workflows.flatMap((w) => jobsOf(w.doc).map(([id, job]) => ({ file: w.file, id, job })));
const allSteps = allJobs.flatMap(({ file, id, job }) => (job.steps ?? []).map((step) => ({ file, jobId: id, job, step })));
const runs = (job: Job) => (job.steps ?? []).map((s) => s.run ?? '').join('\n');
const environmentOf = (job: Job) => (typeof job.environment === 'object' ? job.environment.name : job.environment);
const needsOf = (job: Job) => (job.needs === undefined ? [] : Array.isArray(job.needs) ? job.needs : [job.needs]);
const action = (uses: string | undefined) => uses?.split('@')[0];
const stepsUsing = (job: Job, name: string) => (job.steps ?? []).filter((s) => action(s.uses) === name);

/**
 * What action-validator (the CLI the workflows are checked with) says about a file: '' when valid, else its
 * JSON errors. Not only the exit code: a run that could not start (status null) or printed anything is a problem.
 */
function validationProblems(path: string): string {
  const r = spawnSync(validator, [path], { encoding: 'utf8' });
  if (r.error) return `action-validator could not run: ${r.error.message}`;
  const output = `${r.stdout}${r.stderr}`.trim();
  if (r.status === 0 && output === '') return '';
  return `exit ${r.status}: ${output || '(no output)'}`;
}

describe('workflow files', () => {
  test('the pipeline is pull-request, deploy and drift', () => {
    expect(files).toEqual(expect.arrayContaining(['deploy.yml', 'drift.yml', 'pull-request.yml']));
  });

  test.each(files)('%s passes action-validator', (file) => {
    expect(validationProblems(join(workflowDir, file))).toBe('');
  });

  // The check above must be able to fail: each broken workflow is rejected by the same function.
  test.each([
    ['an unknown job key', 'on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    stepz:\n      - run: echo hi\n'],
    ['an unknown event', 'on: [pushh]\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo hi\n'],
    ['broken YAML', 'on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo hi\n       bad: indent\n'],
    ['a step with neither run nor uses', 'on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - name: nothing\n'],
  ])('a workflow with %s fails the check', (_what, text) => {
    const path = join(mkdtempSync(join(tmpdir(), 'workflow-')), 'broken.yml');
    writeFileSync(path, text);
    expect(validationProblems(path)).toMatch(/^exit 1: \{/);
  });

  test('every workflow sets CHECKPOINT_DISABLE and grants only read access by default', () => {
    for (const w of workflows) {
      expect([w.file, String(w.doc.env?.CHECKPOINT_DISABLE)]).toEqual([w.file, '1']);
      expect([w.file, w.doc.permissions]).toEqual([w.file, { contents: 'read' }]);
    }
  });
});

describe('npm scripts', () => {
  const scripts = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).scripts as Record<string, string>;
  const used = allSteps.flatMap(({ file, step }) =>
    [...(step.run ?? '').matchAll(/\bnpm\s+(run(?:-script)?\s+([\w:.-]+)|test\b|t\b|ci\b|install\b|i\b)/g)].map((m) => ({
      file,
      command: m[0],
      script: m[2] ?? (m[1] === 't' ? 'test' : m[1]),
    })),
  );

  test('the workflows run npm ci, npm test, synth, the layer check, the DR preflight, the upgrade check and deploy', () => {
    expect(new Set(used.map((u) => u.script))).toEqual(new Set(['ci', 'test', 'synth', 'verify:layers', 'dr', 'plan:upgrade', 'deploy']));
  });

  test('every `npm run <script>` and `npm test` names a script in package.json', () => {
    const missing = used.filter((u) => u.script !== 'ci' && !(u.script in scripts)).map((u) => `${u.file}: ${u.command}`);
    expect(missing).toEqual([]);
  });

  test('installs are `npm ci` from the committed lock file, never `npm install`', () => {
    expect(used.filter((u) => u.script === 'install' || u.script === 'i')).toEqual([]);
    expect(existsSync(join(root, 'package-lock.json'))).toBe(true);
  });

  test('deploys through `npm run deploy` (the guarded scripts/deploy.ts), auto-approved', () => {
    expect(scripts.deploy).toBe('node scripts/run.js scripts/deploy.ts');
    const deploys = used.filter((u) => u.script === 'deploy');
    expect(deploys.length).toBeGreaterThan(0);
    for (const { step } of allSteps.filter((s) => /npm run deploy/.test(s.step.run ?? ''))) {
      expect(step.run).toMatch(/npm run deploy -- --auto-approve/);
    }
  });
});

describe('actions', () => {
  const MAINTAINED: Record<string, string> = {
    'actions/checkout': 'v4',
    'actions/setup-node': 'v4',
    'hashicorp/setup-terraform': 'v3',
    'aws-actions/configure-aws-credentials': 'v4',
    'actions/github-script': 'v7',
    'actions/upload-artifact': 'v4',
  };
  const uses = [...allSteps.map((s) => s.step.uses), ...allJobs.map((j) => j.job.uses)].filter((u): u is string => !!u);

  test('every action is pinned by a version tag, never a branch', () => {
    const unpinned = uses.filter((u) => !u.startsWith('./') && !/^[\w.-]+\/[\w./-]+@v\d+(\.\d+){0,2}$/.test(u));
    expect(unpinned).toEqual([]);
    expect(uses.filter((u) => /@(main|master|HEAD)$/.test(u))).toEqual([]);
  });

  test('only the maintained actions, at the major versions we reviewed', () => {
    const unexpected = uses.filter((u) => MAINTAINED[action(u)!] !== u.split('@')[1]);
    expect(unexpected).toEqual([]);
  });

  test('setup-node uses Node 20 with the npm cache', () => {
    const steps = allSteps.filter((s) => action(s.step.uses) === 'actions/setup-node');
    expect(steps.length).toBeGreaterThan(0);
    for (const { step } of steps) expect(step.with).toMatchObject({ 'node-version': 20, cache: 'npm' });
  });

  test('every github-script script compiles', () => {
    const AsyncFunction = Object.getPrototypeOf(async () => undefined).constructor;
    const scripts = allSteps.filter((s) => action(s.step.uses) === 'actions/github-script');
    expect(scripts.length).toBeGreaterThan(0);
    for (const { step } of scripts) expect(() => new AsyncFunction('require', 'github', 'context', 'core', step.with?.script)).not.toThrow();
  });
});

describe('AWS access', () => {
  test('no long-lived AWS keys anywhere: no key inputs, no AWS key secrets', () => {
    for (const w of workflows) {
      expect([w.file, w.text.match(/aws-access-key-id|aws-secret-access-key|aws-session-token|AWS_ACCESS_KEY_ID|AWS_SECRET_ACCESS_KEY|AWS_SESSION_TOKEN/gi)]).toEqual([
        w.file,
        null,
      ]);
      expect([w.file, w.text.match(/\bsecrets\.(?!GITHUB_TOKEN\b)\w+/g)]).toEqual([w.file, null]);
    }
  });

  const credentialSteps = allSteps.filter((s) => action(s.step.uses) === 'aws-actions/configure-aws-credentials');

  test('every AWS credential comes from an OIDC-assumed role in a job allowed to request the token', () => {
    expect(credentialSteps.length).toBeGreaterThan(0);
    for (const { file, jobId, job, step } of credentialSteps) {
      expect([file, jobId, step.with?.['role-to-assume']]).toEqual([file, jobId, expect.stringMatching(/^\$\{\{ vars\.AWS_(PLAN|DEPLOY)_ROLE_ARN \}\}$/)]);
      expect([file, jobId, job.permissions]).toEqual([file, jobId, expect.objectContaining({ 'id-token': 'write' })]);
    }
  });

  test('the deploy role is used only in jobs of the environments it trusts (sub = environment:<name>)', () => {
    const deploy = credentialSteps.filter((s) => /AWS_DEPLOY_ROLE_ARN/.test(String(s.step.with?.['role-to-assume'])));
    expect(deploy.map((s) => s.file)).toEqual(deploy.map(() => 'deploy.yml'));
    expect(deploy.map((s) => environmentOf(s.job)).sort()).toEqual([...DEPLOY_ENVIRONMENTS].sort());
    for (const { step } of deploy) expect(Number(step.with?.['role-duration-seconds'])).toBeLessThanOrEqual(DEPLOY_SESSION_SECONDS);
  });

  test('the plan role is used only in jobs without an environment (sub = pull_request or ref:refs/heads/main)', () => {
    const plan = credentialSteps.filter((s) => /AWS_PLAN_ROLE_ARN/.test(String(s.step.with?.['role-to-assume'])));
    expect(new Set(plan.map((s) => s.file))).toEqual(new Set(['pull-request.yml', 'drift.yml']));
    for (const { job } of plan) expect(job.environment).toBeUndefined();
  });

  test('plans run with -lock=false: the plan role cannot write the S3 lock file', () => {
    const command = /^\s*terraform plan\b/;
    const plans = allSteps.flatMap(({ file, step }) => (step.run ?? '').split('\n').filter((l) => command.test(l)).map((line) => [file, line]));
    expect(plans.length).toBeGreaterThanOrEqual(2);
    for (const [file, line] of plans) expect([file, line]).toEqual([file, expect.stringMatching(/ -lock=false\b/)]);
  });
});

describe('terraform version', () => {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const stated = readme.match(/Terraform (\d+)\.(\d+) or newer is required/);
  const setups = allSteps.filter((s) => action(s.step.uses) === 'hashicorp/setup-terraform');

  test('the README states the required Terraform minor version', () => {
    expect(stated).not.toBeNull();
  });

  test('every setup-terraform pins one exact patch of the README version, without the wrapper', () => {
    expect(setups.length).toBeGreaterThan(0);
    const versions = new Set(setups.map((s) => String(s.step.with?.terraform_version)));
    expect(versions.size).toBe(1);
    const [version] = versions;
    expect(version).toMatch(new RegExp(`^${stated![1]}\\.${stated![2]}\\.\\d+$`));
    expect(version).toMatch(/^1\.11\.\d+$/);
    for (const { step } of setups) expect(step.with?.terraform_wrapper).toBe(false);
  });

  test('every job that runs terraform or cdktf sets Terraform up first', () => {
    for (const { file, id, job } of allJobs) {
      const steps = job.steps ?? [];
      const first = steps.findIndex((s) => /\bterraform\b|npm run deploy|\bcdktf\b/.test(s.run ?? ''));
      if (first < 0) continue;
      const setup = steps.findIndex((s) => action(s.uses) === 'hashicorp/setup-terraform');
      expect([file, id, setup >= 0 && setup < first]).toEqual([file, id, true]);
    }
  });
});

describe('pull requests', () => {
  const pr = workflow('pull-request.yml');
  const planJob = jobsOf(pr).find(([, job]) => /terraform plan/.test(runs(job)))?.[1];

  test('run on pull requests: npm ci and npm test', () => {
    expect(pr.on).toHaveProperty('pull_request');
    const all = jobsOf(pr).map(([, job]) => runs(job)).join('\n');
    expect(all).toMatch(/^npm ci$/m);
    expect(all).toMatch(/^npm test$/m);
  });

  test('synth dev and prod with their config, and plan each against the real backend', () => {
    expect(planJob).toBeDefined();
    expect(planJob!.strategy?.matrix?.environment).toEqual(['dev', 'prod']);
    expect(planJob!.env).toMatchObject({
      DR_CONFIG: 'config/${{ matrix.environment }}.json',
      STACK: 'payments-dr-${{ matrix.environment }}',
      TERRAFORM_STATE_BUCKET: '${{ vars.TERRAFORM_STATE_BUCKET }}',
      TERRAFORM_STATE_BUCKET_REGION: '${{ vars.TERRAFORM_STATE_BUCKET_REGION }}',
    });
    expect(runs(planJob!)).toMatch(/npm run synth/);
    expect(runs(planJob!)).toMatch(/terraform init/);
    expect(planJob!.permissions).toEqual({ 'id-token': 'write', contents: 'read', 'pull-requests': 'write' });
  });

  test('the DR report, and the security findings when present, go to the job summary', () => {
    const summary = runs(planJob!);
    expect(summary).toMatch(/cdktf\.out\/stacks\/\*\/dr-report\.md/);
    expect(summary).toMatch(/cdktf\.out\/stacks\/\*\/security-report\.md/);
    expect(summary).toMatch(/>> "\$GITHUB_STEP_SUMMARY"/);
  });

  test('the plan is posted as a PR comment', () => {
    expect(stepsUsing(planJob!, 'actions/github-script')).toHaveLength(1);
  });
});

describe('pull requests: safe change (npm run plan:upgrade)', () => {
  const pr = workflow('pull-request.yml');
  const found = jobsOf(pr).find(([, job]) => /npm run plan:upgrade/.test(runs(job)));
  const job = found?.[1];
  const steps = job?.steps ?? [];
  const check = steps.find((s) => /npm run plan:upgrade/.test(s.run ?? ''));

  test('a job runs it for dev and prod, each with its config, against the merge base', () => {
    expect(job?.strategy?.matrix?.environment).toEqual(['dev', 'prod']);
    expect(check?.run).toMatch(/base="\$\(git merge-base "origin\/\$BASE_REF" HEAD\)"/);
    expect(check?.run).toMatch(/--from "\$base" --config "config\/\$ENVIRONMENT\.json"/);
    expect(check?.env).toMatchObject({ ENVIRONMENT: '${{ matrix.environment }}', BASE_REF: '${{ github.base_ref }}' });
    // The base's history is needed for the merge base.
    expect(steps.find((s) => action(s.uses) === 'actions/checkout')?.with).toMatchObject({ 'fetch-depth': 0 });
  });

  test('the report goes to the job summary and the exit code fails the job', () => {
    expect(check?.run).toMatch(/--summary "\$GITHUB_STEP_SUMMARY"/);
    expect(check?.run).toMatch(/code=\$\?[\s\S]*exit \$code\s*$/);
  });

  test('offline: Terraform and the provider mirror are set up before it, and it gets no AWS credentials', () => {
    const at = steps.indexOf(check!);
    expect(steps.findIndex((s) => action(s.uses) === 'hashicorp/setup-terraform')).toBeLessThan(at);
    expect(steps.findIndex((s) => /TF_PROVIDER_MIRROR=/.test(s.run ?? ''))).toBeLessThan(at);
    expect(stepsUsing(job!, 'aws-actions/configure-aws-credentials')).toEqual([]);
    expect(job?.permissions).toBeUndefined();
  });

  test('waivers count only with the maintainer label, from the reviewed waiver file', () => {
    expect(check?.env?.WAIVER_APPROVED).toBe("${{ contains(github.event.pull_request.labels.*.name, 'stateful-change-approved') }}");
    expect(check?.run).toMatch(/if \[ "\$WAIVER_APPROVED" = "true" \]; then[\s\S]*args\+=\(--waivers \.github\/upgrade-waivers\.json\)/);
    // Adding or removing the label re-runs the checks.
    expect((pr.on.pull_request as { types?: string[] }).types).toEqual(expect.arrayContaining(['opened', 'synchronize', 'reopened', 'labeled', 'unlabeled']));
  });
});

describe('deploy', () => {
  const deploy = workflow('deploy.yml');
  const deployJobs = jobsOf(deploy).filter(([, job]) => /npm run deploy/.test(runs(job)));
  const byEnvironment = new Map(deployJobs.map(([id, job]) => [environmentOf(job), { id, job }]));

  test('runs on pushes to main', () => {
    expect(deploy.on).toMatchObject({ push: { branches: ['main'] } });
  });

  test('one deploy job per environment, dev and prod', () => {
    expect(deployJobs).toHaveLength(2);
    expect([...byEnvironment.keys()].sort()).toEqual(['dev', 'prod']);
  });

  test.each(['dev', 'prod'])('%s: its own concurrency group, never cancelling a deploy in progress', (env) => {
    const { job } = byEnvironment.get(env)!;
    expect(job.concurrency).toEqual({ group: `deploy-${env}`, 'cancel-in-progress': false });
  });

  test.each(['dev', 'prod'])('%s: its config and the state bucket from repository variables', (env) => {
    const { job } = byEnvironment.get(env)!;
    expect(job.env).toMatchObject({
      DR_CONFIG: `config/${env}.json`,
      STACK: `payments-dr-${env}`,
      TERRAFORM_STATE_BUCKET: '${{ vars.TERRAFORM_STATE_BUCKET }}',
      TERRAFORM_STATE_BUCKET_REGION: '${{ vars.TERRAFORM_STATE_BUCKET_REGION }}',
    });
  });

  test('prod deploys after dev, behind the prod environment', () => {
    const dev = byEnvironment.get('dev')!;
    const prod = byEnvironment.get('prod')!;
    expect(prod.job.environment).toBe('prod');
    expect(needsOf(prod.job)).toContain(dev.id);
    expect(needsOf(dev.job)).not.toContain(prod.id);
  });

  test.each(['dev', 'prod'])('%s: writes the stack outputs to an artifact for the DR CLI', (env) => {
    const { job } = byEnvironment.get(env)!;
    const steps = job.steps ?? [];
    const output = steps.findIndex((s) => /cdktf output\b.*--outputs-file cdktf\.out\/outputs\.json/.test(s.run ?? ''));
    const deployStep = steps.findIndex((s) => /npm run deploy/.test(s.run ?? ''));
    expect(output).toBeGreaterThan(deployStep);
    const upload = steps.findIndex((s) => action(s.uses) === 'actions/upload-artifact' && s.with?.path === 'cdktf.out/outputs.json');
    expect(upload).toBeGreaterThan(output);
    expect(steps[upload].with?.name).toBe(`dr-outputs-${env}`);
  });
});

describe('DR preflight guards every deploy and drift plan', () => {
  const preflight = (s: Step) => /^npm run dr -- preflight$/m.test(s.run ?? '');
  const deployJobs = jobsOf(workflow('deploy.yml')).filter(([, job]) => /npm run deploy/.test(runs(job)));
  const driftJobs = jobsOf(workflow('drift.yml'));

  test('there is a deploy job per environment and a drift job to guard', () => {
    expect(deployJobs).toHaveLength(2);
    expect(driftJobs).toHaveLength(1);
  });

  test('`npm run deploy` runs synth, preflight and the lock before cdktf deploy (scripts/deploy.ts), so no caller can skip them', () => {
    const steps = deploySteps(['--auto-approve'], '/repo', 'node');
    const order = [steps.synth, steps.preflight, steps.lock, steps.deploy].map((s) => [s.command, ...s.args].join(' '));
    expect(order).toEqual([
      'node /repo/scripts/run.js main.ts',
      'node /repo/scripts/run.js src/dr-cli/main.ts preflight',
      'node /repo/scripts/run.js src/dr-cli/main.ts lock --operation deploy --for 90m',
      'cdktf deploy --skip-synth --auto-approve',
    ]);
  });

  test.each(deployJobs)('deploy.yml %s: deploys only through the guarded script, after the AWS credentials, with its own config', (_id, job) => {
    const steps = job.steps ?? [];
    const credentials = steps.findIndex((s) => action(s.uses) === 'aws-actions/configure-aws-credentials');
    const deploy = steps.findIndex((s) => /npm run deploy/.test(s.run ?? ''));
    expect(deploy).toBeGreaterThan(credentials);
    expect(steps[deploy]).not.toHaveProperty('continue-on-error');
    expect(steps[deploy].run).not.toMatch(/\|\||;/);
    // No way around the guard: no raw cdktf deploy / terraform apply step.
    expect(steps.filter((s) => /cdktf deploy|terraform apply/.test(s.run ?? ''))).toEqual([]);
    // The config preflight compares with is the one being deployed.
    expect(String(job.env?.DR_CONFIG)).toMatch(/^config\/(dev|prod)\.json$/);
  });

  test.each(driftJobs)('drift.yml %s: preflight runs after the AWS credentials and the synth, before the plan', (_id, job) => {
    const steps = job.steps ?? [];
    const at = steps.findIndex(preflight);
    const credentials = steps.findIndex((s) => action(s.uses) === 'aws-actions/configure-aws-credentials');
    const synth = steps.findIndex((s) => /npm run synth/.test(s.run ?? ''));
    const target = steps.findIndex((s) => /terraform plan\b/.test(s.run ?? ''));
    expect(at).toBeGreaterThan(credentials);
    expect(at).toBeGreaterThan(synth); // the synthesized stack gives the reserved-concurrency total
    expect(at).toBeLessThan(target);
    // No `continue-on-error`, no `|| true`: a refusal stops the job.
    expect(steps[at]).not.toHaveProperty('continue-on-error');
    expect(steps[at].run).not.toMatch(/\|\||;/);
    expect(String(job.env?.DR_CONFIG)).toBe('config/${{ matrix.environment }}.json');
  });
});

describe('drift', () => {
  const drift = workflow('drift.yml');
  const [, job] = jobsOf(drift)[0];
  const steps = job.steps ?? [];
  const planStep = steps.find((s) => /terraform plan\b/.test(s.run ?? ''))!;

  test('runs daily on a schedule, for dev and prod', () => {
    expect(drift.on.schedule).toEqual([{ cron: expect.stringMatching(/^\d+ \d+ \* \* \*$/) }]);
    expect(job.strategy?.matrix?.environment).toEqual(['dev', 'prod']);
    expect(job.env).toMatchObject({ DR_CONFIG: 'config/${{ matrix.environment }}.json' });
  });

  test('synth, then terraform init and plan -detailed-exitcode -lock=false in the stack directory', () => {
    const synth = steps.findIndex((s) => /npm run synth/.test(s.run ?? ''));
    const init = steps.findIndex((s) => /terraform init/.test(s.run ?? ''));
    expect(synth).toBeGreaterThanOrEqual(0);
    expect(init).toBeGreaterThan(synth);
    expect(planStep.run).toMatch(/terraform plan -detailed-exitcode -lock=false/);
    expect(planStep['working-directory']).toBe('cdktf.out/stacks/${{ env.STACK }}');
    expect(planStep.id).toBe('plan');
  });

  test('exit 1 fails the job; exit 2 opens or updates a drift issue', () => {
    expect(planStep.run).toMatch(/\*\) .*exit 1/);
    const issue = steps.find((s) => action(s.uses) === 'actions/github-script' && s.if === "steps.plan.outputs.exitcode == '2'");
    expect(issue).toBeDefined();
    expect(job.permissions).toMatchObject({ issues: 'write', 'id-token': 'write' });
  });
});

// --- The github-script steps, run against a fake GitHub API ----------------------------------------------------

type Call = [string, Record<string, any>];

function fakeGitHub(state: { comments?: any[]; issues?: any[]; labelMissing?: boolean }) {
  const calls: Call[] = [];
  const record = (name: string, result: unknown = {}) =>
    jest.fn(async (args: Record<string, any>) => {
      calls.push([name, args]);
      return { data: result };
    });
  const github = {
    paginate: jest.fn(async (fn: { endpoint: string }) => (fn.endpoint === 'listComments' ? (state.comments ?? []) : (state.issues ?? []))),
    rest: {
      issues: {
        listComments: { endpoint: 'listComments' },
        listForRepo: { endpoint: 'listForRepo' },
        createComment: record('createComment'),
        updateComment: record('updateComment'),
        create: record('create', { number: 7 }),
        update: record('update'),
        createLabel: record('createLabel'),
        getLabel: jest.fn(async () => {
          if (state.labelMissing) throw Object.assign(new Error('Not Found'), { status: 404 });
          return { data: {} };
        }),
      },
    },
  };
  const context = {
    repo: { owner: 'acme', repo: 'payments' },
    issue: { number: 12 },
    sha: '0123456789abcdef',
    runId: 99,
    serverUrl: 'https://github.com',
    payload: { pull_request: { head: { sha: 'fedcba9876543210' } } },
  };
  const core = { notice: jest.fn() };
  return { github, context, core, calls };
}

async function runScript(file: string, predicate: (s: Step) => boolean, env: Record<string, string>, state: Parameters<typeof fakeGitHub>[0]) {
  const step = allSteps.find((s) => s.file === file && action(s.step.uses) === 'actions/github-script' && predicate(s.step))!.step;
  const AsyncFunction = Object.getPrototypeOf(async () => undefined).constructor;
  const fn = new AsyncFunction('require', 'github', 'context', 'core', step.with!.script as string);
  const fake = fakeGitHub(state);
  const saved = { ...process.env };
  Object.assign(process.env, env);
  try {
    await fn(require, fake.github, fake.context, fake.core);
  } finally {
    process.env = saved;
  }
  return fake.calls;
}

function planFile(text: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'plan-')), 'plan.txt');
  writeFileSync(path, text);
  return path;
}

describe('PR plan comment script', () => {
  const comment = (env: Record<string, string>, state: Parameters<typeof fakeGitHub>[0] = {}) =>
    runScript('pull-request.yml', () => true, { ENVIRONMENT: 'prod', PLAN_EXIT: '0', ...env }, state);

  test('posts the plan with its summary line', async () => {
    const calls = await comment({ PLAN_FILE: planFile('Terraform will perform the following actions:\n\nPlan: 3 to add, 0 to change, 0 to destroy.\n') });
    expect(calls).toHaveLength(1);
    const [name, args] = calls[0];
    expect(name).toBe('createComment');
    expect(args.issue_number).toBe(12);
    expect(args.body).toContain('<!-- terraform-plan:prod -->');
    expect(args.body).toContain('**Plan: 3 to add, 0 to change, 0 to destroy.**');
  });

  test('truncates a huge plan to fit GitHub’s 65536-character comment limit', async () => {
    const huge = `${'  # aws_ssm_parameter.x will be created\n'.repeat(6000)}Plan: 6000 to add, 0 to change, 0 to destroy.\n`;
    expect(huge.length).toBeGreaterThan(200000);
    const [[, args]] = await comment({ PLAN_FILE: planFile(huge) });
    expect(args.body.length).toBeLessThanOrEqual(65536);
    expect(args.body).toMatch(/truncated: \d+ more characters/);
    expect(args.body).toContain('**Plan: 6000 to add, 0 to change, 0 to destroy.**');
  });

  test('updates its own earlier comment for the same environment instead of adding one', async () => {
    const calls = await comment(
      { PLAN_FILE: planFile('No changes. Your infrastructure matches the configuration.\n') },
      { comments: [{ id: 5, user: { type: 'Bot' }, body: '<!-- terraform-plan:dev -->' }, { id: 6, user: { type: 'Bot' }, body: 'x <!-- terraform-plan:prod -->' }] },
    );
    expect(calls).toEqual([['updateComment', expect.objectContaining({ comment_id: 6 })]]);
  });

  test('a failed plan is posted as failed', async () => {
    const [[, args]] = await comment({ PLAN_EXIT: '1', PLAN_FILE: planFile('Error: No valid credential sources found\n') });
    expect(args.body).toMatch(/:x: failed/);
    expect(args.body).toContain('No valid credential sources found');
  });
});

describe('drift issue script', () => {
  const plan = '  # aws_security_group.app will be updated in-place\n  ~ resource "aws_security_group" "app" {}\n\nPlan: 0 to add, 1 to change, 0 to destroy.\n';
  const open = (state: Parameters<typeof fakeGitHub>[0]) =>
    runScript('drift.yml', (s) => s.if === "steps.plan.outputs.exitcode == '2'", { ENVIRONMENT: 'prod', PLAN_FILE: planFile(plan) }, state);

  test('opens an issue labelled drift, creating the label when missing', async () => {
    const calls = await open({ labelMissing: true, issues: [] });
    expect(calls.map(([name]) => name)).toEqual(['createLabel', 'create']);
    const [, issue] = calls[1];
    expect(issue).toMatchObject({ title: 'Drift detected: prod', labels: ['drift'] });
    expect(issue.body).toContain('**Plan: 0 to add, 1 to change, 0 to destroy.**');
    expect(issue.body).toContain('- `aws_security_group.app will be updated in-place`');
  });

  test('updates the open issue of the same environment', async () => {
    const calls = await open({ issues: [{ number: 3, title: 'Drift detected: dev' }, { number: 4, title: 'Drift detected: prod' }] });
    expect(calls.map(([name, args]) => [name, args.issue_number])).toEqual([
      ['update', 4],
      ['createComment', 4],
    ]);
  });
});

describe('the operation lock holds automatic failover during every deploy', () => {
  const deploys = jobsOf(workflow('deploy.yml')).filter(([, job]) => /npm run deploy/.test(runs(job)));

  test.each(deploys)('deploy.yml %s: the lock is released after the deploy even when the job is cancelled mid-deploy', (_id, job) => {
    const steps = job.steps ?? [];
    const index = (re: RegExp) => steps.findIndex((s) => re.test(s.run ?? ''));
    const release = index(/^npm run dr -- lock --release$/);
    expect(release).toBeGreaterThan(index(/npm run deploy/));
    expect(steps[release].if).toBe('always()');
  });
});
