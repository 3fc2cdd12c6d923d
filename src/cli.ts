#!/usr/bin/env node
// The exec-probe CLI: `nestjs-heartbeat check <url> [-t|--timeout <ms>]`. Node only, no dependency.
// No top-level await: the package is built as CommonJS (see tsconfig.build.json).
import { runCli } from './cli/check-command.js';

void runCli(process.argv.slice(2), (line) => process.stdout.write(line + '\n')).then((code) => {
  process.exitCode = code;
});
