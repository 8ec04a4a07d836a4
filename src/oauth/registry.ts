import type { Clock } from '../clock';
import type { Config } from '../config';
import { createGithubProvider } from './github';
import { createOidcProvider } from './oidc';
import type { OAuthProvider } from './provider';

/** The providers of OAUTH_PROVIDERS, in the order configured. Nothing is fetched until first use. */
export function createProviderRegistry(config: Pick<Config, 'oauth'>, clock: Clock): ReadonlyMap<string, OAuthProvider> {
  const providers = new Map<string, OAuthProvider>();
  for (const settings of config.oauth.providers) {
    providers.set(settings.id, settings.kind === 'github' ? createGithubProvider(settings) : createOidcProvider(settings, clock));
  }
  return providers;
}
