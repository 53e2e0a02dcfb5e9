/**
 * Where commands write: every output path is checked before any work starts (an error then
 * costs nothing), and files are written whole (a partial file, then a rename), so that an
 * interrupted or failed write never leaves half a file under the name asked for.
 */
import {
  accessSync,
  constants,
  existsSync,
  realpathSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { invalidField, VmpathError } from '../core/errors.js';

function writableDir(dir: string): boolean {
  try {
    accessSync(dir, constants.W_OK | constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Checks that `out` can be written as a file: its folder exists and takes files, and it is not
 * a folder itself. Returns its absolute path. */
export function checkOutput(out: string, field: string): string {
  const file = resolve(out);
  const dir = dirname(file);
  if (!existsSync(dir) || !statSync(dir).isDirectory())
    throw invalidField('E_CLI_USAGE', field, out, 'a file in an existing folder');
  if (existsSync(file) && statSync(file).isDirectory())
    throw invalidField('E_CLI_USAGE', field, out, 'a file, not a folder');
  if (!writableDir(dir))
    throw invalidField(
      'E_CLI_USAGE',
      field,
      out,
      `a file in a folder this user can write (${dir})`,
    );
  return file;
}

/** Checks that `out` is a folder, or can be made one (its nearest existing parent is a
 * writable folder). Returns its absolute path. */
export function checkOutputDir(out: string, field: string): string {
  const dir = resolve(out);
  let at = dir;
  while (!existsSync(at)) at = dirname(at);
  if (!statSync(at).isDirectory())
    throw invalidField(
      'E_CLI_USAGE',
      field,
      out,
      `a folder (${at === dir ? 'this is a file' : `${at} is a file`})`,
    );
  if (!writableDir(at))
    throw invalidField('E_CLI_USAGE', field, out, `a folder this user can write (${at})`);
  return dir;
}

/** Writes `text` to `file` whole: into a partial file beside it, then renamed over it. A link
 * is written through (its target replaced); a device or a pipe (/dev/stdout) is written to. */
export function writeWhole(file: string, text: string): void {
  let target = file;
  try {
    target = realpathSync(file);
  } catch {
    // not there yet
  }
  if (existsSync(target) && !statSync(target).isFile()) {
    writeFileSync(target, text);
    return;
  }
  const partial = `${target}.${process.pid}.partial`;
  try {
    writeFileSync(partial, text);
    renameSync(partial, target);
  } finally {
    rmSync(partial, { force: true });
  }
}

/** Writes a result that took long to get (a calibration, a job's matrix): whole, and if that
 * fails (a full disk, a folder gone meanwhile), into the temporary folder instead, so that it
 * is not lost; the error says where it went. */
export function writeResult(file: string, text: string, what: string): void {
  try {
    writeWhole(file, text);
  } catch (error) {
    const rescue = join(tmpdir(), `vmpath-${what}-${process.pid}-${Date.now()}.json`);
    let saved = `it could not be saved elsewhere either`;
    try {
      writeFileSync(rescue, text);
      saved = `it is saved in ${rescue}`;
    } catch {
      // nothing more to try
    }
    throw new VmpathError(
      'E_CLI_WRITE',
      `${what}: could not write ${file} (${(error as Error).message}); ${saved}`,
      { cause: error, details: { field: file } },
    );
  }
}
