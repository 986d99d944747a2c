/**
 * Rotation of the Aurora PostgreSQL master credentials in Secrets Manager, single-user strategy: the
 * secret's one user gets a new password. Secrets Manager calls the function four times per rotation with the
 * same `ClientRequestToken` (the new version's id), one `Step` each, and retries a failed rotation with the
 * same token; every step is idempotent.
 *
 * - createSecret: unless the token's version already has a value, a new password (GetRandomPassword) is
 *   stored as that version (AWSPENDING), the rest of the JSON copied from AWSCURRENT.
 * - setSecret: if the pending password already logs in (a retry), nothing; else log in with AWSCURRENT, or
 *   AWSPREVIOUS when AWSCURRENT is refused, and `ALTER USER … WITH PASSWORD …`.
 * - testSecret: log in with the pending password and `SELECT 1`.
 * - finishSecret: move AWSCURRENT to the token's version (Secrets Manager puts AWSPREVIOUS on the old one).
 *
 * Single-user window: from setSecret until finishSecret the database accepts only the pending password
 * while AWSCURRENT still holds the old one. Open connections are not affected; new ones made with AWSCURRENT
 * are refused (28P01) until finishSecret. If a step after setSecret fails, that lasts until Secrets Manager
 * retries the rotation: the retry's setSecret finds the pending password working and finishSecret makes it
 * current; clients that refresh the secret on 28P01 (`lambdas/shared/db.ts`) then recover on their own.
 *
 * Where it connects: the secret's `host`, or, when `DB_WRITER_HOSTS` lists the cluster endpoints of both sites,
 * whichever of them is writable now (`SHOW transaction_read_only` = off). Rotation runs where the secret's
 * primary lives (Secrets Manager rotates only a primary secret, never a replica), while the writer is in
 * whichever site is active: with DR active the function reaches the DR writer over the VPC peering. The
 * secret's `host` is never rewritten (the first value is kept), so it cannot be what follows the writer.
 *
 * The new password goes to the server as a SCRAM-SHA-256 verifier computed here, never in clear text: the
 * cluster exports its PostgreSQL log to CloudWatch, and a failed (or logged) `ALTER USER` statement would
 * otherwise carry the password there. No password is ever logged by this function or put in an error.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import type { Tracer } from '@aws-lambda-powertools/tracer';
import type { Context } from 'aws-lambda';
import {
  DescribeSecretCommand,
  GetRandomPasswordCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';
import type { ConnectionOptions } from 'node:tls';
import { Client, type ClientConfig } from 'pg';
import { defaultTls } from '../shared/db';
import { classifyDbError, describeError } from '../shared/errors';
import { createTracer, lambdaHandler, type LogSink } from '../shared/observability';
import { type DbSecret, parseDbSecret } from '../shared/secrets';

export const SERVICE_NAME = 'secret-rotation';

export const ROTATION_STEPS = ['createSecret', 'setSecret', 'testSecret', 'finishSecret'] as const;
export type RotationStep = (typeof ROTATION_STEPS)[number];

/** The event Secrets Manager sends to a rotation function. */
export interface RotationEvent {
  readonly SecretId: string;
  readonly ClientRequestToken: string;
  readonly Step: RotationStep | string;
  /** Sent by Secrets Manager for rotation functions in another account; passed on to PutSecretValue. */
  readonly RotationToken?: string;
}

/** Characters never put in a generated password: RDS refuses `/`, `@`, `"` in master passwords; the rest avoids quoting trouble. */
export const EXCLUDE_CHARACTERS = '/@"\'\\ ';
export const PASSWORD_LENGTH = 32;

