/**
 * @file `seqc report RUN --serve`: RUN/report.html on http://127.0.0.1:PORT/ (node:http, no
 * framework), with live reload: the page listens on /events (server-sent events) and reloads
 * whenever training rewrites the file.
 */
import { existsSync, readFileSync, statSync, watch, type FSWatcher } from 'node:fs';
import { createServer, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import { UsageError } from '../run.js';
import { REPORT_FILE } from './live.js';

/** A running report server. */
export interface ReportServer {
  readonly url: string;
  /** Clients currently listening for reloads. */
  listeners(): number;
  close(): Promise<void>;
}

/** Seconds between keep-alive comments on the event stream (proxies drop idle streams). */
const KEEPALIVE_S = 15;

/** Serves `dir`'s report on 127.0.0.1:`port` (0 picks a free port). */
export async function serveReport(dir: string, port: number): Promise<ReportServer> {
  const file = join(dir, REPORT_FILE);
  const clients = new Set<ServerResponse>();
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET') {
      res.writeHead(405, { allow: 'GET' }).end();
    } else if (path === '/' || path === `/${REPORT_FILE}`) {
      if (!existsSync(file)) {
        res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end(`${file} does not exist yet\n`);
        return;
      }
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' }).end(readFileSync(file));
    } else if (path === '/events') {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
      res.write(`retry: 2000\n: watching ${REPORT_FILE}\n\n`);
      clients.add(res);
      req.on('close', () => clients.delete(res));
    } else {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not found\n');
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) => reject(e.code === 'EADDRINUSE'
      ? new UsageError(`port ${port} is already in use; choose another with --port`)
      : e.code === 'EACCES' ? new UsageError(`no permission to listen on port ${port}; choose a port above 1023 with --port`) : e));
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : port}/`;

  // The report is replaced by a rename (atomic write), so watch the directory, not the file.
  let last = versionOf(file);
  const changed = (): void => {
    const now = versionOf(file);
    if (now === last || now === '') return;
    last = now;
    for (const c of clients) c.write(`event: reload\ndata: ${now}\n\n`);
  };
  const watcher: FSWatcher = watch(dir, (_event, name) => { if (name === REPORT_FILE) changed(); });
  // Some file systems (network mounts) report nothing: poll as well.
  const poll = setInterval(changed, 2000);
  const keepalive = setInterval(() => { for (const c of clients) c.write(': keep-alive\n\n'); }, KEEPALIVE_S * 1000);
  return {
    url,
    listeners: () => clients.size,
    close: async () => {
      watcher.close();
      clearInterval(poll);
      clearInterval(keepalive);
      for (const c of clients) c.end();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A version of a file that changes with every rewrite (a rename gives a new inode); '' if absent. */
function versionOf(path: string): string {
  try {
    const s = statSync(path);
    return `${s.ino}-${s.mtimeMs}`;
  } catch {
    return '';
  }
}
