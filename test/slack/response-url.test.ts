import { describe, expect, it } from 'vitest';
import { isSlackResponseUrl } from '../../src/slack/response-url.js';

describe('isSlackResponseUrl', () => {
  it("accepts Slack's documented response URLs", () => {
    for (const u of [
      'https://hooks.slack.com/commands/T0001/1234/abcd',
      'https://hooks.slack.com/actions/T0001/1234/abcd',
      'https://hooks.slack.com/app/T0001/1234/abcd',
    ])
      expect(isSlackResponseUrl(u)).toBe(true);
  });

  it('refuses every other host, scheme, port and disguise', () => {
    for (const u of [
      'http://hooks.slack.com/commands/T/1/x',
      'https://hooks.slack.com:8443/commands/T/1/x',
      'https://hooks.slack.com.evil.example/commands/T/1/x',
      'https://evil.example/hooks.slack.com/commands',
      'https://hooks.slack.com@evil.example/commands',
      'https://user:pw@hooks.slack.com/commands/T/1/x',
      'https://evilhooks.slack.com/commands',
      'https://slack.com/api/chat.postMessage',
      'https://169.254.169.254/latest/meta-data/',
      'file:///etc/passwd',
      'not a url',
      '',
      undefined,
    ])
      expect(isSlackResponseUrl(u), String(u)).toBe(false);
  });

  it("accepts SLACK_API_URL's origin when it is set, and only that origin", () => {
    const api = 'http://127.0.0.1:4010/api/';
    expect(isSlackResponseUrl('http://127.0.0.1:4010/response/1', api)).toBe(true);
    expect(isSlackResponseUrl('http://127.0.0.1:4011/response/1', api)).toBe(false);
    expect(isSlackResponseUrl('https://127.0.0.1:4010/response/1', api)).toBe(false);
    expect(isSlackResponseUrl('http://localhost:4010/response/1', api)).toBe(false);
    expect(isSlackResponseUrl('https://hooks.slack.com/commands/T/1/x', api)).toBe(true);
    expect(isSlackResponseUrl('http://127.0.0.1:4010/response/1')).toBe(false);
  });
});