export interface SecretRotationDeps {
  /** @default a client for the function's region */
  readonly secretsManager?: SecretsManagerClient;
  /** @default a Powertools Logger for `POWERTOOLS_SERVICE_NAME` */
  readonly logger?: LogSink;
  /** @default a Powertools Tracer (active in Lambda, a no-op elsewhere) */
  readonly tracer?: Tracer;
  /** TLS to the cluster; `false` only for tests against a local server. @default verified TLS (`defaultTls()`) */
  readonly ssl?: false | ConnectionOptions;
  /** Time to connect (TCP, TLS, authentication). @default 5000 ms */
  readonly connectionTimeoutMillis?: number;
  /** Server-side statement timeout and client-side query timeout. @default 5000 ms */
  readonly queryTimeoutMillis?: number;
  /** Makes an unconnected pg client (tests wrap it to inject faults). @default `new Client(config)` */
  readonly createClient?: (config: ClientConfig) => Client;
  /** @default 32 */
  readonly passwordLength?: number;
  /** @default EXCLUDE_CHARACTERS */
  readonly excludeCharacters?: string;
  /**
   * Cluster endpoints to find the writer among, in order; empty: the secret's `host`.
   * @default `DB_WRITER_HOSTS` (comma-separated), else none
   */
  readonly writerHosts?: readonly string[];
}

/** Environment variable listing the candidate writer hosts (both sites' cluster endpoints). */
export const WRITER_HOSTS_ENV = 'DB_WRITER_HOSTS';

export type RotationHandler = (event: RotationEvent, context?: { readonly awsRequestId?: string }) => Promise<void>;

/** A rotation that must not (or cannot) go on; its message never contains a password. */
export class RotationError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RotationError';
  }
}

const CURRENT = 'AWSCURRENT';
const PENDING = 'AWSPENDING';
const PREVIOUS = 'AWSPREVIOUS';

/** One stored version of the credentials: the parsed secret and the JSON object it came from. */
interface StoredCredentials {
  readonly secret: DbSecret;
  readonly json: Record<string, unknown>;
}

