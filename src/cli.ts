#!/usr/bin/env node
// The exec-probe CLI: `nestjs-heartbeat check <url> [-t|--timeout <ms>]`. Node only, no dependency.
import { runCli } from './cli/check-command.js';

process.exitCode = await runCli(process.argv.slice(2), (line) => process.stdout.write(line + '\n'));
