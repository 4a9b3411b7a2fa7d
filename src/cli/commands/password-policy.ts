import { applyPasswordPolicy } from '../../core/password.js';
import type { RegisterCliCommand } from '../index.js';
import { accountId, cliActor, context, emit, formatPlan, mutating } from './shared.js';

export const passwordPolicyCommand: RegisterCliCommand = (program, env) => {
  const group = program.command('password-policy').description('the account password policy');
  mutating(group.command('apply').description('apply password_policy from the config to the account')).action(
    async (o: { account?: string; dryRun?: boolean }) => {
      const ctx = await context(env);
      const r = await applyPasswordPolicy(ctx, { account: accountId(ctx, o.account) }, cliActor(env), {
        dryRun: Boolean(o.dryRun),
      });
      const status = !r.changed ? 'unchanged' : o.dryRun ? 'dry-run' : 'applied';
      emit(env, { ok: true, status, plan: r.plan }, () => [
        `password policy ${status}`,
        ...formatPlan(r.plan),
      ]);
    },
  );
};
