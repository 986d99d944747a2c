// Rotation of the master password against a real PostgreSQL, with Secrets Manager played by an in-memory fake of
// the secret's versions and staging labels behind aws-sdk-client-mock, so the four steps compose as they do in AWS.
import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import {
  DescribeSecretCommand,
  GetRandomPasswordCommand,
  GetSecretValueCommand,
  InvalidParameterException,
  InvalidRequestException,
  PutSecretValueCommand,
  ResourceExistsException,
  ResourceNotFoundException,
  SecretsManagerClient,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { randomBytes, randomInt, randomUUID } from 'node:crypto';
import { Client, type ClientConfig, escapeIdentifier, escapeLiteral } from 'pg';
import {
  createHandler,
  EXCLUDE_CHARACTERS,
  ROTATION_STEPS,
  type RotationHandler,
  type RotationStep,
  scramSha256Verifier,
} from '../../lambdas/secret-rotation';
import { Database } from '../../lambdas/shared/db';
import { describeError } from '../../lambdas/shared/errors';
import type { LogSink } from '../../lambdas/shared/observability';
import { DbCredentials } from '../../lambdas/shared/secrets';
import { freePort, startPostgres, type TestPostgres } from '../support/postgres';

const SECRET_NAME = 'pay-dev-aurora-master';
const SECRET_ARN = `arn:aws:secretsmanager:us-east-1:123456789012:secret:${SECRET_NAME}-AbCdEf`;
const CURRENT = 'AWSCURRENT';
const PENDING = 'AWSPENDING';
const PREVIOUS = 'AWSPREVIOUS';

interface Version {
  value?: string;
  readonly stages: Set<string>;
}

/**
 * One secret as Secrets Manager keeps it: versions, each with an optional value and staging labels (a label is
 * on at most one version; moving AWSCURRENT puts AWSPREVIOUS on the version it left). `startRotation` does what
 * RotateSecret does before invoking the function: an empty version for the token, labelled AWSPENDING.
 */
class FakeSecret {
  readonly client = new SecretsManagerClient({ region: 'us-east-1' });
  readonly mock = mockClient(this.client);
  rotationEnabled = true;
  /** Returned by the next GetRandomPassword instead of a generated one. */
  nextPassword?: string;
  /** Every password this secret ever held: none may appear in a log line. */
  readonly passwords = new Set<string>();
  private readonly versions = new Map<string, Version>();

  constructor(initial: Record<string, unknown>) {
    const id = randomUUID();
    this.versions.set(id, { value: JSON.stringify(initial), stages: new Set([CURRENT]) });
    this.passwords.add(String(initial.password));
    this.mock.on(DescribeSecretCommand).callsFake((input) => this.describe(input));
    this.mock.on(GetSecretValueCommand).callsFake((input) => this.getValue(input));
    this.mock.on(PutSecretValueCommand).callsFake((input) => this.putValue(input));
    this.mock.on(UpdateSecretVersionStageCommand).callsFake((input) => this.updateStage(input));
    this.mock.on(GetRandomPasswordCommand).callsFake((input) => this.randomPassword(input));
  }

  /** RotateSecret: refuses while another rotation is unfinished, else labels a new empty version AWSPENDING. */
  startRotation(): string {
    const pending = this.versionOf(PENDING);
    if (pending && !this.versions.get(pending)?.stages.has(CURRENT)) {
      throw new Error(`a previous rotation (${pending}) isn't complete; it will be reattempted`);
    }
    const token = randomUUID();
    this.versions.set(token, { stages: new Set() });
    this.attach(PENDING, token);
    return token;
  }

  /** A PutSecretValue outside rotation (a person, a tool): a new AWSCURRENT the database knows nothing about. */
  putOutOfBand(value: Record<string, unknown>): void {
    this.putValue({ SecretId: SECRET_ARN, ClientRequestToken: randomUUID(), SecretString: JSON.stringify(value) });
  }

  versionOf(stage: string): string | undefined {
    return [...this.versions].find(([, v]) => v.stages.has(stage))?.[0];
  }

  stagesOf(versionId: string): string[] {
    return [...(this.versions.get(versionId)?.stages ?? [])].sort();
  }

  value(stage: string): Record<string, any> {
    const id = this.versionOf(stage);
    const value = id === undefined ? undefined : this.versions.get(id)?.value;
    if (value === undefined) throw new Error(`no ${stage} value`);
    return JSON.parse(value);
  }

  calls(command: Parameters<FakeSecret['mock']['commandCalls']>[0]): any[] {
    return this.mock.commandCalls(command).map((c) => c.args[0].input);
  }

  private checkId(secretId: string | undefined): void {
    if (secretId !== SECRET_ARN && secretId !== SECRET_NAME) throw notFound("Secrets Manager can't find the specified secret.");
  }

  private describe(input: { SecretId?: string }) {
    this.checkId(input.SecretId);
    const VersionIdsToStages: Record<string, string[]> = {};
    for (const [id, v] of this.versions) if (v.stages.size > 0) VersionIdsToStages[id] = [...v.stages];
    return { ARN: SECRET_ARN, Name: SECRET_NAME, RotationEnabled: this.rotationEnabled, VersionIdsToStages };
  }

  private getValue(input: { SecretId?: string; VersionId?: string; VersionStage?: string }) {
    this.checkId(input.SecretId);
    const stage = input.VersionStage ?? (input.VersionId ? undefined : CURRENT);
    const id = input.VersionId ?? (stage ? this.versionOf(stage) : undefined);
    const version = id === undefined ? undefined : this.versions.get(id);
    if (!version || version.value === undefined || (stage !== undefined && !version.stages.has(stage))) {
      throw notFound(`Secrets Manager can't find the specified secret value for VersionId: ${input.VersionId} and staging label: ${stage}`);
    }
    return { ARN: SECRET_ARN, Name: SECRET_NAME, VersionId: id, SecretString: version.value, VersionStages: [...version.stages] };
  }

  private putValue(input: { SecretId?: string; ClientRequestToken?: string; SecretString?: string; VersionStages?: string[] }) {
    this.checkId(input.SecretId);
    const token = input.ClientRequestToken as string;
    const existing = this.versions.get(token);
    if (existing?.value !== undefined) {
      if (existing.value !== input.SecretString) {
        throw new ResourceExistsException({ message: 'a version with this token already exists with another value', $metadata: {} });
      }
      return { ARN: SECRET_ARN, Name: SECRET_NAME, VersionId: token, VersionStages: [...existing.stages] };
    }
    this.versions.set(token, { value: input.SecretString, stages: existing?.stages ?? new Set() });
    this.passwords.add(String(JSON.parse(input.SecretString as string).password));
    for (const stage of input.VersionStages ?? [CURRENT]) this.attach(stage, token);
    return { ARN: SECRET_ARN, Name: SECRET_NAME, VersionId: token, VersionStages: this.stagesOf(token) };
  }

  private updateStage(input: { SecretId?: string; VersionStage?: string; MoveToVersionId?: string; RemoveFromVersionId?: string }) {
    this.checkId(input.SecretId);
    const stage = input.VersionStage as string;
    const holder = this.versionOf(stage);
    if (input.RemoveFromVersionId !== undefined && holder !== input.RemoveFromVersionId) {
      throw new InvalidParameterException({ message: `${stage} is not attached to version ${input.RemoveFromVersionId}`, $metadata: {} });
    }
    if (holder !== undefined && holder !== input.MoveToVersionId && input.RemoveFromVersionId === undefined) {
      throw new InvalidParameterException({ message: `${stage} is attached to version ${holder}; specify RemoveFromVersionId`, $metadata: {} });
    }
    if (!input.MoveToVersionId || !this.versions.has(input.MoveToVersionId)) {
      throw new InvalidRequestException({ message: 'no such version', $metadata: {} });
    }
    this.attach(stage, input.MoveToVersionId);
    return { ARN: SECRET_ARN, Name: SECRET_NAME };
  }

  private randomPassword(input: { PasswordLength?: number; ExcludeCharacters?: string }) {
    if (this.nextPassword !== undefined) {
      const password = this.nextPassword;
      this.nextPassword = undefined;
      return { RandomPassword: password };
    }
    const alphabet = [...Array(94)].map((_, i) => String.fromCharCode(33 + i)).filter((c) => !(input.ExcludeCharacters ?? '').includes(c));
    const length = input.PasswordLength ?? 32;
    for (;;) {
      const password = [...Array(length)].map(() => alphabet[randomInt(alphabet.length)]).join('');
      if ([/[a-z]/, /[A-Z]/, /[0-9]/, /[^A-Za-z0-9]/].every((re) => re.test(password))) return { RandomPassword: password };
    }
  }

  /** Puts `stage` on `versionId` alone; the version that loses AWSCURRENT gets AWSPREVIOUS. */
  private attach(stage: string, versionId: string): void {
    const from = this.versionOf(stage);
    if (from === versionId) return;
    if (from !== undefined) this.versions.get(from)?.stages.delete(stage);
    this.versions.get(versionId)?.stages.add(stage);
    if (stage === CURRENT && from !== undefined) this.attach(PREVIOUS, from);
  }
}

function notFound(message: string): ResourceNotFoundException {
  return new ResourceNotFoundException({ message, $metadata: {} });
}

let pg: TestPostgres;
let database: string;
let deadPort: number;
/** Every log line of every handler and every error a step threw (Lambda logs those too). */
const logLines: string[] = [];
const fakes: FakeSecret[] = [];
const containers: Database[] = [];

const captureLogger: LogSink = {
  debug: (message, ...extra) => logLines.push(JSON.stringify({ level: 'DEBUG', message, extra })),
  info: (message, ...extra) => logLines.push(JSON.stringify({ level: 'INFO', message, extra })),
  warn: (message, ...extra) => logLines.push(JSON.stringify({ level: 'WARN', message, extra })),
  error: (message, ...extra) => logLines.push(JSON.stringify({ level: 'ERROR', message, extra })),
};

beforeAll(async () => {
  pg = await startPostgres();
  database = await pg.createDatabase('rotation');
  deadPort = await freePort();
  // SCRAM-SHA-256 for every login, as on Aurora PostgreSQL 16 (the helper's server accepts clear-text passwords).
  const [{ setting }] = await pg.query<{ setting: string }>(`SELECT setting FROM pg_settings WHERE name = 'hba_file'`);
  const rules = ['local all all scram-sha-256', 'host all all 127.0.0.1/32 scram-sha-256', 'host all all ::1/128 scram-sha-256'];
  await pg.query(`COPY (SELECT unnest(ARRAY[${rules.map(escapeLiteral).join(', ')}])) TO ${escapeLiteral(setting)}`);
  await pg.query('SELECT pg_reload_conf()');
  const methods = await pg.query<{ auth_method: string; error: string | null }>('SELECT auth_method, error FROM pg_hba_file_rules');
  expect(methods).toEqual(rules.map(() => ({ auth_method: 'scram-sha-256', error: null })));
}, 60_000);

afterAll(async () => {
  await Promise.all(containers.map((c) => c.close()));
  await pg?.stop();
});

afterEach(() => {
  // No password, old or new, in any log line or error message.
  const passwords = fakes.flatMap((f) => [...f.passwords]);
  const lines = logLines.splice(0);
  fakes.length = 0;
  if (passwords.length > 0) expect(lines.length).toBeGreaterThan(0);
  expect(passwords.filter((p) => lines.some((line) => line.includes(p) || line.includes(JSON.stringify(p).slice(1, -1))))).toEqual([]);
});

/** A login role acting as the master user (not a superuser, like Aurora's), with a name that needs quoting. */
async function masterUser(username = `Rot-Admin_${randomBytes(3).toString('hex')}`): Promise<{ username: string; password: string; secret: Record<string, unknown> }> {
  const password = `Init!#$%&*()-_=+[]{}<>:?${randomBytes(9).toString('base64url')}`;
  await pg.query(`CREATE ROLE ${escapeIdentifier(username)} LOGIN PASSWORD ${escapeLiteral(password)}`);
  const secret = { username, password, engine: 'postgres', host: pg.host, port: pg.port, dbname: database };
  return { username, password, secret };
}

function fakeSecret(initial: Record<string, unknown>): FakeSecret {
  const fake = new FakeSecret(initial);
  fakes.push(fake);
  return fake;
}

interface Rotation {
  readonly handler: RotationHandler;
  /** While true, every connection the function opens goes to a port nobody listens on. */
  dbDown: boolean;
  step(token: string, step: RotationStep): Promise<void>;
  /** The four steps in order, as Secrets Manager runs (and re-runs) them. */
  all(token: string): Promise<void>;
}

function rotationFunction(fake: FakeSecret): Rotation {
  const rotation: Rotation = {
    dbDown: false,
    handler: createHandler({
      secretsManager: fake.client,
      logger: captureLogger,
      ssl: false,
      createClient: (config: ClientConfig) => new Client(rotation.dbDown ? { ...config, port: deadPort } : config),
    }),
    async step(token, step) {
      try {
        await rotation.handler({ SecretId: SECRET_ARN, ClientRequestToken: token, Step: step }, { awsRequestId: randomUUID() });
      } catch (err) {
        logLines.push(JSON.stringify({ thrown: describeError(err), stack: (err as Error).stack }));
        throw err;
      }
    },
    async all(token) {
      for (const step of ROTATION_STEPS) await rotation.step(token, step);
    },
  };
  return rotation;
}

/** true: logged in; false: password refused (28P01); anything else throws. */
async function canLogin(username: string, password: string): Promise<boolean> {
  const client = new Client({ host: pg.host, port: pg.port, user: username, password, database });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('SELECT 1');
    await client.end();
    return true;
  } catch (err) {
    await client.end().catch(() => undefined);
    if ((err as { code?: string }).code === '28P01') return false;
    throw err;
  }
}

