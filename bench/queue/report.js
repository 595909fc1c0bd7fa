#!/usr/bin/env node
'use strict';

// Turns the JSON lines that bench/queue/run.sh collected into the Markdown report:
//   node report.js OUT_DIR
// OUT_DIR holds <mode>-<system>.json (one JSON line each), <mode>-<system>.load (the 1-min
// load average just before that run) and env.txt (key=value lines about the machine).

const fs = require('node:fs');
const path = require('node:path');

const dir = process.argv[2];
if (!dir) {
  console.error('usage: node report.js OUT_DIR');
  process.exit(2);
}

const GOAL_PG_JOBS_PER_SEC = 20000;
const GOAL_PG_VS_BULLMQ = 1.5;
const GOAL_SQLITE_JOBS_PER_SEC = 10000;
const GOAL_P99_MS = 1000;

function readText(name) {
  try {
    return fs.readFileSync(path.join(dir, name), 'utf8');
  } catch {
    return null;
  }
}

function result(mode, system) {
  const text = readText(`${mode}-${system}.json`);
  if (!text || !text.trim()) return null;
  try {
    return JSON.parse(text.trim().split('\n').pop());
  } catch {
    return null;
  }
}

const env = Object.fromEntries(
  (readText('env.txt') || '')
    .split('\n')
    .filter((l) => l.includes('='))
    .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
);

const num = (x, digits = 0) =>
  x === undefined || x === null || Number.isNaN(x)
    ? '–'
    : x.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const ratio = (a, b) => (a > 0 && b > 0 ? `${(a / b).toFixed(2)}×` : '–');
const yes = (ok) => (ok === null ? 'n/a' : ok ? 'yes' : '**no**');

const SYSTEMS = [
  ['sellcast-sqlite', 'Sellcast · SQLite'],
  ['sellcast-postgres', 'Sellcast · PostgreSQL'],
  ['bullmq', 'BullMQ · Redis'],
];
const r = {};
for (const mode of ['throughput', 'precision']) {
  r[mode] = {};
  for (const [system] of SYSTEMS) r[mode][system] = result(mode, system);
}
const load = (mode, system) => (readText(`${mode}-${system}.load`) || '').trim() || '–';

const out = [];
out.push(`Run of ${env.date || '?'} at commit ${env.commit || '?'}, on ${env.cpu || '?'}, ${env.memory || '?'}.`);
out.push(
  `${env.rustc || 'rustc ?'}; PostgreSQL ${env.postgres || '?'} (${env.postgres_settings || '?'}); ` +
    `Redis ${env.redis || '?'}; Node ${env.node || '?'}, BullMQ ${env.bullmq || '?'}.`,
);
out.push('');
out.push(
  '| System | Mode | Jobs | Concurrency | Enqueue (s) | Process (s) | Jobs/s | T → last completion (ms) | ' +
    'Lateness p50 (ms) | p99 (ms) | max (ms) | Sellcast/BullMQ | Load before |',
);
out.push('|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|');
const notes = [];
for (const mode of ['throughput', 'precision']) {
  const bull = r[mode].bullmq;
  for (const [system, label] of SYSTEMS) {
    const x = r[mode][system];
    if (!x) {
      out.push(`| ${label} | ${mode} | – | – | – | – | – | – | – | – | – | – | ${load(mode, system)} |`);
      notes.push(`${label} ${mode}: **failed** (see ${mode}-${system}.log in the results folder).`);
      continue;
    }
    let cmp = '–';
    if (system !== 'bullmq' && bull) {
      cmp =
        mode === 'throughput'
          ? ratio(x.jobs_per_sec, bull.jobs_per_sec)
          : ratio(x.lateness_ms.p99, bull.lateness_ms.p99);
    }
    if (mode === 'throughput') {
      out.push(
        `| ${label} | throughput | ${num(x.jobs)} | ${x.concurrency} | ${num(x.enqueue_secs, 2)} | ` +
          `${num(x.process_secs, 2)} | **${num(x.jobs_per_sec)}** | | | | | ${cmp} | ${load(mode, system)} |`,
      );
    } else {
      const l = x.lateness_ms;
      out.push(
        `| ${label} | precision | ${num(x.jobs)} | ${x.concurrency} | ${num(x.enqueue_secs, 2)} | | | ` +
          `${num(x.last_done_after_t_ms)} | ${num(l.p50)} | **${num(l.p99)}** | ${num(l.max)} | ${cmp} | ` +
          `${load(mode, system)} |`,
      );
      if (x.enqueue_secs * 1000 >= x.delay_ms) {
        notes.push(`${label} precision: enqueueing took longer than the ${x.delay_ms} ms delay, so its lateness includes enqueueing.`);
      }
    }
  }
}
out.push('');
out.push(
  'Sellcast/BullMQ: throughput = Sellcast jobs/s ÷ BullMQ jobs/s (above 1 is faster); precision = Sellcast p99 ' +
    'lateness ÷ BullMQ p99 lateness (below 1 is more punctual). Lateness = handler start − T, where all jobs are due at T. ' +
    'Load before = 1-minute load average just before the run (the machine is shared).',
);
for (const n of notes) out.push(`\n> ${n}`);

const pgT = r.throughput['sellcast-postgres'];
const sqT = r.throughput['sellcast-sqlite'];
const bullT = r.throughput.bullmq;
const sqP = r.precision['sellcast-sqlite'];
const pgP = r.precision['sellcast-postgres'];
const goals = [
  [
    `PostgreSQL throughput ≥ ${num(GOAL_PG_JOBS_PER_SEC)} jobs/s`,
    pgT ? `${num(pgT.jobs_per_sec)} jobs/s` : 'failed',
    pgT ? pgT.jobs_per_sec >= GOAL_PG_JOBS_PER_SEC : false,
  ],
  [
    `PostgreSQL throughput ≥ ${GOAL_PG_VS_BULLMQ}× BullMQ`,
    pgT && bullT ? `${ratio(pgT.jobs_per_sec, bullT.jobs_per_sec)} (${num(bullT.jobs_per_sec)} jobs/s for BullMQ)` : 'failed',
    pgT && bullT ? pgT.jobs_per_sec >= GOAL_PG_VS_BULLMQ * bullT.jobs_per_sec : false,
  ],
  [
    `SQLite throughput ≥ ${num(GOAL_SQLITE_JOBS_PER_SEC)} jobs/s`,
    sqT ? `${num(sqT.jobs_per_sec)} jobs/s` : 'failed',
    sqT ? sqT.jobs_per_sec >= GOAL_SQLITE_JOBS_PER_SEC : false,
  ],
  ...[
    ['SQLite', sqP],
    ['PostgreSQL', pgP],
  ].map(([name, x]) => [
    `${name}: ${num(x ? x.jobs : 10000)} jobs due at T all started within 1 s (p99 lateness ≤ ${num(GOAL_P99_MS)} ms)`,
    x ? `p99 ${num(x.lateness_ms.p99)} ms, max ${num(x.lateness_ms.max)} ms` : 'failed',
    x ? x.lateness_ms.p99 <= GOAL_P99_MS : false,
  ]),
];
out.push('');
out.push('| Goal | Measured | Met |');
out.push('|---|---|---|');
for (const [goal, measured, ok] of goals) out.push(`| ${goal} | ${measured} | ${yes(ok)} |`);

process.stdout.write(out.join('\n') + '\n');
