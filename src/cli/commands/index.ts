import type { RegisterCliCommand } from '../index.js';
import { reportCommand } from './report.js';
import { scanCommand } from './scan.js';
import { templatesCommand } from './templates.js';

/** One file per command; keep this list in the order `--help` shows them. */
export const commands: RegisterCliCommand[] = [templatesCommand, scanCommand, reportCommand];
