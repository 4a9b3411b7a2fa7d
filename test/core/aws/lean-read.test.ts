import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GetAccountAuthorizationDetailsCommand, IAMClient } from '@aws-sdk/client-iam';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AuthorizationDetailsParser,
  parseAuthorizationDetailsPage,
} from '../../../src/core/aws/lean-read.js';
import { parseCredentialReport } from '../../../src/core/detect/credential-report.js';
import { forEachUserPage } from '../../../src/core/detect/scan.js';

/** Pretty-printed, fields out of AWS's order, entities, an inline policy document, empty lists. */
const GAAD = `<?xml version="1.0" encoding="UTF-8"?>
<GetAccountAuthorizationDetailsResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/">
  <GetAccountAuthorizationDetailsResult>
    <IsTruncated>true</IsTruncated>
    <UserDetailList>
      <member>
        <Tags>
          <member><Value>R&amp;D &lt;core&gt;</Value><Key>Department</Key></member>
          <member><Key>Email</Key><Value>o'brien@example.com</Value></member>
        </Tags>
        <GroupList>
          <member>Developers</member>
          <member>Read&amp;Only</member>
        </GroupList>
        <UserPolicyList>
          <member>
            <PolicyName>inline-1</PolicyName>
            <PolicyDocument>%7B%22Version%22%3A%222012-10-17%22%7D</PolicyDocument>
          </member>
        </UserPolicyList>
        <AttachedManagedPolicies>
          <member>
            <PolicyName>AdministratorAccess</PolicyName>
            <PolicyArn>arn:aws:iam::aws:policy/AdministratorAccess</PolicyArn>
          </member>
        </AttachedManagedPolicies>
        <UserName>o,brien</UserName>
        <Path>/</Path>
        <Arn>arn:aws:iam::111111111111:user/o,brien</Arn>
        <UserId>AIDAEXAMPLE1</UserId>
        <CreateDate>2024-01-01T00:00:00Z</CreateDate>
      </member>
      <member>
        <UserName>plain</UserName>
        <Arn>arn:aws:iam::111111111111:user/plain</Arn>
        <UserId>AIDAEXAMPLE2</UserId>
        <CreateDate>2024-01-01T00:00:00Z</CreateDate>
        <GroupList/>
        <Tags/>
      </member>
    </UserDetailList>
    <Marker>next&amp;page</Marker>
    <GroupDetailList/>
    <RoleDetailList/>
    <Policies/>
  </GetAccountAuthorizationDetailsResult>
  <ResponseMetadata><RequestId>r1</RequestId></ResponseMetadata>
</GetAccountAuthorizationDetailsResponse>`;

