import { DAY_MS } from '../core/index.js';
import type { Deps } from '../deps.js';
import { errorMessage } from '../errors.js';
import { appHomeView, type HomePending, type HomeUser } from '../views/app-home.js';
import { HOME_ITEMS_PER_CAMPAIGN, type HomeReview } from '../views/review.js';
import { homeTrend } from './trend.js';

/**
 * Gathers what App Home shows and publishes it. Each part degrades on its own: an IAM account that cannot
 * be read is named on the page, never silently missing, and the rest still renders.
 */
export async function publishHome(deps: Deps, user: string): Promise<void> {
  const now = deps.clock.now().getTime();
  const role = await deps.roles.role(user).catch(() => 'requester' as const);
  const failedAccounts: string[] = [];
  const users: HomeUser[] = [];
  try {
    const owned = await deps.core.usersOwnedBy(user);
    const details = await Promise.all(
      owned.map(async (u) => {
        try {
          const snap = await deps.core.describeUser(u.account, u.username);
          return {
            account: u.account,
            accountName: u.accountName,
            username: u.username,
            mfaEnabled: snap.mfaDevices.length > 0,
            keys: snap.accessKeys.map((k) => ({
              id: k.id,
              status: k.status,
              ageDays: k.createdAt ? Math.floor((now - new Date(k.createdAt).getTime()) / DAY_MS) : 0,
            })),
          } satisfies HomeUser;
        } catch (err) {
          failedAccounts.push(`${u.accountName}: ${errorMessage(err)}`);
          return undefined;
        }
      }),
    );
    for (const d of details) if (d) users.push(d);
  } catch (err) {
    failedAccounts.push(`IAM: ${errorMessage(err)}`);
  }
  const grants = await deps.store.grants.listActive({ ownerSlackId: user }).catch((err: unknown) => {
    failedAccounts.push(`grants: ${errorMessage(err)}`);
    return [];
  });
  let pending: HomePending[] | undefined;
  if (role !== 'requester') {
    const isAdmin = role === 'admin';
    const all = await deps.store.listPending().catch(() => []);
    pending = all
      .filter((r) => r.requester !== user && (!r.adminOnly || isAdmin))
      .map((r) => ({
        id: r.id,
        requester: r.requester,
        expiresAt: r.expiresAt,
        summary:
          r.kind === 'grant' && r.grant
            ? `temporary ${r.grant.kind} ${r.grant.target} for ${r.target.username}${r.grant.kind === 'permission-set' ? ` in ${r.account}` : ''}`
            : `${r.kind} ${r.target.username}${r.template ? ` (${r.template})` : ''}`,
      }));
  }
  const reviews = await myReviews(deps, user).catch((err: unknown) => {
    failedAccounts.push(`access reviews: ${errorMessage(err)}`);
    return [];
  });
  // Approvers and admins may review inactive users in every account (/aws-user inactive): they see the trend.
  const trend = role !== 'requester' ? await homeTrend(deps) : undefined;
  await deps.client.views.publish({
    user_id: user,
    view: appHomeView({
      role,
      usage: deps.commandUsage,
      users,
      grants,
      accountNames: Object.fromEntries(deps.core.accounts.list().map((a) => [a.id, a.name])),
      ...(pending ? { pending } : {}),
      ...(trend ? { trend } : {}),
      reviews,
      failedAccounts,
      maxKeyAgeDays: deps.config.keys.max_age_days,
    }),
  });
}

/** The caller's undecided review items per open campaign, with the first few of them (Home shows those). */
async function myReviews(deps: Deps, user: string): Promise<HomeReview[]> {
  const open = await deps.store.reviews.listCampaigns({ status: ['open'], limit: 20 });
  const mine = await Promise.all(
    open.map(async (c) => {
      const items = await deps.store.reviews.items(c.id, { reviewer: user, open: true });
      return {
        campaignId: c.id,
        name: c.name,
        dueAt: c.dueAt,
        open: items.length,
        thresholds: c.thresholds,
        items: items.slice(0, HOME_ITEMS_PER_CAMPAIGN),
      };
    }),
  );
  return mine.filter((c) => c.open > 0);
}
