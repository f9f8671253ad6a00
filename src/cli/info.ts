// `fastgrad info [--json]`: version, backend, ISA, threads, and which binary was loaded.
import { backendDetails } from '../backend';

export async function run(args: string[]): Promise<number> {
  const d = backendDetails();
  if (args.includes('--json')) {
    console.log(JSON.stringify(d));
    return 0;
  }
  for (const [k, v] of Object.entries(d)) {
    if (v !== undefined) console.log(`${k.padEnd(14)} ${Array.isArray(v) ? v.join(', ') : String(v)}`);
  }
  return 0;
}
