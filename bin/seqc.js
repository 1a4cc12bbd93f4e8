#!/usr/bin/env node
// Entry point of the `seqc` CLI: runs the compiled CLI from dist/ (built by `npm ci` through `prepare`).
import { main } from '../dist/cli/main.js';
main(process.argv.slice(2)).then((code) => { process.exitCode = code; });
