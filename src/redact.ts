/** Matches the user-info of a URL in free text: `scheme://user:password@`. */
const URL_CREDENTIALS = /\b([a-z][a-z0-9+.-]*:\/\/)([^\s:/?#@]*):([^\s/?#@]*)@/gi;

/**
 * Masks the password of every URL in `text` (`postgres://app:***@db`), so a connection string in an
 * error message or a check's name never reaches a log line or a probe body with its secret.
 */
export function maskUrlCredentials(text: string): string {
  return text.includes('@') ? text.replace(URL_CREDENTIALS, '$1$2:***@') : text;
}
