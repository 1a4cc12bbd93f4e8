/**
 * @file Test helper: validate emitted models with `onnx.checker.check_model(full_check=True)`
 * through `test/helpers/onnxcheck.py` and a Python that has the onnx package (Debian's
 * python3-onnx). With CI=true a missing checker fails the test; locally the test is skipped.
 */
import { execFile, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const SCRIPT = fileURLToPath(new URL('./onnxcheck.py', import.meta.url));

let python: string | null | undefined;

/** The first of $SEQPPL_PYTHON, python3, /usr/bin/python3 that can `import onnx`, or null. */
export function onnxPython(): string | null {
  if (python !== undefined) return python;
  const candidates = [process.env.SEQPPL_PYTHON, 'python3', '/usr/bin/python3'].filter((p): p is string => !!p);
  python = candidates.find((p) => spawnSync(p, ['-c', 'import onnx'], { stdio: 'ignore' }).status === 0) ?? null;
  return python;
}

/**
 * Returns the Python to use, or skips the current test (locally) / throws (when CI=true) if no
 * Python can import onnx.
 */
export function requireOnnxChecker(ctx: Mocha.Context): string {
  const py = onnxPython();
  if (py !== null) return py;
  const why = 'onnx checker unavailable: no python3 with the onnx package (apt install python3-onnx, or set SEQPPL_PYTHON)';
  if (process.env.CI === 'true') throw new Error(why);
  console.warn(`      (skipped: ${why})`);
  return ctx.skip();
}

/** The result of checking one model. */
export interface CheckResult {
  ok: boolean;
  error: string | null;
}

/** Runs the full ONNX checker on serialized model bytes. */
export function checkOnnx(py: string, bytes: Uint8Array): Promise<CheckResult> {
  return new Promise((resolve, reject) => {
    const child = execFile(py, [SCRIPT, '-'], { maxBuffer: 1 << 20 }, (err, stdout, stderr) => {
      const line = stdout.trim().split('\n').pop() ?? '';
      try {
        const r = JSON.parse(line) as CheckResult;
        resolve({ ok: r.ok, error: r.error });
      } catch {
        reject(new Error(`onnxcheck.py failed: ${err?.message ?? ''} ${stderr}`));
      }
    });
    child.stdin!.end(Buffer.from(bytes));
  });
}

/** Throws with the checker's message unless the model passes the full check. */
export async function assertValidOnnx(py: string, bytes: Uint8Array, what = 'model'): Promise<void> {
  const r = await checkOnnx(py, bytes);
  if (!r.ok) throw new Error(`onnx.checker rejected ${what}: ${r.error}`);
}

/** Official field numbers of the installed onnx package, per message (for schema tests). */
export function onnxSchema(py: string): Record<string, Record<string, number>> {
  const r = spawnSync(py, [SCRIPT, '--schema'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`onnxcheck.py --schema failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as Record<string, Record<string, number>>;
}
