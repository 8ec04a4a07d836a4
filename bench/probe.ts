import { monitorEventLoopDelay } from 'node:perf_hooks';

/**
 * Preloaded (--require) into a server under test: measures event-loop delay and resident
 * memory inside that process and answers the benchmark over the IPC channel.
 */
const histogram = monitorEventLoopDelay({ resolution: 10 });
let maxRss = 0;
const sampler = setInterval(() => {
  maxRss = Math.max(maxRss, process.memoryUsage().rss);
}, 100);
sampler.unref();

process.on('message', (message: unknown) => {
  if (message === 'probe:start') {
    histogram.reset();
    histogram.enable();
    maxRss = process.memoryUsage().rss;
    process.send?.({ type: 'probe:started' });
  } else if (message === 'probe:report') {
    histogram.disable();
    process.send?.({
      type: 'probe:report',
      eventLoopDelayP99Ms: histogram.percentile(99) / 1e6,
      eventLoopDelayMaxMs: histogram.max / 1e6,
      maxRssBytes: Math.max(maxRss, process.memoryUsage().rss),
    });
  }
});
