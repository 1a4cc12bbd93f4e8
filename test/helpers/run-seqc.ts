/** @file Runs the seqc CLI from source in a child process (so tests see real exit codes and streams). */
import { main } from '../../src/cli/main.js';

main(process.argv.slice(2)).then((code) => { process.exitCode = code; });
