/**
 * Numbers and units in input: decimal numbers, whole numbers, rates, byte sizes with binary
 * suffixes, durations in seconds. Pure. Numbers are read as people write them in decimal
 * (`12`, `0.5`, `1e6`); JavaScript's other forms (`0x10`, `0b1`, `Infinity`, a blank) are not
 * numbers here.
 */
import { type ErrorCode, invalidField } from './errors.js';

const DECIMAL = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

/** `text` as a decimal number, or NaN. */
export function decimal(text: string | undefined): number {
  return text !== undefined && DECIMAL.test(text) ? Number(text) : Number.NaN;
}

/** `text` as a whole number in [min, max], or an input error naming the field. */
export function parseWhole(
  text: string | undefined,
  field: string,
  min: number,
  max: number = Number.MAX_SAFE_INTEGER,
  code: ErrorCode = 'E_CLI_USAGE',
): number {
  const n = decimal(text);
  if (!Number.isSafeInteger(n) || n < min || n > max)
    throw invalidField(
      code,
      field,
      text ?? '(none)',
      max === Number.MAX_SAFE_INTEGER
        ? `a whole number >= ${min}`
        : `a whole number from ${min} to ${max}`,
    );
  return n;
}

/** The highest uplink rate anywhere (a topology's rateMbit, --rate): 400 Gbit/s. */
export const MAX_RATE_MBIT = 400_000;

/** --rate: Mbit/s from 0 (no shaping, or as calibrated: `zeroMeans` says) to MAX_RATE_MBIT. */
export function parseRate(text: string, field: string, zeroMeans = 'no shaping'): number {
  const rate = decimal(text);
  if (!Number.isFinite(rate) || rate < 0 || rate > MAX_RATE_MBIT)
    throw invalidField(
      'E_CLI_USAGE',
      field,
      text,
      `a rate in Mbit/s from 0 to ${MAX_RATE_MBIT} (0: ${zeroMeans})`,
    );
  return rate;
}

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
  const value = decimal(text);
  const low = allowZero ? value >= 0 : value > 0;
  if (!Number.isFinite(value) || !low || value > maxSeconds) {
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
  const parts = text.split(',').map((p) => decimal(p.trim()));
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
