// run_onnxruntime.js -- run an exported generator in onnxruntime-node (CPU).
//
//   node run_onnxruntime.js MODEL.onnx LATENT.f32 N,D [LABELS.i64|-] OUT.f32 [--bench=K]
//
// LATENT.f32: N*D little-endian floats (the graph's "latent" input, shape
// N,D; an image input: N,H,W,C); LABELS.i64: N little-endian int64 class
// labels for a conditional model ("-": none).  Writes the "image" (or
// "output") tensor to OUT.f32 as little-endian floats and prints its dims.
// --bench=K: then times K runs of the first sample alone (batch 1, after
// 10 warm-up runs) and prints the median and quartiles in milliseconds.
// Resolves onnxruntime-node through NODE_PATH (scripts/onnxruntime.sh).
'use strict';
const fs = require('fs');
const ort = require('onnxruntime-node');

function floats(path) {
  const b = fs.readFileSync(path);
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.length));
}

async function main() {
  const args = process.argv.slice(2).filter((a) => !a.startsWith('--'));
  const bench = process.argv.find((a) => a.startsWith('--bench='));
  if (args.length !== 5) {
    console.error('usage: run_onnxruntime.js MODEL LATENT N,D... LABELS|- OUT [--bench=K]');
    process.exit(2);
  }
  const [model, latentPath, shapeArg, labelsPath, out] = args;
  const shape = shapeArg.split(',').map(Number);
  const opts = {intraOpNumThreads: 1, interOpNumThreads: 1, graphOptimizationLevel: 'all'};
  const session = await ort.InferenceSession.create(model, opts);
  const inName = session.inputNames[0];
  const feeds = {};
  feeds[inName] = new ort.Tensor('float32', floats(latentPath), shape);
  let labels = null;
  if (labelsPath !== '-') {
    const b = fs.readFileSync(labelsPath);
    labels = new BigInt64Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.length));
    feeds.labels = new ort.Tensor('int64', labels, [shape[0]]);
  }
  const res = await session.run(feeds);
  const y = res[session.outputNames[0]];
  fs.writeFileSync(out, Buffer.from(y.data.buffer, y.data.byteOffset, y.data.byteLength));
  console.log(JSON.stringify({output: session.outputNames[0], dims: y.dims}));
  if (bench) {
    const k = Number(bench.slice(8));
    const per = shape.slice(1).reduce((a, b) => a * b, 1);
    const one = {};
    one[inName] = new ort.Tensor('float32', feeds[inName].data.slice(0, per), [1, ...shape.slice(1)]);
    if (labels) one.labels = new ort.Tensor('int64', labels.slice(0, 1), [1]);
    for (let i = 0; i < 10; i++) await session.run(one);
    const t = [];
    for (let i = 0; i < k; i++) {
      const t0 = process.hrtime.bigint();
      await session.run(one);
      t.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
    t.sort((a, b) => a - b);
    const q = (p) => t[Math.min(t.length - 1, Math.floor(p * t.length))];
    console.log(JSON.stringify({bench_runs: k, median_ms: q(0.5), q1_ms: q(0.25), q3_ms: q(0.75)}));
  }
}

main().catch((e) => {
  console.error(String(e && e.stack || e));
  process.exit(1);
});
