// Atomic file replacement: write a temporary file in the target's folder, fsync it, rename it over the
// target, then fsync the folder so the rename itself is durable. A crash or an error at any point
// leaves either the old file or the new one, never a torn mix; on error the temporary file is removed.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';

/** Writes `file` atomically; `write(fd)` writes the content to the open temporary file. */
export function writeFileAtomic(file: string, write: (fd: number) => void): void {
  const dir = path.dirname(path.resolve(file));
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  const fd = fs.openSync(tmp, 'wx', 0o644);
  let renamed = false;
  try {
    try {
      write(fd);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, file);
    renamed = true;
  } finally {
    if (!renamed) {
      try {
        fs.unlinkSync(tmp);
      } catch {
        // Already gone: nothing to clean up.
      }
    }
  }
  fsyncDir(dir);
}

/** Writes every byte of `bytes` (writeSync may write less than asked). */
export function writeAll(fd: number, bytes: Uint8Array): void {
  let off = 0;
  while (off < bytes.length) off += fs.writeSync(fd, bytes, off, bytes.length - off);
}

function fsyncDir(dir: string): void {
  // Windows cannot open folders for fsync; there the rename is as durable as the platform allows.
  let fd: number | undefined;
  try {
    fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
  } catch {
    // Best effort: the data itself was synced before the rename.
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}
