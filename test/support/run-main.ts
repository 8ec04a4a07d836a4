import { spawn } from 'node:child_process';
import path from 'node:path';

/** The compiled server, as `npm start` runs it (from <outDir>/test/support/). */
export const MAIN = path.resolve(__dirname, '..', '..', 'src', 'main.js');

export interface MainRun {
  /** null when the run was stopped by a signal (after its listening line, or the time limit). */
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface MainRunOptions {
  /** The whole environment but PATH, which is passed on. */
  env: Record<string, string>;
  cwd: string;
  /** Run as this user and group (the suite runs as root, which file permissions do not bind). */
  uid?: number;
}

/**
 * Runs the server in a process of its own until it prints its listening line (then stops it
 * with SIGTERM) or exits by itself; killed after 20 s. What it printed tells the two apart.
 */
export function runMainUntilListening({ env, cwd, uid }: MainRunOptions): Promise<MainRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [MAIN], {
      env: { PATH: process.env.PATH ?? '', ...env },
      cwd,
      ...(uid === undefined ? {} : { uid, gid: uid }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      if (/listening on/.test(stdout)) child.kill('SIGTERM');
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
