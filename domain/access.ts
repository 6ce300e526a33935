/**
 * Who may use an account, as the product names it: roles from the most to the least powerful, and the
 * plans an account can be on. Pure: the API, the services and the web UI's types read these lists.
 */

/** From the most to the least powerful: each role may do at least what every role after it may. */
export const ROLES = ['administrator', 'manager', 'editor', 'read-only'] as const;
export type Role = (typeof ROLES)[number];

/** Whether `role` is no more than `ceiling`. */
export function roleWithin(role: Role, ceiling: Role): boolean {
  return ROLES.indexOf(role) >= ROLES.indexOf(ceiling);
}

export const PLANS = ['basic', 'select', 'enterprise'] as const;
export type Plan = (typeof PLANS)[number];
