/**
 * Spec text (YAML, of which JSON is a subset) to a raw value. Pure: the caller reads the file.
 */
import { parse as parseYaml, YAMLParseError } from 'yaml';
import { VmpathError } from '../core/errors.js';

/** Parses YAML or JSON text; syntax errors name the source, line and column. */
export function parseSpecText(text: string, source: string): unknown {
  try {
    return parseYaml(text, { prettyErrors: true, uniqueKeys: true });
  } catch (error) {
    if (error instanceof YAMLParseError) {
      const where = error.linePos?.[0] ? `:${error.linePos[0].line}:${error.linePos[0].col}` : '';
      throw new VmpathError(
        'E_SPEC_PARSE',
        `${source}${where}: not valid YAML or JSON: ${error.message.split('\n')[0]?.replace(/:\s*$/, '')}`,
        {
          cause: error,
          details: { field: source },
        },
      );
    }
    // Anything else the parser refuses (an alias bomb: "excessive alias count") is bad input too.
    throw new VmpathError(
      'E_SPEC_PARSE',
      `${source}: not valid YAML or JSON: ${(error as Error).message.split('\n')[0]}`,
      { cause: error, details: { field: source } },
    );
  }
}
