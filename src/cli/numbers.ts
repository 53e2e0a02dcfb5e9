/**
 * Whole-number options: one check and one error text for every command.
 */
import { type ErrorCode, invalidField } from '../core/errors.js';

/** `text` as a whole number >= `min`, or an input error naming the field (exit 2). */
export function wholeNumber(
  text: string | undefined,
  field: string,
  min = 1,
  code: ErrorCode = 'E_CLI_USAGE',
): number {
  const n = Number(text);
  if (text === undefined || !Number.isInteger(n) || n < min)
    throw invalidField(code, field, text ?? '(none)', `a whole number >= ${min}`);
  return n;
}
