import type { WebClient } from '@slack/web-api';
import type { Config } from '../config.js';
import type { Clock } from '../core/index.js';
import { errorMessage } from '../errors.js';
import type { Logger } from '../logger.js';
import { usergroupMembers } from './users.js';

export type Role = 'admin' | 'approver' | 'requester';

/** User-group membership changes rarely; a minute of staleness saves a Slack call per click. */
export const USERGROUP_CACHE_MS = 60_000;

/**
 * Who may approve. config.slack.approvers / admins hold user ids (U…/W…) or user-group ids (S…); groups
 * are expanded with usergroups.users.list and cached briefly per app instance. Admins may approve
 * everything an approver may.
 */
export class Roles {
  private readonly cache = new Map<string, { members: Set<string>; until: number }>();

  constructor(
    private readonly config: Config,
    private readonly client: WebClient,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {}

  private async members(group: string): Promise<Set<string>> {
    const now = this.clock.now().getTime();
    const hit = this.cache.get(group);
    if (hit && hit.until > now) return hit.members;
    try {
      const members = new Set(await usergroupMembers(this.client, group));
      this.cache.set(group, { members, until: now + USERGROUP_CACHE_MS });
      return members;
    } catch (err) {
      // Fail closed: an unreadable group grants nobody.
      this.logger.warn({ group, err: errorMessage(err) }, 'cannot expand user group');
      return new Set();
    }
  }

  private async inList(list: readonly string[], userId: string): Promise<boolean> {
    if (list.includes(userId)) return true;
    for (const id of list) {
      if (id.startsWith('S') && (await this.members(id)).has(userId)) return true;
    }
    return false;
  }

  isAdmin(userId: string): Promise<boolean> {
    return this.inList(this.config.slack.admins, userId);
  }

  async isApprover(userId: string): Promise<boolean> {
    return (await this.inList(this.config.slack.approvers, userId)) || this.isAdmin(userId);
  }

  /** Every admin as a user id, user groups expanded: who a break-glass broadcast goes to. */
  async adminIds(): Promise<string[]> {
    const out = new Set<string>();
    for (const id of this.config.slack.admins) {
      if (!id.startsWith('S')) out.add(id);
      else for (const u of await this.members(id)) out.add(u);
    }
    return [...out];
  }

  async role(userId: string): Promise<Role> {
    if (await this.isAdmin(userId)) return 'admin';
    if (await this.inList(this.config.slack.approvers, userId)) return 'approver';
    return 'requester';
  }
}
