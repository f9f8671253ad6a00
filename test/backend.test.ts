// Backend selection, ISA dispatch and thread settings, including the environment variables, which
// are read at load time and so are tested in child processes (against dist/, which `npm test` builds
// first).
import { execFileSync, spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import * as fg from '../src';
import { getBackend } from '../src/backend';

const root = path.resolve(__dirname, '..');
const native = getBackend('native');

function runNode(code: string, env: Record<string, string>) {
  return spawnSync(process.execPath, ['-e', code], { cwd: root, env: { ...process.env, ...env }, encoding: 'utf8' });
}

describe('backendInfo', () => {
  it('reports backend, isa, threads and version', () => {
    const info = fg.backendInfo();
    expect(Object.keys(info).sort()).toEqual(['backend', 'isa', 'threads', 'version']);
    expect(['native', 'js']).toContain(info.backend);
    expect(info.threads).toBeGreaterThanOrEqual(1);
    expect(info.version).toMatch(/^\d+\.\d+\.\d+/);
  });

  it.runIf(native)('never selects an ISA the CPU lacks, nor an unverified one by default', () => {
    const info = JSON.parse(execFileSync(process.execPath, ['-e', "console.log(JSON.stringify(require('node-gyp-build')('.').info()))"], {
      cwd: root, env: { ...process.env, FASTGRAD_ISA: '' }, encoding: 'utf8',
    }));
    expect(info.availableIsas).toContain(info.isa);
    expect(info.unverifiedIsas).not.toContain(info.isa);
    expect(info.availableIsas).toContain('generic');
  });
});

describe.runIf(native)('FASTGRAD_ISA and FASTGRAD_NUM_THREADS', () => {
  const load = "const fg = require('./dist'); console.log(JSON.stringify(fg.backendInfo()))";

  it('forces each available ISA', () => {
    for (const isa of native!.availableIsas()) {
      const r = runNode(load, { FASTGRAD_ISA: isa });
      expect(r.status, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout).isa).toBe(isa);
    }
  });

  it('refuses an ISA this CPU or build lacks, with a clear error', () => {
    const missing = ['avx512', 'neon', 'avx2'].find((i) => !native!.availableIsas().includes(i));
    if (missing) {
      const r = runNode(load, { FASTGRAD_ISA: missing, FASTGRAD_BACKEND: 'native' });
      expect(r.status).not.toBe(0);
      expect(r.stderr).toContain(`FASTGRAD_ISA=${missing} is not available`);
    }
    const bad = runNode(load, { FASTGRAD_ISA: 'sse9', FASTGRAD_BACKEND: 'native' });
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toContain('FASTGRAD_ISA must be one of generic, avx2, avx512, neon');
  });

  it('sizes the thread pool from FASTGRAD_NUM_THREADS', () => {
    const r = runNode(load, { FASTGRAD_NUM_THREADS: '3' });
    expect(JSON.parse(r.stdout).threads).toBe(3);
  });

  it('FASTGRAD_BACKEND=js selects pure JS without a warning; a bad value is an error', () => {
    const r = runNode(load, { FASTGRAD_BACKEND: 'js' });
    expect(JSON.parse(r.stdout)).toMatchObject({ backend: 'js', isa: 'js', threads: 1 });
    expect(r.stderr).toBe('');
    const bad = runNode(load, { FASTGRAD_BACKEND: 'gpu' });
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toContain("FASTGRAD_BACKEND must be 'native' or 'js', got 'gpu'");
  });
});

describe.runIf(native)('run-time ISA switch and threads (used by the kernel tests)', () => {
  it('setIsa switches and rejects unavailable or unknown ISAs with ValueError', () => {
    const before = native!.isa();
    try {
      native!.setIsa('generic');
      expect(native!.isa()).toBe('generic');
      expect(() => native!.setIsa('quantum')).toThrow(fg.ValueError);
    } finally {
      native!.setIsa(before);
    }
  });

  it('setNumThreads resizes the pool and rejects nonsense', () => {
    const before = native!.numThreads();
    try {
      native!.setNumThreads(1);
      expect(native!.numThreads()).toBe(1);
      native!.setNumThreads(4);
      expect(native!.numThreads()).toBe(4);
      expect(() => native!.setNumThreads(0)).toThrow();
      expect(() => native!.setNumThreads(1.5 as number)).toThrow();
    } finally {
      native!.setNumThreads(before);
    }
  });

  it('dataAlignment gives the address of a typed array modulo 64, and checks its argument', () => {
    const addon = native as unknown as { dataAlignment(...args: unknown[]): number };
    const buf = new ArrayBuffer(4096 + 64);
    const base = addon.dataAlignment(new Float32Array(buf, 0, 1));
    expect(base % 4).toBe(0);
    for (const off of [0, 4, 16, 60]) expect(addon.dataAlignment(new Uint8Array(buf, off, 8))).toBe((base + off) % 64);
    expect(() => addon.dataAlignment([1, 2])).toThrow(TypeError);
    expect(() => addon.dataAlignment(undefined)).toThrow(TypeError);
    expect(() => addon.dataAlignment()).toThrow(TypeError);
  });
});
