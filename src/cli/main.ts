#!/usr/bin/env node
// The fastgrad command line. Each command is a module in this folder exporting
// `run(args: string[]): Promise<number>` (the exit code); this file only dispatches.
import * as fs from 'node:fs';
import * as path from 'node:path';

const COMMANDS: Record<string, string> = {
  train: 'train a model on the bundled Fashion-MNIST (or --data DIR)',
  tune: 'hyperparameter search with cross-validation',
  bench: 'benchmarks: native against pure JS and peers',
  info: 'version, backend, ISA, threads, and which binary was loaded',
};

function usage(): string {
  const lines = Object.entries(COMMANDS).map(([c, d]) => `  ${c.padEnd(8)}  ${d}`);
  return `usage: fastgrad <command> [options]   (fastgrad <command> --help for options)\n\ncommands:\n${lines.join('\n')}\n`;
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '-h' || command === '--help') {
    process.stdout.write(usage());
    return command === undefined ? 2 : 0;
  }
  if (!(command in COMMANDS)) {
    process.stderr.write(`fastgrad: unknown command '${command}'\n${usage()}`);
    return 2;
  }
  const file = path.join(__dirname, `${command}.js`);
  const tsFile = path.join(__dirname, `${command}.ts`);
  if (!fs.existsSync(file) && !fs.existsSync(tsFile)) {
    process.stderr.write(`fastgrad: the '${command}' command is not available in this build\n`);
    return 2;
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const mod = require(file) as { run(args: string[]): Promise<number> };
  return mod.run(rest);
}

main(process.argv.slice(2)).then(
  (code) => (process.exitCode = code),
  (e) => {
    process.stderr.write(`fastgrad: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = 1;
  },
);
