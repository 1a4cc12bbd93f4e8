/** @file `seqc fmt FILE...`: rewrite model files in canonical form (`--check` only reports). */
import { writeFileAtomic } from '../runtime/run.js';
import { renderDiagnostic } from '../compiler/diagnostics.js';
import { format } from '../compiler/format.js';
import { parse } from '../compiler/parse.js';
import { SourceFile } from '../compiler/source.js';
import { displayName, readModelFile, stdinOnce } from './check.js';
import { Exit, type Terminal } from './io.js';

/** Runs `seqc fmt`; returns the exit code. */
export function runFmt(files: readonly string[], opts: { check?: boolean; stdout?: boolean }, term: Terminal): number {
  let bad = 0;
  let unformatted = 0;
  stdinOnce(files);
  for (const file of files) {
    // `-` reads standard input; its formatted text goes to standard output (there is no file to rewrite).
    const f = displayName(file);
    const text = readModelFile(file);
    const parsed = parse(text);
    if (!parsed.ok) {
      const src = new SourceFile(f, text);
      for (const d of parsed.diagnostics) term.err(renderDiagnostic(src, d) + '\n');
      bad++;
      continue;
    }
    const formatted = format(parsed.program, text);
    if (opts.stdout || (file === '-' && !opts.check)) term.out(formatted.replace(/\n$/, ''));
    else if (opts.check) {
      if (formatted !== text) {
        term.err(`${f}: not formatted (run \`seqc fmt ${file === '-' ? '- < FILE' : f}\`)`);
        unformatted++;
      }
    } else if (formatted !== text) {
      writeFileAtomic(f, formatted);
      term.out(`formatted ${f}`);
    }
  }
  return bad || unformatted ? Exit.modelErrors : Exit.ok;
}
