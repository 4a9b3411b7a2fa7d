import {
  AddUserToGroupCommand,
  AttachUserPolicyCommand,
  CreateAccessKeyCommand,
  CreateLoginProfileCommand,
  CreateUserCommand,
  DeactivateMFADeviceCommand,
  DeleteAccessKeyCommand,
  DeleteLoginProfileCommand,
  DeleteServiceSpecificCredentialCommand,
  DeleteSigningCertificateCommand,
  DeleteSSHPublicKeyCommand,
  DeleteUserCommand,
  DeleteUserPermissionsBoundaryCommand,
  DeleteUserPolicyCommand,
  DeleteVirtualMFADeviceCommand,
  DetachUserPolicyCommand,
  type IAMClient,
  PutUserPermissionsBoundaryCommand,
  PutUserPolicyCommand,
  RemoveUserFromGroupCommand,
  TagUserCommand,
  UntagUserCommand,
  UpdateAccessKeyCommand,
} from '@aws-sdk/client-iam';
import type { PlannedCall } from '../templates.js';

/**
 * Plans are data (shown by --dry-run, stored in results); this turns one planned call back into the SDK
 * command, so what runs is exactly what was shown. `secret` replaces a `<generated>` placeholder.
 */
const COMMANDS = {
  AddUserToGroup: AddUserToGroupCommand,
  AttachUserPolicy: AttachUserPolicyCommand,
  CreateAccessKey: CreateAccessKeyCommand,
  CreateLoginProfile: CreateLoginProfileCommand,
  CreateUser: CreateUserCommand,
  DeactivateMFADevice: DeactivateMFADeviceCommand,
  DeleteAccessKey: DeleteAccessKeyCommand,
  DeleteLoginProfile: DeleteLoginProfileCommand,
  DeleteServiceSpecificCredential: DeleteServiceSpecificCredentialCommand,
  DeleteSigningCertificate: DeleteSigningCertificateCommand,
  DeleteSSHPublicKey: DeleteSSHPublicKeyCommand,
  DeleteUser: DeleteUserCommand,
  DeleteUserPermissionsBoundary: DeleteUserPermissionsBoundaryCommand,
  DeleteUserPolicy: DeleteUserPolicyCommand,
  DeleteVirtualMFADevice: DeleteVirtualMFADeviceCommand,
  DetachUserPolicy: DetachUserPolicyCommand,
  PutUserPermissionsBoundary: PutUserPermissionsBoundaryCommand,
  PutUserPolicy: PutUserPolicyCommand,
  RemoveUserFromGroup: RemoveUserFromGroupCommand,
  TagUser: TagUserCommand,
  UntagUser: UntagUserCommand,
  UpdateAccessKey: UpdateAccessKeyCommand,
} as const;

export type PlannedAction = keyof typeof COMMANDS;

export async function runCall(iam: IAMClient, call: PlannedCall, secret?: string): Promise<unknown> {
  const Ctor = COMMANDS[call.action as PlannedAction] as unknown as
    | (new (
        input: Record<string, unknown>,
      ) => DeleteUserCommand)
    | undefined;
  if (!Ctor) throw new Error(`internal: no command for planned action ${call.action}`);
  const params = { ...call.params };
  if (secret !== undefined) {
    for (const [k, v] of Object.entries(params)) if (v === '<generated>') params[k] = secret;
  }
  return iam.send(new Ctor(params));
}

/** A short human label for a planned call: "AddUserToGroup Developers". */
export function describeCall(call: PlannedCall): string {
  const p = call.params;
  const what =
    p.GroupName ??
    p.PolicyArn ??
    p.PolicyName ??
    p.AccessKeyId ??
    p.SerialNumber ??
    p.SSHPublicKeyId ??
    p.CertificateId ??
    p.ServiceSpecificCredentialId ??
    p.PermissionsBoundary ??
    (Array.isArray(p.TagKeys) ? (p.TagKeys as string[]).join(',') : undefined) ??
    p.UserName;
  return `${call.action} ${String(what ?? '')}`.trim();
}
