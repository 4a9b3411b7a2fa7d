/** The CLI's streams, injectable so tests run it in-process. */
export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  /** Reads one line from the terminal (for enable-mfa's codes). */
  prompt(question: string): Promise<string>;
  isTTY: boolean;
  /** stderr is a terminal: only then is a progress line worth drawing (a log file would keep every frame). */
  errIsTTY: boolean;
}

export const EXIT_OK = 0;
/** Some rows or targets failed, or findings were found. */
export const EXIT_PARTIAL = 1;
/** Usage, config or unexpected error. */
export const EXIT_ERROR = 2;
