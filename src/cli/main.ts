#!/usr/bin/env node
import { buildProgram, reportError } from './program.js';

const exit = { code: 0 };
const program = buildProgram(process.cwd(), exit);
const debug = process.argv.includes('--debug');

try {
  await program.parseAsync(process.argv);
} catch (error) {
  const code = (error as { code?: string }).code;
  if (typeof code === 'string' && code.startsWith('commander.')) {
    // commander already printed its message (or help/version, which exit 0)
    const exitCode = (error as { exitCode?: number }).exitCode ?? 2;
    exit.code = exitCode === 0 ? 0 : 2;
  } else {
    exit.code = reportError(error, debug);
  }
}
process.exitCode = exit.code;
