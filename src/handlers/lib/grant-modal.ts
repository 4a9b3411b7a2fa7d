import type { Config } from '../../config.js';
import { grantableFor } from '../../core/grants.js';
import { grantRequestModal } from '../../views/grants.js';

/**
 * The request / break-glass modal, from config alone: it must open within the trigger_id's 3 s, so no IAM
 * call happens here. The submission checks the choice against the caller's own template.
 */
export function grantModalFor(config: Config, breakGlass: boolean): Record<string, unknown> {
  const templates = Object.values(config.templates).filter((t) => !breakGlass || t.break_glass);
  const seen = new Set<string>();
  const access = templates
    .flatMap((t) => grantableFor(t))
    .filter((a) => {
      const k = `${a.kind}:${a.target}`;
      if (seen.has(k)) return false;
      seen.add(k);
      return true;
    });
  const accounts =
    config.accounts.length > 0
      ? config.accounts.map((a) => ({ id: a.id, name: a.name }))
      : [{ id: 'home', name: 'home' }];
  const maxMinutes = breakGlass
    ? config.break_glass.max_duration_minutes
    : config.grants.max_duration_hours * 60;
  return grantRequestModal({ breakGlass, accounts, access, maxMinutes, privateMetadata: '' });
}