/** Builds the handler; the exported `handler` is `createHandler()` with every default. */
export function createHandler(deps: SecretRotationDeps = {}): RotationHandler {
  const powertoolsLogger = new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? SERVICE_NAME });
  const logger: LogSink = deps.logger ?? powertoolsLogger;
  const connectionTimeoutMillis = deps.connectionTimeoutMillis ?? 5000;
  const queryTimeoutMillis = deps.queryTimeoutMillis ?? 5000;
  const createClient = deps.createClient ?? ((config: ClientConfig) => new Client(config));
  const passwordLength = deps.passwordLength ?? PASSWORD_LENGTH;
  const excludeCharacters = deps.excludeCharacters ?? EXCLUDE_CHARACTERS;
  const tracer = deps.tracer ?? createTracer(SERVICE_NAME);
  const writerHosts = (deps.writerHosts ?? (process.env[WRITER_HOSTS_ENV] ?? '').split(','))
    .map((h) => h.trim())
    .filter((h) => h !== '');
  let secretsManager = deps.secretsManager;

  function sm(): SecretsManagerClient {
    secretsManager ??= tracer.captureAWSv3Client(new SecretsManagerClient({}));
    return secretsManager;
  }

  // Powertools' handler decorators: the invocation's subsegment and the Lambda context on every log line (of the
  // Powertools Logger: a test's own sink gets only the keys written below).
  const handler = lambdaHandler(
    { tracer, logger: deps.logger instanceof Logger ? deps.logger : powertoolsLogger },
    async (event: RotationEvent, context: Context): Promise<void> => {
      // The step is searchable in X-Ray; the secret id is in the logs, not in an annotation.
      if (typeof event?.Step === 'string') tracer.putAnnotation('rotationStep', event.Step);
      await rotate(event, context);
    },
  );
  // Lambda always passes a context; a direct call (tests) may not.
  return (event, context) => handler(event, (context ?? {}) as Context);

  async function rotate(event: RotationEvent, context: Parameters<RotationHandler>[1]): Promise<void> {
    const { SecretId: secretId, ClientRequestToken: token, Step: step } = event ?? ({} as RotationEvent);
    if (typeof secretId !== 'string' || secretId === '' || typeof token !== 'string' || token === '') {
      throw new RotationError('the event must have SecretId and ClientRequestToken');
    }
    if (!(ROTATION_STEPS as readonly string[]).includes(step)) {
      throw new RotationError(`unknown rotation step '${String(step)}'; expected one of ${ROTATION_STEPS.join(', ')}`);
    }
    const keys = { secretId, versionId: token, step, awsRequestId: context?.awsRequestId };
    const log = {
      info: (message: string, extra: Record<string, unknown> = {}) => logger.info(message, { ...keys, ...extra }),
      warn: (message: string, extra: Record<string, unknown> = {}) => logger.warn(message, { ...keys, ...extra }),
      error: (message: string, extra: Record<string, unknown> = {}) => logger.error(message, { ...keys, ...extra }),
    };
    const started = Date.now();

    try {
      // The standard checks, before any step.
      const description = await sm().send(new DescribeSecretCommand({ SecretId: secretId }));
      if (!description.RotationEnabled) throw new RotationError(`secret ${secretId} does not have rotation enabled`);
      const versions = description.VersionIdsToStages ?? {};
      const stages = versions[token];
      if (!stages) throw new RotationError(`secret version ${token} has no stage for rotation of secret ${secretId}`);
      if (stages.includes(CURRENT)) {
        log.info('secret version is already AWSCURRENT; nothing to do');
        return;
      }
      if (!stages.includes(PENDING)) {
        throw new RotationError(`secret version ${token} is not set as AWSPENDING for rotation of secret ${secretId}`);
      }

      switch (step as RotationStep) {
        case 'createSecret':
          await createSecret(secretId, token, event.RotationToken, log);
          break;
        case 'setSecret':
          await setSecret(secretId, token, log);
          break;
        case 'testSecret':
          await testSecret(secretId, token, log);
          break;
        case 'finishSecret':
          await finishSecret(secretId, token, versions, log);
          break;
      }
      log.info('rotation step completed', { durationMs: Date.now() - started });
    } catch (err) {
      log.error('rotation step failed', { durationMs: Date.now() - started, error: describeError(err) });
      throw err;
    }
  }

  type Log = Record<'info' | 'warn' | 'error', (message: string, extra?: Record<string, unknown>) => void>;

  async function createSecret(secretId: string, token: string, rotationToken: string | undefined, log: Log): Promise<void> {
    const current = await getCredentials(secretId, { stage: CURRENT });
    if (!current) throw new RotationError(`secret ${secretId} has no AWSCURRENT value`);
    if (await getCredentials(secretId, { stage: PENDING, versionId: token })) {
      log.info('AWSPENDING value already exists; nothing to do');
      return;
    }
    const generated = await sm().send(
      new GetRandomPasswordCommand({ PasswordLength: passwordLength, ExcludeCharacters: excludeCharacters, RequireEachIncludedType: true }),
    );
    if (!generated.RandomPassword) throw new RotationError('GetRandomPassword returned no password');
    // Same JSON as AWSCURRENT (username, engine, host, port, dbname and anything else), new password.
    const pending = { ...current.json, password: generated.RandomPassword };
    await sm().send(
      new PutSecretValueCommand({
        SecretId: secretId,
        ClientRequestToken: token,
        SecretString: JSON.stringify(pending),
        VersionStages: [PENDING],
        ...(rotationToken ? { RotationToken: rotationToken } : {}),
      }),
    );
    log.info('new password stored as AWSPENDING');
  }

  async function setSecret(secretId: string, token: string, log: Log): Promise<void> {
    const pending = await requireCredentials(secretId, { stage: PENDING, versionId: token });
    const pendingLogin = await login(pending.secret, 'AWSPENDING', log);
    if (pendingLogin.client) {
      await close(pendingLogin.client);
      log.info('the pending password already logs in; nothing to do');
      return;
    }
    const current = await requireCredentials(secretId, { stage: CURRENT });
    sameAccount(pending.secret, current.secret, 'AWSCURRENT', secretId);
    const failures = [pendingLogin.error, undefined, undefined];
    let attempt = await login(current.secret, 'AWSCURRENT', log);
    failures[1] = attempt.error;
    let used = 'AWSCURRENT';
    if (!attempt.client) {
      // A value put into AWSCURRENT without changing the database: the one before it may still be valid.
      const previous = await getCredentials(secretId, { stage: PREVIOUS });
      if (previous) {
        sameAccount(pending.secret, previous.secret, 'AWSPREVIOUS', secretId);
        attempt = await login(previous.secret, 'AWSPREVIOUS', log);
        failures[2] = attempt.error;
        used = 'AWSPREVIOUS';
      }
    }
    const client = attempt.client;
    if (!client) {
      const unreachable = failures.some((e) => e !== undefined && classifyDbError(e) !== 'auth');
      throw new RotationError(
        unreachable
          ? `could not log in to the database of secret ${secretId} (unreachable or failing); the password was not changed`
          : `the database refused the pending, current and previous passwords of secret ${secretId}; the password was not changed`,
        { cause: failures.find((e) => e !== undefined && classifyDbError(e) !== 'auth') ?? failures[1] },
      );
    }
    try {
      const user = client.escapeIdentifier(pending.secret.username);
      const password = client.escapeLiteral(passwordForServer(pending.secret.password));
      await client.query(`ALTER USER ${user} WITH PASSWORD ${password}`);
    } finally {
      await close(client);
    }
    log.info('database password set to the pending value', { loggedInWith: used });
  }

  async function testSecret(secretId: string, token: string, log: Log): Promise<void> {
    const pending = await requireCredentials(secretId, { stage: PENDING, versionId: token });
    const { client, error } = await login(pending.secret, 'AWSPENDING', log);
    if (!client) throw new RotationError(`the pending password of secret ${secretId} does not log in to the database`, { cause: error });
    try {
      await client.query('SELECT 1');
    } finally {
      await close(client);
    }
    log.info('the pending password logs in');
  }

  async function finishSecret(secretId: string, token: string, versions: Record<string, string[]>, log: Log): Promise<void> {
    const currentVersion = Object.keys(versions).find((id) => versions[id].includes(CURRENT));
    if (currentVersion === token) return; // Checked before; kept for clarity.
    await sm().send(
      new UpdateSecretVersionStageCommand({
        SecretId: secretId,
        VersionStage: CURRENT,
        MoveToVersionId: token,
        ...(currentVersion ? { RemoveFromVersionId: currentVersion } : {}),
      }),
    );
    log.info('AWSCURRENT moved to the new version', { previousVersionId: currentVersion });
  }

  /** The value of one version, `undefined` if there is none (no such stage, or a version without a value). */
  async function getCredentials(secretId: string, which: { stage: string; versionId?: string }): Promise<StoredCredentials | undefined> {
    let secretString: string | undefined;
    try {
      const out = await sm().send(new GetSecretValueCommand({ SecretId: secretId, VersionStage: which.stage, VersionId: which.versionId }));
      secretString = out.SecretString;
    } catch (err) {
      if ((err as { name?: string } | null)?.name === 'ResourceNotFoundException') return undefined;
      throw err;
    }
    const label = `${secretId} (${which.stage})`;
    const secret = parseDbSecret(secretString, label);
    return { secret, json: JSON.parse(secretString as string) as Record<string, unknown> };
  }

  async function requireCredentials(secretId: string, which: { stage: string; versionId?: string }): Promise<StoredCredentials> {
    const found = await getCredentials(secretId, which);
    if (!found) throw new RotationError(`secret ${secretId} has no ${which.stage} value${which.versionId ? ` for version ${which.versionId}` : ''}`);
    return found;
  }

  /**
   * A connected client, or the error that prevented it (refused credentials, unreachable server, timeout).
   * Every failure is returned rather than thrown: the caller tries the next credentials.
   */
  async function login(secret: DbSecret, label: string, log: Log): Promise<{ client?: Client; error?: unknown }> {
    if (!secret.host) throw new RotationError(`the ${label} value has no 'host'`);
    if (writerHosts.length === 0) return connect(secret, secret.host, label, log);
    // Find the writer among the sites' clusters: a reader would refuse ALTER USER (25006), and the replicated
    // password change reaches the other cluster through the global database.
    const errors: unknown[] = [];
    for (const host of writerHosts) {
      const attempt = await connect(secret, host, label, log);
      if (!attempt.client) {
        errors.push(attempt.error);
        continue;
      }
      try {
        const rows = await attempt.client.query<{ transaction_read_only: string }>('SHOW transaction_read_only');
        if (rows.rows[0]?.transaction_read_only === 'off') {
          log.info('connected to the writer', { host, with: label });
          return attempt;
        }
        log.info('skipping a read-only cluster', { host });
      } catch (error) {
        errors.push(error);
      }
      await close(attempt.client);
    }
    // A refused password anywhere means these credentials are wrong (the clusters share one storage); otherwise
    // no writer was reachable.
    const refused = errors.find((e) => classifyDbError(e) === 'auth');
    return { error: refused ?? new RotationError(`no writable cluster among ${writerHosts.join(', ')}`, { cause: errors[0] }) };
  }

  async function connect(secret: DbSecret, host: string, label: string, log: Log): Promise<{ client?: Client; error?: unknown }> {
    const client = createClient({
      host,
      port: secret.port ?? 5432,
      database: secret.dbname ?? 'postgres',
      user: secret.username,
      password: secret.password,
      ssl: deps.ssl ?? defaultTls(),
      connectionTimeoutMillis,
      statement_timeout: queryTimeoutMillis,
      query_timeout: queryTimeoutMillis + 1000,
      application_name: SERVICE_NAME,
    });
    // A connection that breaks while idle must not crash the process; the next query reports it.
    client.on('error', () => undefined);
    try {
      await client.connect();
      return { client };
    } catch (error) {
      await close(client);
      // A refused password is expected (the pending one before setSecret); anything else is worth a warning.
      if (classifyDbError(error) === 'auth') log.info(`the database refused the ${label} password`, { host, error: describeError(error) });
      else log.warn(`could not log in with the ${label} value`, { host, error: describeError(error) });
      return { error };
    }
  }
}

