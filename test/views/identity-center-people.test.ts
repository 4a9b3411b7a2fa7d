import { describe, expect, it } from 'vitest';
import { parseFileConfig } from '../../src/config.js';
import { summarize } from '../../src/core/index.js';
import { CREATE_BLOCKS, createModal } from '../../src/views/create-modal.js';
import {
  DIGEST_IDENTITY_CENTER_BLOCK,
  digestMessage,
  IDENTITY_CENTER_NOT_COVERED,
} from '../../src/views/digest.js';
import { identityCenterWelcome } from '../../src/views/identity-center-people.js';

const result = { accounts: [], findings: [], analysisDate: new Date('2025-03-01T00:00:00Z') };

describe('Identity Center people in the views', () => {
  it('the digest says Identity Center users are not covered, and where their sign-ins are, only when configured', () => {
    const summary = summarize([]);
    const withIc = digestMessage({ result: result as never, summary, identityCenter: true });
    const block = withIc.blocks.find((b) => b.block_id === DIGEST_IDENTITY_CENTER_BLOCK);
    expect(JSON.stringify(block)).toContain('not covered');
    expect(IDENTITY_CENTER_NOT_COVERED).toMatch(/no last sign-in time/);
    expect(IDENTITY_CENTER_NOT_COVERED).toMatch(/CloudTrail .*signin\.amazonaws\.com.*sso\.amazonaws\.com/);
    const without = digestMessage({ result: result as never, summary });
    expect(without.blocks.some((b) => b.block_id === DIGEST_IDENTITY_CENTER_BLOCK)).toBe(false);
  });

  it('the welcome DM names the portal, holds no password, and does not claim an invitation', () => {
    const text = identityCenterWelcome({
      userName: 'jane',
      groups: ['Engineers'],
      portalUrl: 'https://d-1234567890.awsapps.com/start',
    });
    expect(text).toContain('https://d-1234567890.awsapps.com/start');
    expect(text).toContain('does not email an invitation');
    expect(text).not.toMatch(/you were invited|password:/i);
    expect(identityCenterWelcome({ userName: 'jane', groups: [] })).toContain('ask an admin for its URL');
  });

  it('the create modal offers no IAM-only fields when every template is an Identity Center one, and marks them when some are', () => {
    const ic = parseFileConfig(
      { templates: { sso: { description: 'x', identity_center: { groups: [] } } }, identity_center: {} },
      't.yml',
    );
    const ids = (v: ReturnType<typeof createModal>) => v.blocks.map((b) => b.block_id);
    const onlyIc = createModal(ic, [], { mode: 'create' });
    expect(ids(onlyIc)).not.toContain(CREATE_BLOCKS.groups);
    expect(ids(onlyIc)).not.toContain(CREATE_BLOCKS.duration);
    const mixed = createModal(
      {
        templates: {
          ...ic.templates,
          dev: { ...(ic.templates.sso as (typeof ic.templates)[string]), identity_center: undefined },
        },
      },
      [],
      { mode: 'create' },
    );
    expect(JSON.stringify(mixed.blocks)).toContain('Extra IAM groups (IAM templates only)');
  });
});
