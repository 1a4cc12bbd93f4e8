/**
 * @file The runtime's error classes: each names who has to act. The CLI's error boundary
 * (src/cli/faults.ts) maps them, and file-system and memory faults, to exit codes.
 */

/** A problem with how a command was invoked: a bad flag, a path that cannot be used (exit 2). */
export class UsageError extends Error {
  override readonly name = 'UsageError';
  constructor(message: string, readonly hint?: string) {
    super(message);
  }
}

/** A run that cannot proceed: a missing or foreign checkpoint, an edited run directory, divergence (exit 5). */
export class RunError extends Error {
  override readonly name = 'RunError';
  constructor(message: string, readonly hint?: string) {
    super(message);
  }
}
