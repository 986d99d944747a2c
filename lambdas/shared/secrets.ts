import type { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import { withTimeout } from './async';

/** The database secret's JSON (as the stack writes it). Never log it. */
export interface DbSecret {
  readonly username: string;
  readonly password: string;
  readonly host?: string;
  readonly port?: number;
  readonly dbname?: string;
  readonly engine?: string;
}

export class SecretError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SecretError';
  }
}

/** Parses the secret string; error messages never contain any of its content. */
export function parseDbSecret(secretString: string | undefined, secretId: string): DbSecret {
  if (secretString === undefined) throw new SecretError(`secret '${secretId}' has no SecretString`);
  let raw: unknown;
  try {
    raw = JSON.parse(secretString);
  } catch {
    throw new SecretError(`secret '${secretId}' is not valid JSON`);
  }
  const s = raw as Record<string, unknown> | null;
  if (typeof s !== 'object' || s === null) throw new SecretError(`secret '${secretId}' is not a JSON object`);
  if (typeof s.username !== 'string' || s.username === '') throw new SecretError(`secret '${secretId}' has no 'username'`);
  if (typeof s.password !== 'string' || s.password === '') throw new SecretError(`secret '${secretId}' has no 'password'`);
  const port = typeof s.port === 'string' ? Number(s.port) : s.port;
  return {
    username: s.username,
    password: s.password,
    host: typeof s.host === 'string' ? s.host : undefined,
    port: typeof port === 'number' && Number.isInteger(port) && port > 0 ? port : undefined,
    dbname: typeof s.dbname === 'string' ? s.dbname : undefined,
    engine: typeof s.engine === 'string' ? s.engine : undefined,
  };
}

/** Powertools' cache "for the container's life": ExpirableValue takes whole seconds (Date#setSeconds). */
export const CONTAINER_LIFETIME_SECONDS = 365 * 24 * 3600;

export interface DbCredentialsOptions {
  /**
   * Longest wait for one read of the secret (Powertools' provider takes no abort signal: the late answer is
   * only cached, nothing waits for it).
   * @default 3000 ms
   */
  readonly timeoutMs?: number;
}

/**
 * The database credentials from this region's Secrets Manager through Powertools' `SecretsProvider`: cached for the
 * container's life, read again on demand (`refresh`, after an authentication failure: the password was rotated).
 * A failed read is not cached (Powertools caches values only); a value that does not parse is read again next time.
 */
export class DbCredentials {
  private readonly timeoutMs: number;
  private invalid = false;

  constructor(
    private readonly provider: Pick<SecretsProvider, 'get'>,
    public readonly secretId: string,
    options: DbCredentialsOptions = {},
  ) {
    this.timeoutMs = options.timeoutMs ?? 3000;
  }

  /** The cached secret, read on first use. */
  get(): Promise<DbSecret> {
    return this.read(this.invalid);
  }

  /** Reads the secret again because the cached value was refused. */
  refresh(): Promise<DbSecret> {
    return this.read(true);
  }

  private async read(forceFetch: boolean): Promise<DbSecret> {
    const value = await withTimeout(this.provider.get(this.secretId, { maxAge: CONTAINER_LIFETIME_SECONDS, forceFetch }), this.timeoutMs, 'database secret');
    try {
      const secret = parseDbSecret(typeof value === 'string' ? value : undefined, this.secretId);
      this.invalid = false;
      return secret;
    } catch (err) {
      this.invalid = true;
      throw err;
    }
  }
}