describe('lean reads match what the SDK and csv-parse produce', () => {
  let server: Server;
  let iam: IAMClient;
  let served = 0;

  beforeAll(async () => {
    server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        served++;
        // second page ends the listing
        const body =
          served % 2 === 1
            ? GAAD
            : GAAD.replace('<IsTruncated>true</IsTruncated>', '<IsTruncated>false</IsTruncated>');
        res.writeHead(200, { 'content-type': 'text/xml' });
        res.end(body);
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    iam = new IAMClient({
      region: 'us-east-1',
      endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'x' },
    });
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('parses a GetAccountAuthorizationDetails page like the SDK does (the fields detection reads)', async () => {
    const sdk = await iam.send(new GetAccountAuthorizationDetailsCommand({ Filter: ['User'] }));
    const lean = parseAuthorizationDetailsPage(GAAD);
    expect(lean.isTruncated).toBe(true);
    expect(lean.marker).toBe(sdk.Marker);
    const pick = (u: {
      UserName?: string;
      Arn?: string;
      Tags?: unknown[];
      GroupList?: string[];
      AttachedManagedPolicies?: { PolicyArn?: string }[];
      UserPolicyList?: { PolicyName?: string }[];
    }) => ({
      UserName: u.UserName,
      Arn: u.Arn,
      Tags: u.Tags ?? [],
      GroupList: u.GroupList ?? [],
      AttachedManagedPolicies: (u.AttachedManagedPolicies ?? []).map((p) => p.PolicyArn),
      UserPolicyList: (u.UserPolicyList ?? []).map((p) => p.PolicyName),
    });
    expect(lean.users.map(pick)).toEqual((sdk.UserDetailList ?? []).map(pick));
    expect(lean.users[0]?.Tags).toEqual([
      { Key: 'Department', Value: 'R&D <core>' },
      { Key: 'Email', Value: "o'brien@example.com" },
    ]);
  });

  it('keeps only names and tags when the full detail is not needed', () => {
    const lean = parseAuthorizationDetailsPage(GAAD, false);
    expect(lean.users[0]).toEqual({
      UserName: 'o,brien',
      Arn: 'arn:aws:iam::111111111111:user/o,brien',
      Tags: [
        { Key: 'Department', Value: 'R&D <core>' },
        { Key: 'Email', Value: "o'brien@example.com" },
      ],
    });
  });

  it('gives the same page whatever pieces it arrives in (every split point, and one character at a time)', () => {
    for (const full of [true, false]) {
      const whole = parseAuthorizationDetailsPage(GAAD, full);
      for (let at = 0; at <= GAAD.length; at++) {
        const p = new AuthorizationDetailsParser(full);
        p.feed(GAAD.slice(0, at));
        p.feed(GAAD.slice(at));
        expect(p.end(), `split at ${at}`).toEqual(whole);
      }
      const p = new AuthorizationDetailsParser(full);
      for (const ch of GAAD) p.feed(ch);
      expect(p.end()).toEqual(whole);
    }
  });

  it('reads a body the server sends in small chunks, a multi-byte character split between two', async () => {
    const body = GAAD.replace("o'brien@example.com", 'zoë@example.com').replace(
      '<IsTruncated>true</IsTruncated>',
      '<IsTruncated>false</IsTruncated>',
    );
    const bytes = Buffer.from(body, 'utf8');
    const chunked = createServer((req, res) => {
      req.resume();
      req.on('end', async () => {
        res.writeHead(200, { 'content-type': 'text/xml' });
        for (let i = 0; i < bytes.length; i += 7) {
          res.write(bytes.subarray(i, i + 7));
          await new Promise((r) => setImmediate(r));
        }
        res.end();
      });
    });
    await new Promise<void>((r) => chunked.listen(0, '127.0.0.1', r));
    const client = new IAMClient({
      region: 'us-east-1',
      endpoint: `http://127.0.0.1:${(chunked.address() as AddressInfo).port}`,
      credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'x' },
    });
    try {
      const pages: unknown[][] = [];
      await forEachUserPage(client, (page) => pages.push(page), undefined, true);
      expect(pages).toEqual([parseAuthorizationDetailsPage(body).users]);
      expect(JSON.stringify(pages)).toContain('zoë@example.com');
    } finally {
      client.destroy();
      await new Promise<void>((r) => chunked.close(() => r()));
    }
  });

  it('goes through the real SDK stack: the lean middleware captures the body and follows Marker', async () => {
    served = 0;
    const names: string[] = [];
    const stats = { calls: 0 };
    await forEachUserPage(iam, (page) => names.push(...page.map((u) => u.UserName ?? '')), stats);
    expect(stats.calls).toBe(2);
    expect(names).toEqual(['o,brien', 'plain', 'o,brien', 'plain']);
  });

  it('splits a plain credential report exactly as csv-parse reads it, and falls back to csv-parse on quotes', () => {
    const header =
      'user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,password_next_rotation,mfa_active,access_key_1_active,access_key_1_last_rotated,access_key_1_last_used_date,access_key_1_last_used_region,access_key_1_last_used_service,access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,access_key_2_last_used_region,access_key_2_last_used_service,cert_1_active,cert_1_last_rotated,cert_2_active,cert_2_last_rotated';
    const line = (u: string) =>
      `${u},arn:aws:iam::1:user/${u.replaceAll('"', '')},2024-01-01T00:00:00+00:00,true,N/A,N/A,N/A,false,true,2024-02-01T00:00:00+00:00,no_information,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A`;
    const plain = `${header}\r\n${line('<root_account>')}\r\n${line('alice')}\r\n\r\n`;
    const viaCsvParse = (
      parse(plain, { columns: true, skip_empty_lines: true, trim: true }) as Record<string, string>[]
    ).map((r) => ({
      user: r.user,
      arn: r.arn,
      access_key_1_last_used_date: r.access_key_1_last_used_date,
      mfa_active: r.mfa_active,
    }));
    const fast = parseCredentialReport(plain).map((r) => ({
      user: r.user,
      arn: r.arn,
      access_key_1_last_used_date: r.access_key_1_last_used_date,
      mfa_active: r.mfa_active,
    }));
    expect(fast).toEqual(viaCsvParse);

    const quoted = `${header}\n${line('"o,brien"')}\n`;
    expect(parseCredentialReport(quoted).map((r) => r.user)).toEqual(['o,brien']);
  });

  it('names the missing column of a report that is not a credential report', () => {
    expect(() => parseCredentialReport('user,arn\nalice,x\n')).toThrow(/user_creation_time/);
  });
});
