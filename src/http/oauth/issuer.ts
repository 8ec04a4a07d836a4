import type { Config } from '../../config';

/**
 * The issuer the OAuth endpoints speak for: JWT_ISSUER when it is an absolute URL (https in
 * production; http allowed outside it, for local development and tests), without a trailing
 * slash. null otherwise (the default `keycard`): then /oauth/* and the metadata answer 404 and
 * nothing else changes (contract.md, "OAuth endpoints"). RFC 8414 §2: an issuer has no query
 * or fragment.
 */
export function oauthIssuer(config: Pick<Config, 'jwtIssuer' | 'production'>): string | null {
  let url: URL;
  try {
    url = new URL(config.jwtIssuer);
  } catch {
    return null;
  }
  if (url.search !== '' || url.hash !== '' || url.username !== '' || url.password !== '') return null;
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && !config.production)) return null;
  return config.jwtIssuer.replace(/\/+$/, '');
}

/** The absolute URL of a path of ours under the issuer. */
export function endpointUrl(issuer: string, path: string): string {
  return issuer + path;
}
