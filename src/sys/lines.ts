/**
 * Output arriving in chunks, handed on as whole lines: what vmpath reads from the processes it
 * starts (ranks, mpirun) is line-oriented, and a chunk may end mid-line.
 */

export interface LineSplitter {
  /** Takes a chunk; calls the line handler for every line it completes. */
  push(chunk: string): void;
  /** Hands on what is left of a last line without its newline. */
  end(): void;
}

export function lineSplitter(each: (line: string) => void): LineSplitter {
  let rest = '';
  return {
    push(chunk) {
      const lines = (rest + chunk).split('\n');
      rest = lines.pop() ?? '';
      for (const line of lines) each(line);
    },
    end() {
      if (rest) each(rest);
      rest = '';
    },
  };
}
