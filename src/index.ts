export { createApp, type App, type AppDeps } from './app';
export { loadConfig, type Config, ConfigError } from './config';
export { ErrorCode } from './errors';
