// Screenshots of the Aspire dashboard, as a user would check it, while the demo job runs:
//   resources.png  the resources page: coordinator, worker-0..N-1 and demo, all running
//   metrics.png    worker-0's finetune.train.loss plotted (FineTune meter)
//   trace.png      the job's trace: job -> prepare (tokenize, shard) -> rank spans -> epoch -> step/allreduce, evaluation, checkpoint
// Usage: node dashboard.mjs [--dashboard http://localhost:18888] [--out DIR] [--trace-wait SECONDS (900; 0: the trace so far)]
// Needs Debian's chromium (apt-get install -y chromium) and `npm install` here (playwright-core).
import { chromium } from 'playwright-core';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

const arg = (name, fallback) => { const i = process.argv.indexOf(name); return i > 0 ? process.argv[i + 1] : fallback; };
const dashboard = arg('--dashboard', 'http://localhost:18888');
const out = arg('--out', 'screenshots');
const chromiumPath = arg('--chromium', '/usr/bin/chromium');
const traceWait = Number(arg('--trace-wait', '900'));
mkdirSync(out, { recursive: true });

const sleep = ms => new Promise(r => setTimeout(r, ms));
async function api(path) {
  const response = await fetch(dashboard + path);
  if (!response.ok) throw new Error(`${path}: HTTP ${response.status}`);
  return response.json();
}

// The job's trace id. Spans are exported when they end: "prepare" as soon as the job is prepared, "job" (the root)
// when it finishes; wait up to --trace-wait seconds for the whole tree, else show the trace as it is so far.
async function jobTraceId(waitSeconds) {
  let partial = null;
  for (let i = 0; i <= waitSeconds; i += 2) {
    const spans = await api('/api/telemetry/spans?limit=5000');
    for (const rs of spans.data?.resourceSpans ?? [])
      for (const ss of rs.scopeSpans ?? [])
        for (const s of ss.spans ?? []) {
          if (s.name === 'job') return s.traceId;
          if (s.name === 'prepare') partial = s.traceId;
        }
    if (partial && waitSeconds === 0) return partial;
    await sleep(2000);
  }
  if (partial) return partial;
  throw new Error('no job trace: is a job running?');
}

const browser = await chromium.launch({
  executablePath: chromiumPath,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
         '--disable-component-update', '--disable-sync'],
});
try {
  const page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });

  await page.goto(dashboard + '/', { waitUntil: 'networkidle' });
  await page.getByText('worker-1').first().waitFor({ timeout: 60_000 });
  await sleep(3000); // Blazor fills the rows' state and endpoints after the first render
  await page.screenshot({ path: join(out, 'resources.png') });
  console.log('resources.png');

  const metrics = `${dashboard}/metrics/resource/worker-0?meter=FineTune&instrument=finetune.train.loss&duration=5&view=Graph`;
  await page.goto(metrics, { waitUntil: 'networkidle' });
  await page.getByText('finetune.train.loss').first().waitFor({ timeout: 60_000 });
  await sleep(8000); // a few export intervals, so the plot has points
  await page.screenshot({ path: join(out, 'metrics.png') });
  console.log('metrics.png');

  const traceId = await jobTraceId(traceWait);
  await page.goto(`${dashboard}/traces/detail/${traceId}`, { waitUntil: 'networkidle' });
  await page.getByText('prepare').first().waitFor({ timeout: 60_000 });
  await sleep(3000);
  await page.screenshot({ path: join(out, 'trace.png'), fullPage: true });
  console.log(`trace.png (trace ${traceId})`);
} finally {
  await browser.close();
}
