#!/usr/bin/env node
// The fastgrad command line: train, tune, bench, info. Each command lives in its own file here.
import { backendDetails } from '../backend';

const USAGE = `usage: fastgrad <command> [options]

commands:
  info      version, backend, ISA, threads, and which binary was loaded
`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'info': {
      const d = backendDetails();
      if (rest.includes('--json')) console.log(JSON.stringify(d));
      else for (const [k, v] of Object.entries(d)) if (v !== undefined) console.log(`${k.padEnd(14)} ${Array.isArray(v) ? v.join(', ') : v}`);
      return 0;
    }
    case undefined:
    case '-h':
    case '--help':
      process.stdout.write(USAGE);
      return command === undefined ? 2 : 0;
    default:
      process.stderr.write(`fastgrad: unknown command '${command}'\n${USAGE}`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => (process.exitCode = code),
  (e) => {
    process.stderr.write(`fastgrad: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = 1;
  },
);