async function storedVerifier(username: string): Promise<string> {
  const rows = await pg.query<{ rolpassword: string }>('SELECT rolpassword FROM pg_authid WHERE rolname = $1', [username]);
  return rows[0].rolpassword;
}

/** An application container: the shared pool, credentials from the secret, refreshed once on 28P01. */
function appContainer(fake: FakeSecret): Database {
  const db = new Database({
    host: pg.host,
    database,
    secrets: new DbCredentials(new SecretsProvider({ awsSdkV3Client: fake.client }), SECRET_ARN),
    options: { ssl: false, poolMax: 1, connectionTimeoutMillis: 2000 },
    log: captureLogger,
  });
  containers.push(db);
  return db;
}

test('a full rotation: AWSCURRENT gets a new password that logs in (as a SCRAM verifier), the old one is refused and kept as AWSPREVIOUS', async () => {
  const user = await masterUser();
  const fake = fakeSecret(user.secret);
  const rotation = rotationFunction(fake);
  const first = fake.versionOf(CURRENT);
  // The server would store a clear-text password as md5 for this user: a SCRAM verifier proves the function hashed it.
  await pg.query(`ALTER ROLE ${escapeIdentifier(user.username)} SET password_encryption = 'md5'`);

  const token = fake.startRotation();
  await rotation.all(token);

  expect(fake.versionOf(CURRENT)).toBe(token);
  expect(fake.versionOf(PREVIOUS)).toBe(first);
  const current = fake.value(CURRENT);
  expect(current.password).not.toBe(user.password);
  expect(current).toEqual({ ...user.secret, password: current.password }); // same JSON shape, new password
  expect(current.password).toHaveLength(32);
  expect([...current.password].filter((c) => '/@"\'\\ '.includes(c))).toEqual([]);
  expect(fake.value(PREVIOUS).password).toBe(user.password);
  expect(await canLogin(user.username, current.password)).toBe(true);
  expect(await canLogin(user.username, user.password)).toBe(false);
  expect(await storedVerifier(user.username)).toMatch(/^SCRAM-SHA-256\$4096:[A-Za-z0-9+/]{22}==\$/);
  expect(fake.calls(GetRandomPasswordCommand)).toEqual([{ PasswordLength: 32, ExcludeCharacters: EXCLUDE_CHARACTERS, RequireEachIncludedType: true }]);
  expect(fake.calls(PutSecretValueCommand)).toEqual([
    { SecretId: SECRET_ARN, ClientRequestToken: token, SecretString: expect.any(String), VersionStages: [PENDING] },
  ]);

  // The next scheduled rotation starts from there (AWSPENDING left on the current version is no obstacle).
  const next = fake.startRotation();
  await rotation.all(next);
  expect(fake.value(PREVIOUS).password).toBe(current.password);
  expect(await canLogin(user.username, fake.value(CURRENT).password)).toBe(true);
  expect(await canLogin(user.username, current.password)).toBe(false);
});

