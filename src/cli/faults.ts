/**
 * @file The error boundary's classifier: every exception that escapes a command becomes a
 * one-paragraph message (what failed, where, why) with a hint and an exit code — 2 for a path or
 * flag the user can correct, 4 for bad data, 5 for a run or a machine that cannot go on (full or
 * read-only disk, missing permission, too little memory). Anything unclassified is a bug (exit 3).
 */
import { OverrideError } from '../compiler/check/dims.js';
import { CheckpointError } from '../runtime/checkpoint.js';
import { DataError } from '../runtime/data/errors.js';
import { ColumnsError } from '../runtime/data/columns.js';
import { DeviceError, GraphError, isAllocationFailure, RunError, UsageError } from '../runtime/errors.js';

/** A classified fault: the exit code, the message and an optional hint. */
export interface Fault {
  readonly exit: 2 | 4 | 5;
  readonly message: string;
  readonly hint?: string;
}

/** What an errno code means to the user, and who can act on it. */
interface ErrnoRule { readonly exit: 2 | 5; readonly reason: string; readonly hint: string }

const WRITE_ELSEWHERE = 'free some space, or write elsewhere (--out for train, -o for sample and export)';
const PERMISSIONS = 'check the permissions of the file and of its directory, or write elsewhere (--out, -o)';

/** Every file-system error code seqc can meet, by what it means. */
const errnoRules: Readonly<Record<string, ErrnoRule>> = {
  ENOSPC: { exit: 5, reason: 'no space left on the device', hint: WRITE_ELSEWHERE },
  EDQUOT: { exit: 5, reason: 'the disk quota is used up', hint: WRITE_ELSEWHERE },
  EFBIG: { exit: 5, reason: 'the file would be larger than this file system allows', hint: 'write elsewhere (--out, -o)' },
  EROFS: { exit: 5, reason: 'the file system is read-only', hint: 'write to a writable location (--out for train, -o for sample and export)' },
  EACCES: { exit: 5, reason: 'permission denied', hint: PERMISSIONS },
  EPERM: { exit: 5, reason: 'the operation is not permitted', hint: PERMISSIONS },
  EIO: { exit: 5, reason: 'the device reported an input/output error', hint: 'check the disk (dmesg), then run the command again' },
  EMFILE: { exit: 5, reason: 'too many files are open', hint: 'raise the limit (ulimit -n) and run the command again' },
  ENFILE: { exit: 5, reason: 'the system has too many files open', hint: 'close other programs and run the command again' },
  ENOMEM: { exit: 5, reason: 'the system is out of memory', hint: 'close other programs, or use smaller sizes or a smaller --batch' },
  EBUSY: { exit: 5, reason: 'it is busy (in use by another program)', hint: 'wait for the other program, or use another path' },
  ETXTBSY: { exit: 5, reason: 'it is busy (in use by another program)', hint: 'wait for the other program, or use another path' },
  ELOOP: { exit: 5, reason: 'it is a symbolic link, and seqc does not follow links where it writes', hint: 'remove the link, or use another path' },
  EXDEV: { exit: 5, reason: 'it is on another file system than its temporary file', hint: 'use a path on one file system' },
  ENOENT: { exit: 2, reason: 'no such file or directory', hint: 'check the path' },
  ENOTDIR: { exit: 2, reason: 'a part of the path is a file, not a directory', hint: 'check the path; a run directory (--out) or output directory (-o) cannot be inside a file' },
  EISDIR: { exit: 2, reason: 'it is a directory', hint: 'name a file, not a directory' },
  EEXIST: { exit: 2, reason: 'it already exists', hint: 'choose another name' },
  ENAMETOOLONG: { exit: 2, reason: 'the path is too long', hint: 'use a shorter path' },
  EINVAL: { exit: 2, reason: 'the path is not valid here', hint: 'use another path' },
};

/** What the failed system call was doing, in words. */
const verbs: Readonly<Record<string, string>> = {
  open: 'open', read: 'read', write: 'write', fsync: 'write', close: 'write', mkdir: 'create the directory', rename: 'write',
  unlink: 'remove', rmdir: 'remove', scandir: 'list the directory', lstat: 'look at', stat: 'look at', copyfile: 'copy', access: 'use',
};

/** Classifies an exception, or returns null for a bug in seqc. */
export function classify(e: unknown): Fault | null {
  const f = classifyOwn(e);
  const extra = (e as { seqcHint?: string } | null)?.seqcHint;
  // A hint such as "the checkpoint is intact, --resume continues" fits faults of the machine only.
  const machine = !(e instanceof UsageError || e instanceof OverrideError || e instanceof ColumnsError || e instanceof DataError || e instanceof RunError || e instanceof CheckpointError || e instanceof DeviceError);
  if (!f || !extra || !machine) return f;
  return { ...f, hint: f.hint ? `${f.hint}; ${extra}` : extra };
}

function classifyOwn(e: unknown): Fault | null {
  if (e instanceof UsageError) return { exit: 2, message: e.message, ...(e.hint ? { hint: e.hint } : {}) };
  if (e instanceof OverrideError || e instanceof ColumnsError) return { exit: 2, message: e.message };
  if (e instanceof DataError) return { exit: 4, message: `bad data: ${e.message}` };
  if (e instanceof RunError) return { exit: 5, message: e.message, ...(e.hint ? { hint: e.hint } : {}) };
  if (e instanceof CheckpointError || e instanceof DeviceError) return { exit: 5, message: e.message };
  if (e instanceof GraphError) {
    if (!e.memory) return null;
    return { exit: 5, message: `not enough memory ${e.during === 'load' ? 'to load' : 'to run'} ${e.graph}.onnx (onnxruntime: ${e.detail})`, hint: MEMORY_HINT };
  }
  const errno = e as NodeJS.ErrnoException | null;
  if (errno && typeof errno === 'object' && typeof errno.code === 'string' && typeof errno.syscall === 'string') {
    const rule = errnoRules[errno.code];
    if (!rule) return null;
    const where = errno.path ? ` ${errno.path}` : '';
    const verb = verbs[errno.syscall] ?? errno.syscall;
    return { exit: rule.exit, message: `cannot ${verb}${where}: ${rule.reason} (${errno.code})`, hint: rule.hint };
  }
  if (e instanceof RangeError && /allocation failed|Invalid (typed )?array length|Invalid string length|out of memory/i.test(e.message)) {
    return { exit: 5, message: `not enough memory: ${e.message}`, hint: MEMORY_HINT };
  }
  if (e instanceof Error && isAllocationFailure(e.message)) return { exit: 5, message: `not enough memory: ${e.message}`, hint: MEMORY_HINT };
  return null;
}

const MEMORY_HINT = 'use a smaller --batch, shorter sequences (--max-len) or smaller sizes (--set), or a machine with more memory';

/** Attaches a hint (how to continue a run) that the boundary prints after a machine fault's own. */
export function withHint(e: unknown, hint: string): unknown {
  if (e && typeof e === 'object') (e as { seqcHint?: string }).seqcHint = hint;
  return e;
}
