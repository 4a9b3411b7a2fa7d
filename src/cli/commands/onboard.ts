import { createAccessKey } from '../../core/keys.js';
import { createUser } from '../../core/users/create.js';
import { describeUser } from '../../core/users/describe.js';
import type { RegisterCliCommand } from '../index.js';
import { EXIT_PARTIAL } from '../io.js';
import { type CreateOpts, createJson, createOptions, createText, toCreateInput } from './create-user.js';
import { enrollMfa } from './enable-mfa.js';
import { accountId, cliActor, context, emit } from './shared.js';

export const onboardCommand: RegisterCliCommand = (program, env) => {
  createOptions(
    program
      .command('onboard')
      .description('create-user, then optionally an access key and an interactive MFA enrollment')
      .option('--access-key', 'also create an access key (secret printed only with --show-secret)')
      .option('--show-secret', 'print the new secret access key once on stdout')
      .option('--mfa', 'also enroll a virtual MFA device now (interactive)'),
  ).action(async (o: CreateOpts & { accessKey?: boolean; showSecret?: boolean; mfa?: boolean }) => {
    const ctx = await context(env);
    const who = cliActor(env);
    const account = accountId(ctx, o.account);
    const r = await createUser(ctx, toCreateInput(ctx, o), who, { dryRun: Boolean(o.dryRun) });
    const lines = createText(r, o.showPassword);
    const json = createJson(r, o.showPassword);
    if (o.dryRun) {
      if (o.accessKey) r.plan.push({ action: 'CreateAccessKey', params: { UserName: o.username } });
      if (o.mfa)
        r.plan.push({ action: 'CreateVirtualMFADevice', params: { VirtualMFADeviceName: o.username } });
      emit(env, { ...json, plan: r.plan }, () => createText(r, false));
      return;
    }
    const existingKeys =
      o.accessKey && r.status === 'unchanged'
        ? (await describeUser(ctx, account, o.username, who)).accessKeys.length
        : 0;
    if (o.accessKey && existingKeys > 0) {
      // Re-running onboard (e.g. after a failed MFA step) must not mint a key per run.
      lines.push(
        `access key not created: ${o.username} already has ${existingKeys}; use rotate-keys for a new one`,
      );
      json.accessKeyId = null;
    } else if (o.accessKey) {
      const k = await createAccessKey(ctx, { account, username: o.username }, who);
      json.accessKeyId = k.accessKeyId;
      if (o.showSecret) json.secretAccessKey = k.secretAccessKey;
      lines.push(`access key ${k.accessKeyId} created`);
      lines.push(
        o.showSecret
          ? `secret access key (shown once): ${k.secretAccessKey}`
          : 'secret access key NOT shown (use --show-secret); it cannot be retrieved later',
      );
    }
    if (o.mfa) {
      const serial = await enrollMfa(env, ctx, who, account, o.username);
      json.mfaSerialNumber = serial ?? null;
      lines.push(
        serial ? `MFA enabled: ${serial}` : 'MFA NOT enabled: the codes did not match; run enable-mfa later',
      );
      if (!serial) env.setExit(EXIT_PARTIAL);
    }
    emit(env, json, () => lines);
  });
};
