#!/usr/bin/env node
// Run TensorFlow.js layers models (CPU backend) and report every output, for the Python tests
// that compare tfcache_nb's Keras layers with TF.js's.
//
// usage: node layers_outputs.js MODEL_DIR=INPUT.f32 ...
//
// INPUT.f32 is a raw little-endian float32 batch of the model's input shape (batch 1 where the
// batch size is unknown). For each model, stdout's JSON lists the outputs in the model's
// order: {name, shape, values}; a model TF.js cannot load or run reports {error}.
'use strict';

const fs = require('fs');
const path = require('path');
const tf = require('@tensorflow/tfjs');

function artifactsOf(dir) {
  const doc = JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8'));
  const specs = [];
  const buffers = [];
  for (const group of doc.weightsManifest || []) {
    for (const p of group.paths) buffers.push(fs.readFileSync(path.join(dir, p)));
    specs.push(...group.weights);
  }
  const joined = Buffer.concat(buffers);
  return {
    modelTopology: doc.modelTopology,
    weightSpecs: specs,
    weightData: joined.buffer.slice(joined.byteOffset, joined.byteOffset + joined.byteLength),
    format: doc.format,
  };
}

async function run(dir, inputFile) {
  const model = await tf.loadLayersModel({load: async () => artifactsOf(dir)});
  try {
    const raw = fs.readFileSync(inputFile);
    const values = new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
    const shape = model.inputs[0].shape.map(d => (d == null || d < 0) ? 1 : d);
    const x = tf.tensor(values, shape, 'float32');
    let ys = model.predict(x);
    if (!Array.isArray(ys)) ys = [ys];
    const outputs = ys.map((y, i) => ({
      name: model.outputNames ? model.outputNames[i] : String(i),
      shape: y.shape,
      values: Array.from(y.dataSync()),
    }));
    tf.dispose([x, ...ys]);
    return {dir, outputs};
  } finally {
    model.dispose();
  }
}

async function main() {
  const jobs = process.argv.slice(2);
  if (jobs.length === 0) {
    console.error('usage: node layers_outputs.js MODEL_DIR=INPUT.f32 ...');
    process.exit(2);
  }
  await tf.setBackend('cpu');
  await tf.ready();
  const models = [];
  for (const job of jobs) {
    const [dir, input] = job.split('=');
    try {
      models.push(await run(dir, input));
    } catch (err) {
      models.push({dir, error: String(err && err.message || err)});
    }
  }
  process.stdout.write(JSON.stringify({tfjs_version: tf.version.tfjs, backend: tf.getBackend(), models}));
}

main().catch(err => {
  console.error(String(err && err.stack || err));
  process.exit(1);
});
