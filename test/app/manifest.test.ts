import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { COMMAND } from '../../src/commands/index.js';

const text = readFileSync('manifest.yml', 'utf8');
const manifest = parse(text);

describe('manifest.yml', () => {
  it('declares the command, interactivity, App Home and Socket Mode', () => {
    expect(manifest.features.slash_commands.map((c: { command: string }) => c.command)).toEqual([COMMAND]);
    expect(manifest.settings.interactivity.is_enabled).toBe(true);
    expect(manifest.features.app_home.home_tab_enabled).toBe(true);
    expect(manifest.settings.socket_mode_enabled).toBe(true);
    expect(manifest.settings.event_subscriptions.bot_events).toContain('app_home_opened');
  });

  it('asks for exactly the bot scopes the bot uses, each with a comment saying why', () => {
    const scopes: string[] = manifest.oauth_config.scopes.bot;
    expect(scopes.sort()).toEqual(
      [
        'chat:write',
        'commands',
        'files:write',
        'im:write',
        'usergroups:read',
        'users:read',
        'users:read.email',
      ].sort(),
    );
    const lines = text.split('\n');
    for (const scope of scopes) {
      const i = lines.findIndex((l) => l.trim() === `- ${scope}`);
      expect(lines[i - 1]?.trim().startsWith('#'), `${scope} needs a comment above it`).toBe(true);
    }
  });
});
