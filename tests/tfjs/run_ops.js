#!/usr/bin/env node
// Run single graph ops through the real TensorFlow.js converter (CPU backend), for the Python
// tests to compare tfcache_nb's graph executors with.
//
// usage: node run_ops.js CASES.json   (writes a JSON list of results to stdout)
//
// CASES.json is a list of {op, inputs: [{dtype, shape, values}], attr: {converter attrs}}.
// Each case becomes a one-node graph model (a Placeholder per input, then the op, with the
// attributes exactly as the converter writes them), loaded through an in-memory IOHandler and
// run with executeAsync, so TF.js's own op table and executor resolve the inputs and attributes.
// Values are flat lists; NaN and the infinities are written as the strings "NaN", "Infinity",
// "-Infinity" (JSON has no such numbers). complex64 values are [re, im, re, im, ...].
// A result is {dtype, shape, values} per output, or {error}.
'use strict';

const fs = require('fs');
const tf = require('@tensorflow/tfjs');

const TF_DTYPE = {float32: 'DT_FLOAT', int32: 'DT_INT32', bool: 'DT_BOOL', string: 'DT_STRING',
                  complex64: 'DT_COMPLEX64'};

function decodeNumber(v) {
  if (typeof v === 'string') return Number(v);  // "NaN", "Infinity", "-Infinity"
  if (typeof v === 'boolean') return v ? 1 : 0;
  return v;
}

function encodeNumber(v) {
  return Number.isFinite(v) ? v : String(v);
}

function makeTensor(spec) {
  const values = spec.values.map(decodeNumber);
  if (spec.dtype === 'complex64') {
    const re = values.filter((_, i) => i % 2 === 0);
    const im = values.filter((_, i) => i % 2 === 1);
    return tf.complex(tf.tensor(re, spec.shape, 'float32'), tf.tensor(im, spec.shape, 'float32'));
  }
  if (spec.dtype === 'string') return tf.tensor(spec.values, spec.shape, 'string');
  return tf.tensor(values, spec.shape, spec.dtype);
}

async function describe(t) {
  if (t.dtype === 'complex64') {
    const re = await tf.real(t).data();
    const im = await tf.imag(t).data();
    const values = [];
    for (let i = 0; i < re.length; i++) values.push(encodeNumber(re[i]), encodeNumber(im[i]));
    return {dtype: t.dtype, shape: t.shape, values};
  }
  const data = await t.data();
  const values = t.dtype === 'string' ? Array.from(data) : Array.from(data, encodeNumber);
  return {dtype: t.dtype, shape: t.shape, values};
}

async function runCase(c) {
  const nodes = c.inputs.map((spec, i) => ({
    name: `in${i}`, op: 'Placeholder', attr: {dtype: {type: TF_DTYPE[spec.dtype]}},
  }));
  nodes.push({name: 'out', op: c.op, input: c.inputs.map((_, i) => `in${i}`), attr: c.attr || {}});
  const outputs = c.outputs || 1;
  const artifacts = {
    modelTopology: {node: nodes, versions: {producer: 1}},
    weightSpecs: [],
    weightData: new ArrayBuffer(0),
    format: 'graph-model',
  };
  const model = await tf.loadGraphModel({load: async () => artifacts});
  const feeds = {};
  c.inputs.forEach((spec, i) => { feeds[`in${i}`] = makeTensor(spec); });
  const names = outputs === 1 ? ['out'] : Array.from({length: outputs}, (_, i) => `out:${i}`);
  try {
    let result = await model.executeAsync(feeds, names);
    if (!Array.isArray(result)) result = [result];
    const described = [];
    for (const t of result) described.push(await describe(t));
    tf.dispose(result);
    return {outputs: described};
  } finally {
    tf.dispose(Object.values(feeds));
    model.dispose();
  }
}

async function main() {
  const file = process.argv[2];
  if (!file) {
    console.error('usage: node run_ops.js CASES.json');
    process.exit(2);
  }
  await tf.setBackend('cpu');
  await tf.ready();
  const cases = JSON.parse(fs.readFileSync(file, 'utf8'));
  const results = [];
  for (const c of cases) {
    try {
      results.push(await runCase(c));
    } catch (err) {
      results.push({error: String(err && err.message || err)});
    }
  }
  process.stdout.write(JSON.stringify(results));
}

main().catch(err => {
  console.error(String(err && err.stack || err));
  process.exit(1);
});
