// The VS Code client of `seqc lsp`: starts the server over stdio for .seq files and restarts it when the settings change.
const { existsSync } = require('node:fs');
const { join } = require('node:path');
const vscode = require('vscode');
const { LanguageClient, TransportKind } = require('vscode-languageclient/node');

let client = null;

/** The command that runs seqc: the setting, else the workspace's own install, else seqc on the PATH. */
function serverCommand(cfg) {
  const configured = cfg.get('server.command');
  if (configured) return configured;
  for (const folder of vscode.workspace.workspaceFolders || []) {
    const local = join(folder.uri.fsPath, 'node_modules', '.bin', process.platform === 'win32' ? 'seqc.cmd' : 'seqc');
    if (existsSync(local)) return local;
  }
  return 'seqc';
}

async function start() {
  const cfg = vscode.workspace.getConfiguration('seq');
  const server = { command: serverCommand(cfg), args: [...cfg.get('server.args'), 'lsp'], transport: TransportKind.stdio };
  client = new LanguageClient('seq', 'seq language server', server, {
    documentSelector: [{ scheme: 'file', language: 'seq' }, { scheme: 'untitled', language: 'seq' }],
    initializationOptions: { set: cfg.get('set') },
  });
  await client.start();
}

async function activate(context) {
  context.subscriptions.push(vscode.workspace.onDidChangeConfiguration(async (e) => {
    if (!e.affectsConfiguration('seq')) return;
    if (client) await client.stop();
    await start();
  }));
  await start();
}

async function deactivate() {
  if (client) await client.stop();
}

module.exports = { activate, deactivate };
