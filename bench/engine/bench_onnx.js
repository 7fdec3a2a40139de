// ONNX Runtime's TreeEnsemble on one model, for bench/engine/run.py.
//   NODE_PATH=.../node_modules node bench_onnx.js DIR NAME [ROUNDS] [SECONDS]
// Reads DIR/NAME.onnx (xgb_to_onnx.py), NAME.rows.f32 and NAME.value.f32 (make_models.py).
// Checks every row against XGBoost's values (reports the largest difference and how many
// exceed the project's tolerances), then prints one JSON line per round: batch rows/s on one
// intra-op thread (all rows in one run) and ns per single-row run.
'use strict';
const fs = require('fs');
const path = require('path');
const ort = require('onnxruntime-node');

// Single-thread figures on CPU time (the default, robust on a shared machine; the process's,
// which with one intra-op thread is the scoring thread's) or wall time: BENCH_CLOCK=wall.
const cpuClock = process.env.BENCH_CLOCK !== 'wall';
function clock() {
  if (!cpuClock) return Number(process.hrtime.bigint()) / 1e9;
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

function floats(file) {
  const b = fs.readFileSync(file);
  return new Float32Array(b.buffer, b.byteOffset, b.length / 4);
}

async function main() {
  const [dir, name] = process.argv.slice(2, 4);
  const rounds = Number(process.argv[4] || 1);
  const seconds = Number(process.argv[5] || 0.3);
  const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json')))[name];
  const nf = manifest.num_features, n = manifest.num_rows, width = manifest.value_width;
  const rows = floats(path.join(dir, `${name}.rows.f32`));
  const want = floats(path.join(dir, `${name}.value.f32`));
  const session = await ort.InferenceSession.create(path.join(dir, `${name}.onnx`), {
    intraOpNumThreads: 1, interOpNumThreads: 1, executionMode: 'sequential',
    graphOptimizationLevel: 'all',
  });
  const batch = new ort.Tensor('float32', rows, [n, nf]);
  const got = (await session.run({ input: batch })).value.data;
  let worst = 0, bad = 0;
  for (let i = 0; i < n * width; i++) {
    const diff = Math.abs(got[i] - want[i]);
    worst = Math.max(worst, diff);
    if (manifest.probability ? diff > 1e-6 : diff > 1e-5 * Math.abs(want[i])) bad++;
  }
  console.log(JSON.stringify({ check: 'onnxruntime', max_abs_diff: worst, outside_tolerance: bad,
                               version: require('onnxruntime-node/package.json').version }));
  const singles = [];
  for (let r = 0; r < 4096 && r < n; r++)
    singles.push({ input: new ort.Tensor('float32', rows.subarray(r * nf, (r + 1) * nf), [1, nf]) });
  for (let round = 0; round < rounds; round++) {
    let start = clock(), calls = 0, elapsed;
    do {
      await session.run({ input: batch });
      calls++;
      elapsed = clock() - start;
    } while (elapsed < seconds);
    const batchRate = calls * n / elapsed;
    start = clock(); calls = 0;
    do {
      for (let k = 0; k < 100; k++, calls++) await session.run(singles[calls % singles.length]);
      elapsed = clock() - start;
    } while (elapsed < seconds);
    console.log(JSON.stringify({ round, onnxruntime_batch_1t: batchRate,
                                 onnxruntime_single_ns: elapsed * 1e9 / calls }));
  }
}

main().catch((e) => { console.error(e); process.exit(1); });
