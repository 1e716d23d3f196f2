// Starts the real actorchat binary for the browser tests: a fresh store in a temporary
// directory, port 0 (the port the server prints is read back), killable and restartable
// on the same port and store. 127.0.0.1 only; every wait is bounded.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const repo = resolve(import.meta.dirname ?? new URL('.', import.meta.url).pathname, '../..');
const binary = process.env.ACTORCHAT_BIN || join(repo, 'build/release/actorchat');
const SANITIZER_REPORT = /ERROR: (Address|Leak)Sanitizer|runtime error:/;

export class Server {
  constructor(extraArgs = []) {
    this.dir = mkdtempSync(join(tmpdir(), 'actorchat-browser-'));
    this.extraArgs = extraArgs;
    this.port = 0;
    this.proc = null;
    this.log = '';
  }

  get url() { return `http://127.0.0.1:${this.port}/`; }

  // Starts the server (on the port it had before, if it ran already) and waits
  // until it says it is listening.
  start(timeoutMs = 20000) {
    const args = [
      `--chat.port=${this.port}`,
      `--chat.host=127.0.0.1`,
      `--chat.web-root=${join(repo, 'web')}`,
      `--chat.store-path=${join(this.dir, 'chat.db')}`,
      ...this.extraArgs,
    ];
    const proc = spawn(binary, args, { cwd: this.dir, stdio: ['ignore', 'ignore', 'pipe'] });
    this.proc = proc;
    return new Promise((resolveStart, reject) => {
      const timer = setTimeout(() => fail(new Error('server did not start in time')), timeoutMs);
      const fail = (err) => { clearTimeout(timer); reject(new Error(`${err.message}\n--- server log ---\n${this.log}`)); };
      proc.on('error', fail);
      proc.on('exit', (code, signal) => { if (!this.port || this.proc === proc) fail(new Error(`server exited (${code ?? signal})`)); });
      let seen = '';
      proc.stderr.setEncoding('utf8');
      proc.stderr.on('data', (chunk) => {
        this.log += chunk;
        seen += chunk;
        const m = /INFO listening url=\S*:(\d+)/.exec(seen);
        if (m) { seen = ''; this.port = Number(m[1]); clearTimeout(timer); resolveStart(this); }
      });
    });
  }

  // kill -9: nothing gets a chance to close cleanly.
  async kill() {
    const proc = this.proc;
    this.proc = null;
    if (!proc || proc.exitCode !== null) return;
    const gone = new Promise((r) => proc.once('exit', r));
    proc.kill('SIGKILL');
    await gone;
  }

  // SIGTERM and wait for the exit code (the drain must end with 0).
  async stop(timeoutMs = 10000) {
    const proc = this.proc;
    this.proc = null;
    if (!proc || proc.exitCode !== null) return proc ? proc.exitCode : 0;
    const gone = new Promise((r) => proc.once('exit', (code) => r(code)));
    proc.kill('SIGTERM');
    const timer = setTimeout(() => proc.kill('SIGKILL'), timeoutMs);
    const code = await gone;
    clearTimeout(timer);
    return code;
  }

  // The sanitizers' reports (when the binary is the asan build) fail the suite.
  sanitizerReport() { return SANITIZER_REPORT.test(this.log) ? this.log : ''; }

  cleanup() { rmSync(this.dir, { recursive: true, force: true }); }
}
