#!/usr/bin/env node
// Time TensorFlow.js's pure-JS CPU backend on TF.js graph model folders, for bench_zoo.py.
//
// usage: node tfjs_zoo.js < JOBS   (one JSON job per line; one JSON result line per job)
//
// A job: {name, dir, input: RAW_FILE, dtype: 'float32'|'int32', shape: [...], warmup, repeat}.
// Jobs are read as they come, so the caller can time its own side of each model just before.
// Each model is loaded from disk through an in-memory IOHandler (tests/tfjs/model_files.js),
// run `warmup` times, then `repeat` timed runs of execute (executeAsync for graphs with
// control flow), each including reading every output back (dataSync). The result line is
// {name, ms: [...], async} or {name, error}.
// @tensorflow/tfjs is the version pinned in tests/tfjs (npm ci --prefix tests/tfjs).
'use strict';

const fs = require('fs');
const path = require('path');

const TESTS_TFJS = path.join(__dirname, '..', 'tests', 'tfjs');
const tf = require(path.join(TESTS_TFJS, 'node_modules', '@tensorflow', 'tfjs'));
const {readArtifacts} = require(path.join(TESTS_TFJS, 'model_files.js'));

function readInput(job) {
  const raw = fs.readFileSync(job.input);
  const bytes = raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength);
  const values = job.dtype === 'int32' ? new Int32Array(bytes) : new Float32Array(bytes);
  return tf.tensor(values, job.shape, job.dtype);
}

async function runOnce(model, x, useAsync) {
  let out = useAsync ? await model.executeAsync(x) : model.execute(x);
  if (!Array.isArray(out)) out = [out];
  for (const t of out) t.dataSync();
  tf.dispose(out);
}

async function timeModel(job) {
  const model = await tf.loadGraphModel({load: async () => readArtifacts(job.dir)});
  const x = readInput(job);
  let useAsync = false;
  try {
    await runOnce(model, x, false);
  } catch (err) {
    if (!/executeAsync/.test(String(err && err.message))) throw err;
    useAsync = true;
    await runOnce(model, x, true);
  }
  for (let i = 1; i < job.warmup; i++) await runOnce(model, x, useAsync);
  const ms = [];
  for (let i = 0; i < job.repeat; i++) {
    const start = process.hrtime.bigint();
    await runOnce(model, x, useAsync);
    ms.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  x.dispose();
  model.dispose();
  return {name: job.name, ms, async: useAsync};
}

async function main() {
  if (process.argv.length > 2) {
    console.error('usage: node tfjs_zoo.js < JOBS   (see the comment at the top of this file)');
    process.exit(process.argv[2] === '--help' || process.argv[2] === '-h' ? 0 : 2);
  }
  await tf.setBackend('cpu');
  await tf.ready();
  const lines = require('readline').createInterface({input: process.stdin});
  for await (const line of lines) {
    if (!line.trim()) continue;
    const job = JSON.parse(line);
    let result;
    try {
      result = await timeModel(job);
    } catch (err) {
      result = {name: job.name, error: String(err && err.message || err).split('\n')[0]};
    }
    process.stdout.write(JSON.stringify(result) + '\n');
  }
}

main().catch(err => {
  console.error(String(err && err.message || err));
  process.exit(1);
});
