/**
 * Units in input: byte sizes with binary suffixes, durations in seconds. Pure.
 */
import { invalidField } from './errors.js';

const SUFFIX: Readonly<Record<string, number>> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

/** Parses "131072", "128K", "1M", "1G" (binary: K = 1024) within [min, max] bytes. */
export function parseBytes(text: string, field: string, min: number, max: number): number {
  const match = /^(\d+)\s*([kmg]?)(i?b)?$/i.exec(text.trim());
  const value = match
    ? Number(match[1]) * (SUFFIX[(match[2] ?? '').toLowerCase()] ?? 1)
    : Number.NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw invalidField(
      'E_CLI_USAGE',
      field,
      text,
      `a size in bytes from ${min} to ${max} (suffixes K, M, G are powers of 1024, e.g. 128K)`,
    );
  }
  return value;
}

/** Parses a duration in seconds (decimals allowed) within (0, max]. Returns milliseconds. */
export function parseSeconds(
  text: string,
  field: string,
  maxSeconds: number,
  allowZero = false,
): number {
  const value = Number(text);
  const low = allowZero ? value >= 0 : value > 0;
  if (text.trim() === '' || !Number.isFinite(value) || !low || value > maxSeconds) {
    throw invalidField(
      'E_CLI_USAGE',
      field,
      text,
      `seconds, ${allowZero ? 'from 0' : 'greater than 0'} and at most ${maxSeconds}`,
    );
  }
  return Math.round(value * 1000);
}

/** Parses "A,B" into two numbers, each checked by `check`. */
export function parsePair(
  text: string,
  field: string,
  allowed: string,
  check: (a: number, b: number) => boolean,
): [number, number] {
  const parts = text.split(',').map((p) => Number(p.trim()));
  const [a, b] = parts;
  if (
    parts.length !== 2 ||
    a === undefined ||
    b === undefined ||
    !Number.isFinite(a) ||
    !Number.isFinite(b) ||
    !check(a, b)
  ) {
    throw invalidField('E_CLI_USAGE', field, text, allowed);
  }
  return [a, b];
}
