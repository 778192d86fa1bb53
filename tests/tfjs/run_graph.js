#!/usr/bin/env node
// Run a small graph model (GraphDef JSON, as the converter writes it) through the real
// TensorFlow.js (CPU backend) with executeAsync, for the graph executor's tests to compare with.
//
// usage: node run_graph.js CASE.json   (writes one JSON object to stdout)
//
// CASE.json: {modelTopology, weightSpecs, weightData (base64), signature, userDefinedMetadata,
//             inputs: {name: {dtype, shape, values}}}
// Output: {inputNodes, outputNodes, outputs: [{dtype, shape, values}]} in outputNodes order,
// or {error}. Values are flat lists; bools as 0/1.
'use strict';

const fs = require('fs');
const tf = require('@tensorflow/tfjs');

async function main() {
  const spec = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
  await tf.setBackend('cpu');
  const bytes = Buffer.from(spec.weightData || '', 'base64');
  const weightData = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
  const handler = tf.io.fromMemory({
    modelTopology: spec.modelTopology, weightSpecs: spec.weightSpecs, weightData,
    signature: spec.signature, userDefinedMetadata: spec.userDefinedMetadata,
  });
  const model = await tf.loadGraphModel(handler);
  const inputs = {};
  for (const [name, v] of Object.entries(spec.inputs)) {
    inputs[name] = tf.tensor(v.values, v.shape, v.dtype);
  }
  let out = await model.executeAsync(inputs);
  if (!Array.isArray(out)) out = [out];
  const outputs = [];
  for (const t of out) {
    outputs.push({dtype: t.dtype, shape: t.shape, values: Array.from(await t.data(), Number)});
  }
  return {inputNodes: model.inputNodes, outputNodes: model.outputNodes, outputs};
}

main().then(
    r => process.stdout.write(JSON.stringify(r)),
    e => process.stdout.write(JSON.stringify({error: String((e && e.message) || e)})));
