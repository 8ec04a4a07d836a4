import { monitorEventLoopDelay, PerformanceObserver, type PerformanceEntry } from 'node:perf_hooks';

/**
 * Preloaded (--require) into a server under test: measures event-loop delay and resident
 * memory inside that process and answers the benchmark over the IPC channel.
 */
const histogram = monitorEventLoopDelay({ resolution: 10 });
let maxRss = 0;
/** What the process held when its RSS peaked: tells the JavaScript heap from native memory. */
let atMax: NodeJS.MemoryUsage | undefined;
const sample = () => {
  const usage = process.memoryUsage();
  if (usage.rss >= maxRss) {
    maxRss = usage.rss;
    atMax = usage;
  }
};
const sampler = setInterval(sample, 100);
sampler.unref();
/** Time spent in garbage collection pauses since probe:start, by kind (young generation or full). */
const noCollections = () => ({ count: 0, ms: 0, youngMs: 0, fullMs: 0 });
let gc = noCollections();
const gcObserver = new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    gc.count++;
    gc.ms += entry.duration;
    // NODE_PERFORMANCE_GC_MINOR = 1, MAJOR = 4 (perf_hooks constants)
    const kind = ((entry as PerformanceEntry & { detail?: { kind?: number } }).detail)?.kind;
    if (kind === 1) gc.youngMs += entry.duration;
    else if (kind === 4) gc.fullMs += entry.duration;
  }
});
gcObserver.observe({ entryTypes: ['gc'] });

process.on('message', (message: unknown) => {
  if (message === 'probe:start') {
    histogram.reset();
    histogram.enable();
    maxRss = 0;
    sample();
    gc = noCollections();
    process.send?.({ type: 'probe:started' });
  } else if (message === 'probe:report') {
    histogram.disable();
    sample();
    process.send?.({
      type: 'probe:report',
      eventLoopDelayP99Ms: histogram.percentile(99) / 1e6,
      eventLoopDelayMaxMs: histogram.max / 1e6,
      maxRssBytes: maxRss,
      memoryAtMaxRss: atMax,
      gc,
    });
  }
});
