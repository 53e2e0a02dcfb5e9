/**
 * Testbed ids: short, lower-case, safe inside namespace and file names.
 * An id never contains '-', so the prefix `vmp-<id>-` of one testbed is never a prefix of another's.
 */
import { randomBytes } from 'node:crypto';
import { invalidField } from './errors.js';

/** What an id may look like: 1 to 8 characters, lower-case letters and digits. */
export const ID_PATTERN = /^[a-z0-9]{1,8}$/;

/** A fresh random id of 6 characters (base 36). */
export function newId(): string {
  const bytes = randomBytes(6);
  let id = '';
  for (const byte of bytes) id += (byte % 36).toString(36);
  return id;
}

/** Returns `id` if well formed, else throws an input error naming the option. */
export function checkId(id: string, field = '--id'): string {
  if (!ID_PATTERN.test(id)) {
    throw invalidField('E_CLI_USAGE', field, id, '1 to 8 lower-case letters or digits (a-z, 0-9)');
  }
  return id;
}
