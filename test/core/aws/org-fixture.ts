import {
  CloseAccountCommand,
  CreateAccountCommand,
  CreateOrganizationalUnitCommand,
  CreateOrganizationCommand,
  ListRootsCommand,
  MoveAccountCommand,
} from '@aws-sdk/client-organizations';
import type { OrganizationConfig } from '../../../src/core/aws/organization.js';
import type { Moto } from '../../helpers/moto.js';

export interface OrgFixture {
  root: string;
  /** OU "prod" under the root, and "inner" under "prod". */
  prodOu: string;
  innerOu: string;
  /** Account ids by name: dev (in prod), deep (in prod/inner), staging (root), skip (root), gone (closed). */
  ids: { dev: string; deep: string; staging: string; skip: string; gone: string };
}

/**
 * A moto organization whose management account is moto's default account (the bot's home): dev in OU prod,
 * deep in the nested OU prod/inner, staging and skip in the root, gone closed (SUSPENDED).
 */
export async function createOrg(moto: Moto): Promise<OrgFixture> {
  const o = moto.organizations();
  await o.send(new CreateOrganizationCommand({ FeatureSet: 'ALL' }));
  const root = (await o.send(new ListRootsCommand({}))).Roots?.[0]?.Id as string;
  const ou = async (parent: string, name: string) =>
    (await o.send(new CreateOrganizationalUnitCommand({ ParentId: parent, Name: name }))).OrganizationalUnit
      ?.Id as string;
  const account = async (name: string) =>
    (await o.send(new CreateAccountCommand({ AccountName: name, Email: `${name}@example.com` })))
      .CreateAccountStatus?.AccountId as string;
  const prodOu = await ou(root, 'prod');
  const innerOu = await ou(prodOu, 'inner');
  const ids = {
    dev: await account('dev'),
    deep: await account('deep'),
    staging: await account('staging'),
    skip: await account('skip'),
    gone: await account('gone'),
  };
  const move = (id: string, to: string) =>
    o.send(new MoveAccountCommand({ AccountId: id, SourceParentId: root, DestinationParentId: to }));
  await move(ids.dev, prodOu);
  await move(ids.deep, innerOu);
  await o.send(new CloseAccountCommand({ AccountId: ids.gone }));
  o.destroy();
  return { root, prodOu, innerOu, ids };
}

export function orgConfig(over: Partial<OrganizationConfig> = {}): OrganizationConfig {
  return {
    role_name: 'aws-user-member',
    external_id: 'org-ext-1',
    region: 'eu-west-1',
    include_ous: [],
    exclude_accounts: [],
    refresh_minutes: 60,
    ...over,
  };
}
