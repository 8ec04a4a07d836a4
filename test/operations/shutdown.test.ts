import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import net from 'node:net';
import { describe, it } from 'node:test';
import { createCliWorkspace } from '../cli/run-cli';
import { startTestApp, TEST_SECRET } from '../support/app';
import { REPO_ROOT } from '../support/paths';

/** One POST on a connection of its own; resolves with the whole answer or rejects on a reset. */
function postRaw(url: string, body: string, agent: http.Agent | false = false): Promise<{ status: number; headers: http.IncomingHttpHeaders; text: string }> {
  return new Promise((resolve, reject) => {
    const request = http.request(`${url}/graphql`, { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (text += chunk));
      response.on('end', () => resolve({ status: response.statusCode!, headers: response.headers, text }));
      response.on('error', reject);
    });
    request.on('error', reject);
    request.end(body);
  });
}

/** Whether connections are refused within `withinMs` (the listener closes one loop turn after the signal). */
async function refusedSoon(port: number, withinMs = 2_000): Promise<boolean> {
  const deadline = Date.now() + withinMs;
  while (Date.now() < deadline) {
    if (await connectRefused(port)) return true;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return false;
}

function connectRefused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code === 'ECONNREFUSED'));
  });
}

const signupBody = (email: string, password: string) =>
  JSON.stringify({ query: 'mutation($input: SignupInput!) { signup(input: $input) { accessToken } }', variables: { input: { email, password } } });
const loginBody = (email: string, password: string) =>
  JSON.stringify({ query: 'mutation($input: LoginInput!) { login(input: $input) { accessToken user { email } } }', variables: { input: { email, password } } });

