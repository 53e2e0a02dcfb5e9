/**
 * Whole-number options: one check and one error text for every command (core/units.ts).
 */
import type { ErrorCode } from '../core/errors.js';
import { parseWhole } from '../core/units.js';

/** `text` as a whole number >= `min` (and <= `max`), or an input error naming the field. */
export function wholeNumber(
  text: string | undefined,
  field: string,
  min = 1,
  code: ErrorCode = 'E_CLI_USAGE',
  max?: number,
): number {
  return parseWhole(text, field, min, max, code);
}
