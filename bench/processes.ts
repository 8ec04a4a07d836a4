import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';

export interface ServerProcess {
  url: string;
  child: ChildProcess;
  startedInMs: number;
  stop(): Promise<void>;
  probe<T>(message: 'probe:start' | 'probe:report'): Promise<T>;
}

const PROBE = path.join(__dirname, 'probe.js');

/** Forks a server script with the probe preloaded and waits for its "listening on <url>" line. */
export function startServer(script: string, env: Record<string, string>, readyPath = '', nodeFlags: readonly string[] = []): Promise<ServerProcess> {
  const started = performance.now();
  const child = fork(script, [], {
    env: { PATH: process.env.PATH ?? '', ...env },
    execArgv: ['--require', PROBE, ...nodeFlags],
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${script} did not start: ${stderr}`)), 20_000);
    child.once('exit', (code) => reject(new Error(`${script} exited with ${code}: ${stderr}`)));
    let stdout = '';
    child.stdout!.on('data', async (chunk: Buffer) => {
      stdout += chunk.toString();
      const match = /listening on (http:\/\/[^\s/]+)/i.exec(stdout);
      if (!match || !match[1]) return;
      child.stdout!.removeAllListeners('data');
      child.stdout!.resume();
      const url = match[1];
      if (readyPath) {
        while ((await fetch(url + readyPath).then((r) => r.status).catch(() => 0)) !== 200) await new Promise((r) => setTimeout(r, 5));
      }
      clearTimeout(timer);
      child.removeAllListeners('exit');
      resolve({
        url,
        child,
        startedInMs: performance.now() - started,
        stop: () =>
          new Promise((done) => {
            child.once('exit', () => done());
            child.kill('SIGTERM');
          }),
        probe: (message) =>
          new Promise((done) => {
            const expected = message === 'probe:start' ? 'probe:started' : 'probe:report';
            const onMessage = (reply: unknown) => {
              if ((reply as { type?: string }).type === expected) {
                child.off('message', onMessage);
                done(reply as never);
              }
            };
            child.on('message', onMessage);
            child.send(message);
          }),
      });
    });
  });
}