describe('graceful close (app.close)', () => {
  it('answers the request in flight, with Connection: close, and closes an idle keep-alive connection at once', async () => {
    const t = await startTestApp({ SHUTDOWN_TIMEOUT: '30s' });
    const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
    try {
      // An idle keep-alive connection: without closing it, close() would wait for keepAliveTimeout.
      assert.equal((await postRaw(t.url, signupBody('idle@example.com', 'a long enough password'), agent)).status, 200);
      // A request whose body is still arriving when close() starts.
      const body = loginBody('idle@example.com', 'a long enough password');
      let answered: Promise<{ status: number; headers: http.IncomingHttpHeaders; text: string }>;
      const request = await new Promise<http.ClientRequest>((resolve) => {
        answered = new Promise((resolveAnswer, reject) => {
          const req = http.request(`${t.url}/graphql`, { method: 'POST', agent: false, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (response) => {
            let text = '';
            response.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
            response.on('end', () => resolveAnswer({ status: response.statusCode!, headers: response.headers, text }));
          });
          req.on('error', reject);
          req.write(body.slice(0, 10));
          req.on('socket', (socket) => socket.once('connect', () => setTimeout(() => resolve(req), 50)));
        });
      });
      const started = Date.now();
      const closed = t.close();
      await new Promise((resolve) => setTimeout(resolve, 100));
      assert.ok(await refusedSoon(Number(new URL(t.url).port)), 'no new connection is accepted');
      request.end(body.slice(10));
      const answer = await answered!;
      assert.equal(answer.status, 200);
      assert.equal(answer.headers.connection, 'close', 'the client is told not to reuse the connection');
      assert.equal((JSON.parse(answer.text) as { data: { login: { user: { email: string } } } }).data.login.user.email, 'idle@example.com');
      await closed;
      assert.ok(Date.now() - started < 5_000, `closed in ${Date.now() - started} ms: no wait for the idle connection`);
    } finally {
      agent.destroy();
    }
  });

  it('answers a connection accepted before the close whose request arrives after it', async () => {
    const t = await startTestApp({ SHUTDOWN_TIMEOUT: '10s' });
    const socket = net.connect(Number(new URL(t.url).port), '127.0.0.1');
    await new Promise((resolve) => socket.once('connect', resolve));
    let answer = '';
    socket.setEncoding('utf8').on('data', (chunk: string) => (answer += chunk));
    const ended = new Promise<boolean>((resolve) => {
      socket.once('close', () => resolve(true));
      socket.once('error', () => resolve(false));
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    const closed = t.close();
    await new Promise((resolve) => setTimeout(resolve, 100));
    socket.write('GET /healthz HTTP/1.1\r\nhost: keycard.test\r\n\r\n');
    assert.equal(await ended, true, 'no reset');
    await closed;
    assert.match(answer, /^HTTP\/1\.1 200 OK\r\n/);
    assert.match(answer, /\r\nconnection: close\r\n/i);
    assert.match(answer, /\{"status":"ok"\}$/);
  });

  it('closes what is still open once SHUTDOWN_TIMEOUT has passed', async () => {
    const t = await startTestApp({ SHUTDOWN_TIMEOUT: '1s' });
    // Headers promise a body that never comes: the request never finishes by itself.
    const socket = net.connect(Number(new URL(t.url).port), '127.0.0.1');
    await new Promise((resolve) => socket.once('connect', resolve));
    socket.write('POST /graphql HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{');
    const ended = new Promise((resolve) => socket.once('close', resolve));
    socket.on('error', () => undefined);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const started = Date.now();
    await t.close();
    const took = Date.now() - started;
    await ended;
    assert.ok(took >= 900 && took < 5_000, `closed after ${took} ms`);
  });
});

/** `npm start` in production on a database with a signing key; resolves once it listens. */
async function npmStart(env: Record<string, string>): Promise<{ child: ChildProcess; url: string; stdout: () => string; exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }> }> {
  const child = spawn('npm', ['start', '--silent'], {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', NODE_ENV: 'production', KEYCARD_SECRET: TEST_SECRET, PORT: '0', LOG_LEVEL: 'silent', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`npm start did not listen: ${stderr}${stdout}`)), 60_000);
    child.stdout!.on('data', () => {
      const match = /Keycard listening on (http:\/\/\S+)\/graphql/.exec(stdout);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    });
    void exit.then(() => reject(new Error(`npm start exited: ${stderr}${stdout}`)));
  });
  return { child, url, stdout: () => stdout, exit };
}

describe('shutdown of `npm start` on SIGTERM', () => {
  it('answers every request in flight completely, refuses new connections, and exits 0', async () => {
    const cli = await createCliWorkspace();
    try {
      const rotated = await cli.run(['keys:rotate'], { env: { NODE_ENV: 'production' } });
      assert.equal(rotated.code, 0, rotated.stderr);
      // One hash at a time: the logins queue behind each other, so most are in flight at the signal.
      const server = await npmStart({ DATABASE_URL: cli.databaseUrl, ARGON2_CONCURRENCY: '1', LOGIN_LIMIT_PER_IP: '1000', LOGIN_LIMIT_PER_ACCOUNT: '1000', SHUTDOWN_TIMEOUT: '60s' });
      const port = Number(new URL(server.url).port);
      const password = 'a long enough password';
      const keepAlive = new http.Agent({ keepAlive: true });
      assert.equal((await postRaw(server.url, signupBody('shutdown@example.com', password), keepAlive)).status, 200);

      const logins = Array.from({ length: 24 }, () => postRaw(server.url, loginBody('shutdown@example.com', password)));
      const reads = Array.from({ length: 20 }, () => postRaw(server.url, JSON.stringify({ query: '{ __typename }' })));
      const answers = Promise.allSettled([...logins, ...reads]);
      let loginsAnswered = 0;
      for (const login of logins) login.then(() => loginsAnswered++, () => loginsAnswered++);
      // The reads answered: every connection was accepted; the logins queue for the hasher.
      await Promise.all(reads);
      const inFlight = logins.length - loginsAnswered;
      assert.ok(inFlight > 0, 'logins are in flight at the signal');
      const signalled = Date.now();
      server.child.kill('SIGTERM');
      await new Promise<void>((resolve) => {
        const check = () => (/SIGTERM: shutting down/.test(server.stdout()) ? resolve() : setTimeout(check, 10));
        check();
      });
      assert.ok(await refusedSoon(port), 'a new connection is refused once shutting down');

      const settled = await answers;
      const failed = settled.filter((answer) => answer.status === 'rejected');
      assert.deepEqual(failed, [], `none of the ${inFlight} logins in flight was reset`);
      for (const answer of settled) {
        const { status, text } = (answer as PromiseFulfilledResult<{ status: number; text: string }>).value;
        assert.equal(status, 200, text);
        const json = JSON.parse(text) as { data?: { login?: { accessToken: string }; __typename?: string } };
        assert.ok(json.data?.login?.accessToken ?? json.data?.__typename, text);
      }
      const { code, signal } = await server.exit;
      keepAlive.destroy();
      assert.deepEqual({ code, signal }, { code: 0, signal: null }, `npm start exits 0 on SIGTERM: ${server.stdout()}`);
      assert.ok(Date.now() - signalled < 30_000, 'the idle keep-alive connection did not hold the shutdown');
    } finally {
      await cli.remove();
    }
  });
});
