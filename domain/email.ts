/**
 * The one form of an email that identifies a user: the login throttles' keys and the database lookup both
 * use it, so no spelling of an address (case, compatibility characters, `İ` for `i`) counts apart from
 * another that finds the same user. Stored in `users.email_normalized` and compared exactly, never
 * through SQL's lower(), which follows the database's locale.
 */
export function normalizeEmail(email: string): string {
  return email.normalize('NFKC').toLowerCase().normalize('NFKC').trim();
}
