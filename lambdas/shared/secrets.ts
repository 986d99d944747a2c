import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

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

export interface SecretCacheOptions {
  /**
   * Timeout of one GetSecretValue call.
   * @default 3000 ms
   */
  readonly timeoutMs?: number;
}

/**
 * The database credentials from this region's Secrets Manager, cached for the container's life and
 * refreshed on demand (after an authentication failure: the password was rotated).
 */
export class SecretCache {
  /** Bumped by every successful fetch; lets callers say which value failed them. */
  public generation = 0;
  private current?: Promise<DbSecret>;
  private refreshing?: Promise<DbSecret>;
  private readonly timeoutMs: number;

  constructor(
    private readonly client: SecretsManagerClient,
    public readonly secretId: string,
    options: SecretCacheOptions = {},
  ) {
    this.timeoutMs = options.timeoutMs ?? 3000;
  }

  /** The cached secret, fetched on first use. A failed fetch is not cached. */
  get(): Promise<DbSecret> {
    if (!this.current) {
      const attempt = this.fetch();
      this.current = attempt;
      attempt.catch(() => {
        if (this.current === attempt) this.current = undefined;
      });
    }
    return this.current;
  }

  /**
   * Fetches the secret again because the value of `failedGeneration` was refused. Concurrent callers share
   * one call, and a caller whose failure predates a refresh gets the refreshed value without another call.
   */
  refresh(failedGeneration: number): Promise<DbSecret> {
    if (this.refreshing) return this.refreshing;
    if (this.current && failedGeneration !== this.generation) return this.current;
    const attempt = this.fetch();
    this.refreshing = attempt;
    attempt.then(
      () => {
        this.current = attempt;
        this.refreshing = undefined;
      },
      () => {
        this.refreshing = undefined;
      },
    );
    return attempt;
  }

  private async fetch(): Promise<DbSecret> {
    const out = await this.client.send(new GetSecretValueCommand({ SecretId: this.secretId }), {
      abortSignal: AbortSignal.timeout(this.timeoutMs),
    });
    const secret = parseDbSecret(out.SecretString, this.secretId);
    this.generation++;
    return secret;
  }
}
