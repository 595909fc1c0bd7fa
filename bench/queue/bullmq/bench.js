#!/usr/bin/env node
'use strict';

// BullMQ reference side of the Sellcast job-queue benchmark.
//
//   node bench.js --jobs N --concurrency C --mode throughput|precision [--delay-ms D]
//
// Prints exactly one line of JSON with the results to stdout; every
// diagnostic goes to stderr. Redis location: REDIS_HOST / REDIS_PORT
// (default 127.0.0.1:6379).
//
// throughput: enqueue N no-op jobs with addBulk (batches of 1000), then
//   process them with one Worker at concurrency C; process_secs runs from
//   worker start until the N-th job has completed.
// precision: every job is due at T = now + D ms (delay = T - now computed
//   per batch; the batch's job timestamp is pinned to that same `now`, so
//   BullMQ's due time, timestamp + delay, is exactly T). The worker is
//   started right after enqueueing; lateness = processor start - T.

const { performance } = require('node:perf_hooks');
const { Queue, Worker } = require('bullmq');

const BATCH = 1000;

function log(...args) {
  console.error('[bench-bullmq]', ...args);
}

function usage(msg) {
  if (msg) console.error(`error: ${msg}`);
  console.error(
    'usage: node bench.js --jobs N --concurrency C --mode throughput|precision [--delay-ms D] [--timeout-secs S]',
  );
  process.exit(2);
}

function parseArgs(argv) {
  const out = {};
  for (let i = 0; i < argv.length; i++) {
    let a = argv[i];
    if (!a.startsWith('--')) usage(`unexpected argument ${a}`);
    a = a.slice(2);
    let val;
    const eq = a.indexOf('=');
    if (eq >= 0) {
      val = a.slice(eq + 1);
      a = a.slice(0, eq);
    } else {
      if (i + 1 >= argv.length) usage(`missing value for --${a}`);
      val = argv[++i];
    }
    out[a] = val;
  }
  const int = (name, def) => {
    if (out[name] === undefined) {
      if (def === undefined) usage(`--${name} is required`);
      return def;
    }
    const n = Number(out[name]);
    if (!Number.isInteger(n) || n < 0) usage(`--${name} must be a non-negative integer`);
    return n;
  };
  const known = new Set(['jobs', 'concurrency', 'mode', 'delay-ms', 'timeout-secs']);
  for (const k of Object.keys(out)) if (!known.has(k)) usage(`unknown option --${k}`);
  const mode = out.mode;
  if (mode !== 'throughput' && mode !== 'precision') usage('--mode must be throughput or precision');
  const opts = {
    mode,
    jobs: int('jobs'),
    concurrency: int('concurrency'),
    delayMs: int('delay-ms', 3000),
    timeoutSecs: int('timeout-secs', 900),
  };
  if (opts.jobs < 1) usage('--jobs must be >= 1');
  if (opts.concurrency < 1) usage('--concurrency must be >= 1');
  return opts;
}

// Wall clock in ms with sub-millisecond resolution.
const wallNow = () => performance.timeOrigin + performance.now();

const round = (x, digits) => {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
};

// Nearest-rank percentile over a sorted array.
function percentile(sorted, q) {
  const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[idx];
}

async function enqueue(queue, n, jobOptsForBatch) {
  const t0 = performance.now();
  for (let start = 0; start < n; start += BATCH) {
    const count = Math.min(BATCH, n - start);
    const opts = jobOptsForBatch();
    const batch = new Array(count);
    for (let i = 0; i < count; i++) batch[i] = { name: 'noop', data: {}, opts };
    await queue.addBulk(batch);
  }
  return (performance.now() - t0) / 1000;
}

// Resolves once `n` jobs have completed; rejects on the first failure.
function completionTracker(worker, n, onComplete) {
  let done = 0;
  return new Promise((resolve, reject) => {
    worker.on('completed', () => {
      done++;
      if (onComplete) onComplete(done);
      if (done === n) resolve();
    });
    worker.on('failed', (job, err) => {
      reject(new Error(`job ${job && job.id} failed: ${err && err.message}`));
    });
    worker.on('error', (err) => log('worker error:', err && err.message));
  });
}

