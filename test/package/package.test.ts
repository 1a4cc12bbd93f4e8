/**
 * @file seqppl as a stranger installs it: `npm pack`, install the tarball into an empty project
 * (onnxruntime-node's CUDA download skipped the documented way), run the API example of
 * docs/api.md there, type-check a TypeScript consumer against the shipped declarations, and run
 * `npx seqc --version` — which must print the versions and no npm warning.
 */
import { expect } from 'chai';
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../helpers/examples.js';

const EXAMPLE = join(repoRoot, 'examples', 'api', 'quickstart.mjs');

/**
 * The environment of a stranger's shell: without the repository's `.npmrc` key, which `npm test`
 * passes down as `npm_config_onnxruntime_node_install` (npm in the consumer project would warn
 * about an unknown env config).
 */
const strangerEnv: NodeJS.ProcessEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => k.toLowerCase() !== 'npm_config_onnxruntime_node_install'));

function sh(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = strangerEnv): SpawnSyncReturns<string> {
  return spawnSync(cmd, args, { cwd, env, encoding: 'utf8', maxBuffer: 16 << 20 });
}

/** `npm --version` ≥ 11.16, the first npm that honours package.json's allowScripts. */
function npmHonoursAllowScripts(): boolean {
  const [major = 0, minor = 0] = sh('npm', ['--version'], repoRoot).stdout.trim().split('.').map(Number);
  return major > 11 || (major === 11 && minor >= 16);
}

describe('package: the packed tarball installed into a fresh project', function () {
  this.timeout(300_000);
  const project = mkdtempSync(join(tmpdir(), 'seqppl-consumer-'));
  let tarball: string;

  before(function () {
    const packed = sh('npm', ['pack', '--pack-destination', project, '--json'], repoRoot);
    if (packed.status !== 0) throw new Error(`npm pack failed:\n${packed.stderr}`);
    const info = JSON.parse(packed.stdout.slice(packed.stdout.indexOf('['))) as { filename: string; files: { path: string }[] }[];
    tarball = join(project, info[0]!.filename);
    const paths = info[0]!.files.map((f) => f.path);
    expect(paths).to.include.members(['LICENSE', 'README.md', 'package.json', 'bin/seqc.js', 'dist/index.js', 'dist/index.d.ts', 'grammar/seq.ohm', 'examples/vrnn.seq', 'data/speech/README.md']);
    expect(paths.filter((p) => p.startsWith('src/') || p.startsWith('test/') || p.endsWith('.map')), 'sources, tests and source maps are not shipped').to.deep.equal([]);
    writeFileSync(join(project, 'package.json'), JSON.stringify({
      name: 'seqppl-consumer', version: '1.0.0', private: true, type: 'module',
      // docs/api.md: how a project skips onnxruntime-node's CUDA download (npm >= 11.16). A tarball
      // is not a registry source, so npm also asks about seqppl's own `prepare` (the build; dist/
      // is in the tarball): a project installing seqppl from the registry needs only the first.
      allowScripts: { 'onnxruntime-node': false, [`file:${tarball}`]: false },
    }, null, 2));
    const env = { ...strangerEnv };
    // Older npm ignores allowScripts; onnxruntime-node's own variable is the documented alternative.
    if (npmHonoursAllowScripts()) delete env['ONNXRUNTIME_NODE_INSTALL'];
    else env['ONNXRUNTIME_NODE_INSTALL'] = 'skip';
    const inst = sh('npm', ['install', tarball, '--prefer-offline', '--no-audit', '--no-fund'], project, env);
    if (inst.status !== 0) {
      const offline = /ENOTCACHED|ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ETIMEDOUT/.test(inst.stderr);
      if (offline && process.env['CI'] !== 'true') {
        console.warn(`      (skipped: the npm registry is unreachable and the npm cache lacks seqppl's dependencies: ${inst.stderr.split('\n')[0]})`);
        this.skip();
      }
      throw new Error(`npm install of the tarball failed:\n${inst.stderr}`);
    }
    expect(inst.stderr, 'npm install printed warnings').to.not.match(/npm warn/i);
  });

  // The project holds a copy of onnxruntime-node (~100 MB).
  after(() => rmSync(project, { recursive: true, force: true }));

  it('package: the docs/api.md example runs against the installed package', () => {
    copyFileSync(EXAMPLE, join(project, 'quickstart.mjs'));
    const r = sh(process.execPath, ['quickstart.mjs'], project);
    expect(r.status, r.stderr).to.equal(0);
    expect(r.stdout).to.match(/^seqppl \d+\.\d+\.\d+: tiny has \d+ parameters$/m);
    expect(r.stdout).to.contain('a broken model: broken.seq:3:');
    expect(r.stdout).to.match(/test ELBO per step -?\d+\.\d+, IWAE-8 per step -?\d+\.\d+/);
    expect(r.stdout).to.contain('exported 3 files; evaluate.onnx reads data.x[B, T, 3], mask[B, T], noise.z[B, T, K, 2]');
  });

  it('package: a TypeScript consumer type-checks against the shipped declarations', () => {
    writeFileSync(join(project, 'consumer.ts'), [
      "import { check, train, type Problem, type TrainSummary } from 'seqppl';",
      "const problems: readonly Problem[] = check('m.seq', { text: 'model m() {}' }).problems;",
      "const done: Promise<TrainSummary> = train('m.seq', { out: 'run', steps: 1 });",
      "// @ts-expect-error: steps is a number",
      "train('m.seq', { out: 'run', steps: '1' });",
      'export { problems, done };',
      '',
    ].join('\n'));
    // Like any Node library's declarations, seqppl's refer to Node's types: the consumer has @types/node (the repository's here).
    const compilerOptions = { module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', strict: true, noEmit: true, typeRoots: [join(repoRoot, 'node_modules', '@types')], types: ['node'] };
    writeFileSync(join(project, 'tsconfig.json'), JSON.stringify({ compilerOptions, files: ['consumer.ts'] }));
    const r = sh(process.execPath, [join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'], project);
    expect(r.status, r.stdout + r.stderr).to.equal(0);
  });

  it('package: npx seqc --version prints seqppl, onnxruntime and Node versions, and no npm warning', () => {
    const r = sh('npx', ['--no-install', 'seqc', '--version'], project);
    expect(r.status, r.stderr).to.equal(0);
    const version = (JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string }).version;
    expect(r.stdout.trim()).to.equal(`seqc ${version} (onnxruntime-node ${installedOrtVersion(project)}, Node.js ${process.versions.node})`);
    expect(r.stderr).to.equal('');
  });

  it('package: docs/api.md shows the example exactly as it is run', () => {
    const doc = readFileSync(join(repoRoot, 'docs', 'api.md'), 'utf8');
    expect(doc).to.contain(readFileSync(EXAMPLE, 'utf8'));
  });
});

function installedOrtVersion(project: string): string {
  const p = join(project, 'node_modules', 'onnxruntime-node', 'package.json');
  return existsSync(p) ? (JSON.parse(readFileSync(p, 'utf8')) as { version: string }).version : 'missing';
}