test('each step is idempotent: running it twice does the work once', async () => {
  const user = await masterUser();
  const fake = fakeSecret(user.secret);
  const rotation = rotationFunction(fake);
  const token = fake.startRotation();

  await rotation.step(token, 'createSecret');
  const pending = fake.value(PENDING);
  await rotation.step(token, 'createSecret');
  expect(fake.value(PENDING)).toEqual(pending);
  expect(fake.calls(GetRandomPasswordCommand)).toHaveLength(1);
  expect(fake.calls(PutSecretValueCommand)).toHaveLength(1);

  await rotation.step(token, 'setSecret');
  const verifier = await storedVerifier(user.username);
  await rotation.step(token, 'setSecret');
  expect(await storedVerifier(user.username)).toBe(verifier); // no second ALTER USER (a new salt would show)

  await rotation.step(token, 'testSecret');
  await rotation.step(token, 'testSecret');

  await rotation.step(token, 'finishSecret');
  await rotation.step(token, 'finishSecret');
  expect(fake.calls(UpdateSecretVersionStageCommand)).toHaveLength(1);
  expect(fake.versionOf(CURRENT)).toBe(token);

  // Once the version is AWSCURRENT every step returns after the checks.
  const reads = fake.calls(GetSecretValueCommand).length;
  await rotation.all(token);
  expect(fake.calls(GetSecretValueCommand)).toHaveLength(reads);
  expect(await canLogin(user.username, pending.password)).toBe(true);
});

