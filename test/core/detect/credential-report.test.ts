import {
  CredentialReportExpiredException,
  CredentialReportNotPresentException,
  CredentialReportNotReadyException,
  GenerateCredentialReportCommand,
  GetCredentialReportCommand,
  IAMClient,
  LimitExceededException,
} from '@aws-sdk/client-iam';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import {
  CredentialReportUnavailableError,
  fetchCredentialReport,
} from '../../../src/core/detect/credential-report.js';

const CSV =
  'user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,password_next_rotation,mfa_active,access_key_1_active,access_key_1_last_rotated,access_key_1_last_used_date,access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date\n' +
  'bob,arn:aws:iam::1:user/bob,2020-01-01T00:00:00+00:00,true,N/A,N/A,N/A,false,false,N/A,N/A,false,N/A,N/A\n';
const GENERATED = new Date('2026-05-31T08:00:00Z');
const meta = { $metadata: {} };

function setup() {
  const iam = new IAMClient({ region: 'us-east-1' });
  const mock = mockClient(iam);
  const waits: number[] = [];
  const sleep = async (ms: number) => {
    waits.push(ms);
  };
  return { iam, mock, waits, sleep };
}

const report = {
  Content: new TextEncoder().encode(CSV),
  GeneratedTime: GENERATED,
  ReportFormat: 'text/csv' as const,
};

describe('fetchCredentialReport (AWS behaviours moto does not produce)', () => {
  it('polls with growing waits while generation is STARTED/INPROGRESS', async () => {
    const { iam, mock, waits, sleep } = setup();
    mock
      .on(GenerateCredentialReportCommand)
      .resolvesOnce({ State: 'STARTED' })
      .resolvesOnce({ State: 'INPROGRESS' })
      .resolves({ State: 'COMPLETE' });
    mock.on(GetCredentialReportCommand).resolves(report);
    const stats = { calls: 0 };
    const r = await fetchCredentialReport(iam, { sleep, stats });
    expect(r.generatedAt).toEqual(GENERATED);
    expect(r.rows.map((x) => x.user)).toEqual(['bob']);
    expect(waits).toEqual([250, 500]);
    expect(stats.calls).toBe(4);
  });

  it('waits and retries on ReportInProgress from GetCredentialReport', async () => {
    const { iam, mock, waits, sleep } = setup();
    mock.on(GenerateCredentialReportCommand).resolves({ State: 'COMPLETE' });
    mock
      .on(GetCredentialReportCommand)
      .rejectsOnce(new CredentialReportNotReadyException({ message: 'ReportInProgress', ...meta }))
      .resolves(report);
    const r = await fetchCredentialReport(iam, { sleep });
    expect(r.rows).toHaveLength(1);
    expect(waits).toHaveLength(1);
  });

  it('backs off on LimitExceeded instead of hammering', async () => {
    const { iam, mock, waits, sleep } = setup();
    mock
      .on(GenerateCredentialReportCommand)
      .rejectsOnce(new LimitExceededException({ message: 'slow down', ...meta }))
      .rejectsOnce(new LimitExceededException({ message: 'slow down', ...meta }))
      .resolves({ State: 'COMPLETE' });
    mock.on(GetCredentialReportCommand).resolves(report);
    await fetchCredentialReport(iam, { sleep });
    expect(waits).toEqual([250, 500]);
  });

  it.each([
    ['ReportExpired', new CredentialReportExpiredException({ message: 'expired', ...meta })],
    ['ReportNotPresent', new CredentialReportNotPresentException({ message: 'absent', ...meta })],
  ])('generates again after %s', async (_name, error) => {
    const { iam, mock, sleep } = setup();
    mock.on(GenerateCredentialReportCommand).resolves({ State: 'COMPLETE' });
    mock.on(GetCredentialReportCommand).rejectsOnce(error).resolves(report);
    await fetchCredentialReport(iam, { sleep });
    expect(mock.commandCalls(GenerateCredentialReportCommand)).toHaveLength(2);
    expect(mock.commandCalls(GetCredentialReportCommand)).toHaveLength(2);
  });

  it('gives up with a typed error after maxPolls, waits capped', async () => {
    const { iam, mock, waits, sleep } = setup();
    mock.on(GenerateCredentialReportCommand).resolves({ State: 'INPROGRESS' });
    await expect(fetchCredentialReport(iam, { sleep, maxPolls: 8, maxDelayMs: 4000 })).rejects.toBeInstanceOf(
      CredentialReportUnavailableError,
    );
    expect(waits).toEqual([250, 500, 1000, 2000, 4000, 4000, 4000, 4000]);
  });

  it('passes other errors (AccessDenied) straight through', async () => {
    const { iam, mock, sleep } = setup();
    const denied = Object.assign(new Error('not authorized'), { name: 'AccessDenied' });
    mock.on(GenerateCredentialReportCommand).rejects(denied);
    await expect(fetchCredentialReport(iam, { sleep })).rejects.toThrow(/not authorized/);
  });
});
