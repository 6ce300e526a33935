/**
 * Who may do what, in one table: every route names the action it needs; roles map to actions here.
 * Integration and Sync Settings changes and "Sync now" are for administrators and managers only (R9), and
 * so is adopting existing records (previewing and confirming their first push).
 */
import type { Role } from '../domain/access';

export const ACTIONS = [
  'records:read',
  'records:write',
  'records:import',
  'records:adopt',
  'integration:read',
  'integration:write',
  'sync:trigger',
  'problems:retry',
  'notifications:read',
  'notifications:manage',
  'api-keys:manage',
  'users:manage',
] as const;
export type Action = (typeof ACTIONS)[number];

export const PERMISSIONS: Record<Role, readonly Action[]> = {
  administrator: ACTIONS,
  // Notification channels hold signing secrets and addresses that may carry one: administrators only.
  // Managers read the delivery log.
  manager: [
    'records:read',
    'records:write',
    'records:import',
    'records:adopt',
    'integration:read',
    'integration:write',
    'sync:trigger',
    'problems:retry',
    'notifications:read',
    'api-keys:manage',
  ],
  editor: ['records:read', 'records:write', 'records:import', 'integration:read'],
  'read-only': ['records:read', 'integration:read'],
};

export function allowed(role: Role, action: Action): boolean {
  return PERMISSIONS[role].includes(action);
}