test('setSecret failing on an unreachable database leaves the old password working and AWSPENDING not current; the retry completes', async () => {
  const user = await masterUser();
  const fake = fakeSecret(user.secret);
  const rotation = rotationFunction(fake);
  const original = fake.versionOf(CURRENT);
  const token = fake.startRotation();

  await rotation.step(token, 'createSecret');
  rotation.dbDown = true;
  const started = Date.now();
  await expect(rotation.step(token, 'setSecret')).rejects.toThrow(/could not log in to the database .*the password was not changed/);
  expect(Date.now() - started).toBeLessThan(5000);

  expect(fake.versionOf(CURRENT)).toBe(original);
  expect(fake.stagesOf(token)).toEqual([PENDING]);
  expect(await canLogin(user.username, fake.value(CURRENT).password)).toBe(true);
  expect(await canLogin(user.username, fake.value(PENDING).password)).toBe(false);
  // A new RotateSecret is refused while this one is unfinished: Secrets Manager retries it with the same token.
  expect(() => fake.startRotation()).toThrow(/isn't complete/);

  rotation.dbDown = false;
  await rotation.all(token);
  expect(fake.versionOf(CURRENT)).toBe(token);
  expect(await canLogin(user.username, fake.value(CURRENT).password)).toBe(true);
  expect(await canLogin(user.username, user.password)).toBe(false);
});

test('setSecret failing with a database error (a read-only endpoint) changes nothing; the retry completes once it is writable', async () => {
  const user = await masterUser();
  const fake = fakeSecret(user.secret);
  const rotation = rotationFunction(fake);
  const token = fake.startRotation();
  // Like a secret whose host resolves to a secondary: ALTER USER fails with 25006.
  await pg.query(`ALTER ROLE ${escapeIdentifier(user.username)} SET default_transaction_read_only = on`);

  await rotation.step(token, 'createSecret');
  await expect(rotation.step(token, 'setSecret')).rejects.toMatchObject({ code: '25006' });
  await expect(rotation.step(token, 'setSecret')).rejects.toMatchObject({ code: '25006' });
  expect(fake.stagesOf(token)).toEqual([PENDING]);
  expect(await canLogin(user.username, user.password)).toBe(true);
  expect(await canLogin(user.username, fake.value(PENDING).password)).toBe(false);

  await pg.query(`ALTER ROLE ${escapeIdentifier(user.username)} RESET default_transaction_read_only`);
  await rotation.all(token);
  expect(await canLogin(user.username, fake.value(CURRENT).password)).toBe(true);
  expect(await canLogin(user.username, user.password)).toBe(false);
});

test('setSecret done, testSecret failing: the database has the pending password (single-user window) until the retry finishes; applications recover on 28P01', async () => {
  const user = await masterUser();
  const fake = fakeSecret(user.secret);
  const rotation = rotationFunction(fake);
  const running = appContainer(fake);
  expect(await running.query('SELECT 1 AS one')).toEqual([{ one: 1 }]);
  const token = fake.startRotation();

  await rotation.step(token, 'createSecret');
  await rotation.step(token, 'setSecret');
  const verifier = await storedVerifier(user.username);
  rotation.dbDown = true;
  await expect(rotation.step(token, 'testSecret')).rejects.toThrow(/pending password .* does not log in/);

  // The documented window: AWSCURRENT still names the old password, which the database no longer accepts.
  expect(fake.stagesOf(token)).toEqual([PENDING]);
  expect(fake.value(CURRENT).password).toBe(user.password);
  expect(await canLogin(user.username, user.password)).toBe(false);
  expect(await canLogin(user.username, fake.value(PENDING).password)).toBe(true);
  // Open connections are unaffected; a new container cannot connect (a retryable 28P01 for the API).
  expect(await running.query('SELECT 1 AS one')).toEqual([{ one: 1 }]);
  const fresh = appContainer(fake);
  await expect(fresh.query('SELECT 1')).rejects.toMatchObject({ code: '28P01' });

  // Secrets Manager's retry: createSecret and setSecret find their work done, testSecret passes, finishSecret swaps.
  rotation.dbDown = false;
  await rotation.all(token);
  expect(await storedVerifier(user.username)).toBe(verifier);
  expect(fake.versionOf(CURRENT)).toBe(token);
  // The same container recovers by itself: refused once more, it refreshes the secret and gets the new password.
  expect(await fresh.query('SELECT 1 AS one')).toEqual([{ one: 1 }]);
  expect(await appContainer(fake).query('SELECT 1 AS one')).toEqual([{ one: 1 }]);
});

test('setSecret logs in with AWSPREVIOUS when AWSCURRENT was changed without the database; with no valid password it changes nothing', async () => {
  const user = await masterUser();
  const fake = fakeSecret(user.secret);
  fake.putOutOfBand({ ...user.secret, password: `Wrong-${randomBytes(8).toString('hex')}` });
  const rotation = rotationFunction(fake);
  const token = fake.startRotation();
  await rotation.all(token);
  expect(await canLogin(user.username, fake.value(CURRENT).password)).toBe(true);
  expect(fake.value(PREVIOUS).password).not.toBe(user.password); // the wrong one, now retired

  const other = await masterUser();
  const lost = fakeSecret({ ...other.secret, password: `Lost-${randomBytes(8).toString('hex')}` });
  const stuck = rotationFunction(lost);
  const attempt = lost.startRotation();
  await stuck.step(attempt, 'createSecret');
  await expect(stuck.step(attempt, 'setSecret')).rejects.toThrow(/refused the pending, current and previous passwords/);
  expect(await canLogin(other.username, other.password)).toBe(true);
});

test('refuses a token that is not a version of the secret, a version without AWSPENDING, a secret without rotation and an unknown step', async () => {
  const user = await masterUser();
  const fake = fakeSecret(user.secret);
  const rotation = rotationFunction(fake);
  const original = fake.versionOf(CURRENT) as string;

  await expect(rotation.step(randomUUID(), 'createSecret')).rejects.toThrow(/has no stage for rotation/);

  fake.putOutOfBand({ ...user.secret }); // the original version is now AWSPREVIOUS only
  expect(fake.stagesOf(original)).toEqual([PREVIOUS]);
  for (const step of ROTATION_STEPS) {
    await expect(rotation.step(original, step)).rejects.toThrow(/is not set as AWSPENDING/);
  }

  const token = fake.startRotation();
  fake.rotationEnabled = false;
  await expect(rotation.step(token, 'createSecret')).rejects.toThrow(/does not have rotation enabled/);
  fake.rotationEnabled = true;
  await expect(rotation.step(token, 'rollback' as RotationStep)).rejects.toThrow(/unknown rotation step/);

  expect(fake.calls(PutSecretValueCommand)).toHaveLength(0);
  expect(fake.calls(UpdateSecretVersionStageCommand)).toHaveLength(0);
  expect(await canLogin(user.username, user.password)).toBe(true);
});

test('quotes the user name and the password: SQL metacharacters and non-ASCII passwords are set verbatim', async () => {
  const user = await masterUser(`Rot "Admin'; DROP ROLE x; --${randomBytes(2).toString('hex')}`);
  const fake = fakeSecret(user.secret);
  const rotation = rotationFunction(fake);

  // Printable ASCII goes as a SCRAM verifier; anything else as a literal the server hashes.
  for (const password of [`it's a \\'quoted' $$pass$$; --${randomBytes(4).toString('hex')}`, `Pässwörd'\\"; DROP--${randomBytes(4).toString('hex')}`]) {
    fake.nextPassword = password;
    await rotation.all(fake.startRotation());
    expect(fake.value(CURRENT).password).toBe(password);
    expect(await canLogin(user.username, password)).toBe(true);
  }
  expect(await canLogin(user.username, user.password)).toBe(false);
});

test('the SCRAM-SHA-256 verifier authenticates a full SCRAM exchange for its password and no other', async () => {
  const salt = randomBytes(16);
  const password = `Known-${randomBytes(6).toString('hex')}`;
  const username = `rot_scram_${randomBytes(3).toString('hex')}`;
  await pg.query(`CREATE ROLE ${escapeIdentifier(username)} LOGIN`);
  await pg.query(`ALTER ROLE ${escapeIdentifier(username)} PASSWORD ${escapeLiteral(scramSha256Verifier(password, salt))}`);
  expect(await canLogin(username, password)).toBe(true);
  expect(await canLogin(username, `${password}x`)).toBe(false);
});

describe('the writer in either site (DB_WRITER_HOSTS): rotation follows the writer, not the secret host', () => {
  /** Both sites' cluster endpoints on the one local server; the passive site's sessions are read-only. */
  function acrossSites(fake: FakeSecret, hosts: readonly string[], readOnly: ReadonlySet<string>) {
    const opened: string[] = [];
    const rotation = createHandler({
      secretsManager: fake.client,
      logger: captureLogger,
      ssl: false,
      writerHosts: hosts,
      createClient: (config: ClientConfig) => {
        opened.push(String(config.host));
        const reachable = config.host !== 'down.invalid';
        return new Client({
          ...config,
          host: pg.host,
          port: reachable ? pg.port : deadPort,
          ...(readOnly.has(String(config.host)) ? { options: '-c default_transaction_read_only=on' } : {}),
        });
      },
    });
    return {
      opened,
      all: async (token: string) => {
        for (const Step of ROTATION_STEPS) await rotation({ SecretId: SECRET_ARN, ClientRequestToken: token, Step });
      },
    };
  }

  test.each([
    ['the primary site active (writer listed first)', ['primary.cluster.invalid', 'dr.cluster.invalid'], 'dr.cluster.invalid'],
    ['the DR site active (the primary site is the read-only secondary)', ['primary.cluster.invalid', 'dr.cluster.invalid'], 'primary.cluster.invalid'],
    ['the DR site active and the primary site unreachable', ['down.invalid', 'dr.cluster.invalid'], 'none'],
  ])('%s: the password is changed on the writer', async (_name, hosts, readOnlyHost) => {
    const user = await masterUser();
    const fake = fakeSecret(user.secret);
    const { all, opened } = acrossSites(fake, hosts, new Set([readOnlyHost]));
    const token = fake.startRotation();
    await all(token);
    expect(fake.versionOf(CURRENT)).toBe(token);
    expect(await canLogin(user.username, fake.value(CURRENT).password)).toBe(true);
    expect(await canLogin(user.username, user.password)).toBe(false);
    // The secret's host (where it was created) is never what the function connects to.
    expect(opened).not.toContain(pg.host);
    expect(fake.value(CURRENT).host).toBe(user.secret.host);
  });

  test('no writable cluster: setSecret changes nothing and fails; the retry completes once a writer is back', async () => {
    const user = await masterUser();
    const fake = fakeSecret(user.secret);
    const readOnly = new Set(['primary.cluster.invalid', 'dr.cluster.invalid']);
    const { all } = acrossSites(fake, ['primary.cluster.invalid', 'dr.cluster.invalid'], readOnly);
    const token = fake.startRotation();
    await expect(all(token)).rejects.toMatchObject({ message: expect.stringMatching(/could not log in .*the password was not changed/), cause: expect.objectContaining({ message: "no writable cluster among primary.cluster.invalid, dr.cluster.invalid" }) });
    expect(fake.stagesOf(token)).toEqual([PENDING]);
    expect(await canLogin(user.username, user.password)).toBe(true);
    readOnly.delete('dr.cluster.invalid');
    await all(token);
    expect(await canLogin(user.username, fake.value(CURRENT).password)).toBe(true);
  });
});
