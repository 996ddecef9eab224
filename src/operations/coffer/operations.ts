/** Every operation of Coffer's admin API (CofferAdminService), by name: accounts (admin.ts) and the audit trail (admin-audit.ts). */
import { createAccount, listAccounts, type AdminOperation } from './admin.ts';
import { AUDIT_ADMIN_OPERATIONS } from './admin-audit.ts';

export const COFFER_ADMIN_OPERATIONS: ReadonlyMap<string, AdminOperation> = new Map([createAccount, listAccounts, ...AUDIT_ADMIN_OPERATIONS].map((op) => [op.name, op]));