function withTimeout(promise, secs, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${secs}s waiting for ${what}`)), secs * 1000);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const connection = {
    host: process.env.REDIS_HOST || '127.0.0.1',
    port: Number(process.env.REDIS_PORT || 6379),
  };
  const queueName = `sellcast-bench-${opts.mode}-${process.pid}-${Date.now()}`;
  const defaultJobOptions = { removeOnComplete: true, removeOnFail: 1000, attempts: 1 };
  const queue = new Queue(queueName, { connection, defaultJobOptions });
  queue.on('error', (err) => log('queue error:', err && err.message));
  let worker = null;
  let result;

  try {
    await queue.waitUntilReady();
    await queue.obliterate({ force: true });
    log(`bullmq ${require('bullmq/package.json').version}, queue ${queueName}, ` +
      `mode=${opts.mode} jobs=${opts.jobs} concurrency=${opts.concurrency}`);

    const workerOpts = { connection, concurrency: opts.concurrency, autorun: false };

    if (opts.mode === 'throughput') {
      const enqueueSecs = await enqueue(queue, opts.jobs, () => undefined);
      log(`enqueued ${opts.jobs} jobs in ${enqueueSecs.toFixed(3)}s`);

      worker = new Worker(queueName, async () => undefined, workerOpts);
      const finished = completionTracker(worker, opts.jobs);
      await worker.waitUntilReady();
      const t0 = performance.now();
      const running = worker.run();
      running.catch((err) => log('worker.run failed:', err && err.message));
      await withTimeout(finished, opts.timeoutSecs, `${opts.jobs} completions`);
      const processSecs = (performance.now() - t0) / 1000;

      result = {
        system: 'bullmq',
        mode: 'throughput',
        jobs: opts.jobs,
        concurrency: opts.concurrency,
        enqueue_secs: round(enqueueSecs, 4),
        process_secs: round(processSecs, 4),
        jobs_per_sec: round(opts.jobs / processSecs, 1),
      };
    } else {
      const T = Date.now() + opts.delayMs;
      let lateBatches = 0;
      const enqueueSecs = await enqueue(queue, opts.jobs, () => {
        const now = Date.now();
        const delay = T - now;
        if (delay <= 0) {
          lateBatches++;
          return { timestamp: now }; // already due: plain (non-delayed) job
        }
        return { timestamp: now, delay };
      });
      log(`enqueued ${opts.jobs} delayed jobs in ${enqueueSecs.toFixed(3)}s, ` +
        `${(T - Date.now()).toFixed(0)} ms before T`);
      if (lateBatches > 0) {
        log(`WARNING: ${lateBatches} batch(es) were enqueued after T; increase --delay-ms`);
      }

      const lateness = new Float64Array(opts.jobs);
      let started = 0;
      let lastDone = 0;
      worker = new Worker(
        queueName,
        async () => {
          if (started < lateness.length) lateness[started] = wallNow() - T;
          started++;
        },
        workerOpts,
      );
      const finished = completionTracker(worker, opts.jobs, () => {
        lastDone = wallNow();
      });
      const running = worker.run();
      running.catch((err) => log('worker.run failed:', err && err.message));
      await withTimeout(finished, opts.timeoutSecs + opts.delayMs / 1000, `${opts.jobs} completions`);
      if (started !== opts.jobs) log(`WARNING: processor ran ${started} times for ${opts.jobs} jobs`);

      const sorted = Array.from(lateness.subarray(0, Math.min(started, opts.jobs))).sort((a, b) => a - b);
      log(`lateness min ${sorted[0].toFixed(3)} ms, ${sorted.filter((x) => x < 0).length} job(s) started before T`);
      result = {
        system: 'bullmq',
        mode: 'precision',
        jobs: opts.jobs,
        concurrency: opts.concurrency,
        delay_ms: opts.delayMs,
        enqueue_secs: round(enqueueSecs, 4),
        last_done_after_t_ms: round(lastDone - T, 3),
        lateness_ms: {
          p50: round(percentile(sorted, 0.5), 3),
          p99: round(percentile(sorted, 0.99), 3),
          max: round(sorted[sorted.length - 1], 3),
        },
      };
    }
  } finally {
    try {
      if (worker) await worker.close();
    } catch (err) {
      log('worker.close failed:', err && err.message);
    }
    try {
      await queue.obliterate({ force: true });
    } catch (err) {
      log('obliterate failed:', err && err.message);
    }
    try {
      await queue.close();
    } catch (err) {
      log('queue.close failed:', err && err.message);
    }
  }

  process.stdout.write(JSON.stringify(result) + '\n');
}

main().then(
  () => {
    // Everything is closed; this only guards against a stray handle keeping us alive.
    setTimeout(() => {
      log('forcing exit (open handles left after cleanup)');
      process.exit(0);
    }, 5000).unref();
  },
  (err) => {
    log('FAILED:', err && err.stack ? err.stack : err);
    process.exitCode = 1;
    setTimeout(() => process.exit(1), 5000).unref();
  },
);
