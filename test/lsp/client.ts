/** @file A language-server client for tests: spawns `seqc lsp` and speaks the protocol over its stdio. */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import {
  createProtocolConnection, StreamMessageReader, StreamMessageWriter, PublishDiagnosticsNotification,
  type ProtocolConnection, type PublishDiagnosticsParams,
} from 'vscode-languageserver-protocol/node';
import { repoRoot } from '../helpers/examples.js';

/** A running server, its connection, and the diagnostics it has published. */
export class LspClient {
  readonly child: ChildProcess;
  readonly conn: ProtocolConnection;
  readonly stderr: string[] = [];
  private readonly published: PublishDiagnosticsParams[] = [];
  private waiters: (() => void)[] = [];
  readonly exited: Promise<number | null>;

  constructor(args: string[] = []) {
    this.child = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'test/helpers/run-seqc.ts'), 'lsp', '--stdio', ...args], { cwd: repoRoot, stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stderr!.on('data', (b: Buffer) => this.stderr.push(b.toString()));
    this.exited = new Promise((resolve) => this.child.on('exit', (code) => resolve(code)));
    this.conn = createProtocolConnection(new StreamMessageReader(this.child.stdout!), new StreamMessageWriter(this.child.stdin!));
    this.conn.onNotification(PublishDiagnosticsNotification.type, (p) => {
      this.published.push(p);
      const w = this.waiters;
      this.waiters = [];
      for (const f of w) f();
    });
    this.conn.listen();
  }

  /** The first diagnostics published for `uri` at `version` (waits up to 20 s). */
  async diagnostics(uri: string, version: number): Promise<PublishDiagnosticsParams> {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const p = this.published.find((x) => x.uri === uri && x.version === version);
      if (p) return p;
      if (Date.now() > deadline) throw new Error(`no diagnostics for ${uri} version ${version}; got ${JSON.stringify(this.published.map((x) => [x.uri, x.version]))}; stderr: ${this.stderr.join('')}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 500);
        this.waiters.push(() => { clearTimeout(t); resolve(); });
      });
    }
  }

  /** Ends the session as an editor does: shutdown, then exit; resolves to the server's exit code. */
  async close(): Promise<number | null> {
    await this.conn.sendRequest('shutdown');
    await this.conn.sendNotification('exit');
    const code = await this.exited;
    this.conn.dispose();
    return code;
  }
}