/** Never set a password for another user or server than the one the secret is for. */
function sameAccount(pending: DbSecret, other: DbSecret, label: string, secretId: string): void {
  if (pending.username !== other.username || pending.host !== other.host || (pending.port ?? 5432) !== (other.port ?? 5432)) {
    throw new RotationError(`the AWSPENDING and ${label} values of secret ${secretId} differ in username, host or port; refusing to rotate`);
  }
}

async function close(client: Client): Promise<void> {
  await client.end().catch(() => undefined);
}

/**
 * What `ALTER USER … WITH PASSWORD` is given: a SCRAM-SHA-256 verifier, so the clear-text password never
 * reaches the server (nor its log). SASLprep leaves printable ASCII unchanged, which is what GetRandomPassword
 * produces; anything else goes as is and the server hashes it (`password_encryption`).
 */
export function passwordForServer(password: string): string {
  return /^[\x20-\x7e]+$/.test(password) ? scramSha256Verifier(password) : password;
}

/** The verifier PostgreSQL stores for SCRAM-SHA-256 (RFC 7677), as `PQencryptPasswordConn` computes it. */
export function scramSha256Verifier(password: string, salt: Buffer = randomBytes(16), iterations = 4096): string {
  const salted = pbkdf2Sync(Buffer.from(password, 'utf8'), salt, iterations, 32, 'sha256');
  const clientKey = createHmac('sha256', salted).update('Client Key').digest();
  const storedKey = createHash('sha256').update(clientKey).digest();
  const serverKey = createHmac('sha256', salted).update('Server Key').digest();
  return `SCRAM-SHA-256$${iterations}:${salt.toString('base64')}$${storedKey.toString('base64')}:${serverKey.toString('base64')}`;
}

export const handler: RotationHandler = createHandler();
