import { NodeSDK } from '@opentelemetry/sdk-node';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { GraphQLInstrumentation } from '@opentelemetry/instrumentation-graphql';
import type { Config } from './config';

export interface Tracing {
  /** Exports the spans still buffered, then stops. */
  shutdown(): Promise<void>;
}

/**
 * OpenTelemetry tracing over OTLP/HTTP (README "Tracing"). Loaded by main.ts only when
 * OTEL_EXPORTER_OTLP_ENDPOINT is set, and before anything loads node:http or graphql: the
 * instrumentations patch those modules as they are loaded, so a module loaded earlier would
 * never be traced. With tracing off, nothing of OpenTelemetry is loaded at all.
 */
export function startTracing(tracing: NonNullable<Config['tracing']>): Tracing {
  const sdk = new NodeSDK({
    serviceName: tracing.serviceName,
    // The generic endpoint gets the signal's path appended (OpenTelemetry OTLP exporter spec).
    traceExporter: new OTLPTraceExporter({ url: `${tracing.endpoint}/v1/traces` }),
    instrumentations: [
      // Headers are not recorded by default; the URL attribute is the path and query of the request.
      new HttpInstrumentation({ ignoreIncomingRequestHook: (req) => req.url === '/healthz' || req.url === '/readyz' }),
      // allowValues: false (the default) replaces literal arguments, where passwords and tokens
      // would be, by "*" in the recorded document; resolver spans of plain properties are skipped.
      new GraphQLInstrumentation({ allowValues: false, ignoreTrivialResolveSpans: true, mergeItems: true }),
    ],
  });
  sdk.start();
  return { shutdown: () => sdk.shutdown() };
}
