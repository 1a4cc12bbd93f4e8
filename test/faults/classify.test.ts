/** @file The error boundary's classifier: each kind of fault gets its exit code and a located message; the rest are bugs. */
import { expect } from 'chai';
import { classify, withHint } from '../../src/cli/faults.js';
import { reportFailure, shellCommand, shellQuote } from '../../src/cli/io.js';
import { GraphError } from '../../src/runtime/graphs.js';
import { RunError } from '../../src/runtime/errors.js';

const errno = (code: string, syscall: string, path?: string): NodeJS.ErrnoException =>
  Object.assign(new Error(`${code}: ${syscall}`), { code, syscall, ...(path ? { path } : {}) });

describe('faults: the classifier', () => {
  it('classify: file-system errors by code — machine faults exit 5, path mistakes exit 2 — with the path and a hint', () => {
    const cases: [string, string, number, string][] = [
      ['ENOSPC', 'write', 5, 'cannot write /r/x: no space left on the device (ENOSPC)'],
      ['EDQUOT', 'write', 5, 'the disk quota is used up'],
      ['EROFS', 'open', 5, 'cannot open /r/x: the file system is read-only (EROFS)'],
      ['EACCES', 'mkdir', 5, 'cannot create the directory /r/x: permission denied (EACCES)'],
      ['EPERM', 'rename', 5, 'not permitted'],
      ['EIO', 'read', 5, 'input/output error'],
      ['EMFILE', 'open', 5, 'too many files are open'],
      ['ENOTDIR', 'lstat', 2, 'cannot look at /r/x: a part of the path is a file, not a directory (ENOTDIR)'],
      ['EISDIR', 'open', 2, 'it is a directory'],
      ['EEXIST', 'mkdir', 2, 'it already exists'],
      ['ENOENT', 'scandir', 2, 'cannot list the directory /r/x: no such file or directory'],
      ['ENAMETOOLONG', 'open', 2, 'the path is too long'],
    ];
    for (const [code, syscall, exit, text] of cases) {
      const f = classify(errno(code, syscall, '/r/x'));
      expect(f, code).to.not.equal(null);
      expect(f!.exit, code).to.equal(exit);
      expect(f!.message, code).to.contain(text);
      expect(f!.hint, code).to.be.a('string');
    }
    expect(classify(errno('ECONNRESET', 'read')), 'an unknown code is not guessed at').to.equal(null);
  });

  it('classify: allocation failures (JS and onnxruntime) are the machine\'s limit (exit 5); other onnxruntime failures are bugs', () => {
    expect(classify(new RangeError('Array buffer allocation failed'))).to.include({ exit: 5, message: 'not enough memory: Array buffer allocation failed' });
    expect(classify(new RangeError('Invalid typed array length: 1e+21'))!.exit).to.equal(5);
    const oom = classify(new GraphError('evaluate', 'run', true, 'std::bad_alloc'));
    expect(oom!.message).to.equal('not enough memory to run evaluate.onnx (onnxruntime: std::bad_alloc)');
    expect(oom!.hint).to.contain('smaller --batch');
    expect(classify(new GraphError('train_step', 'run', false, 'Non-zero status code returned while running Gemm node'))).to.equal(null);
    expect(classify(new TypeError('x is undefined'))).to.equal(null);
  });

  it('reportFailure: one paragraph and a hint for faults; a stack trace only for bugs; a resume hint only for machine faults', () => {
    let err = '';
    const term = { out: () => {}, err: (t: string) => { err += t; } };
    expect(reportFailure(withHint(errno('ENOSPC', 'write', '/r/last.ckpt'), '`seqc train --resume /r` continues it'), term)).to.equal(5);
    expect(err).to.equal('seqc: cannot write /r/last.ckpt: no space left on the device (ENOSPC)\n  hint: free some space, or write elsewhere (--out for train, -o for sample and export); `seqc train --resume /r` continues it');
    err = '';
    expect(reportFailure(withHint(new RunError('r/train_step.onnx differs', 'restore it'), 'resume'), term)).to.equal(5);
    expect(err).to.equal('seqc: r/train_step.onnx differs\n  hint: restore it');
    err = '';
    expect(reportFailure(new TypeError('x is undefined'), term)).to.equal(3);
    expect(err).to.match(/internal error: this is a bug in seqc[\s\S]*x is undefined\n[\s\S]*\n\s+at /);
  });

  it('shellQuote: plain words stay, anything a shell would split or expand is single-quoted', () => {
    expect(shellQuote('runs/vrnn-2')).to.equal('runs/vrnn-2');
    expect(shellQuote('my runs/a')).to.equal("'my runs/a'");
    expect(shellQuote("it's")).to.equal("'it'\\''s'");
    expect(shellQuote('$HOME')).to.equal("'$HOME'");
    expect(shellCommand(['npx', 'seqc', 'train', '--resume', 'a b'])).to.equal("npx seqc train --resume 'a b'");
  });
});
