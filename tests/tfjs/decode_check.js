#!/usr/bin/env node
// Load TensorFlow.js model folders from disk with the real @tensorflow/tfjs (CPU backend) and
// report what TF.js decodes, so the Python tests can compare it with tfcache_nb's decoding.
//
// usage: node decode_check.js OUT_DIR MODEL_DIR[=INPUT.f32] ...
//
// For model i, the weights as TF.js decodes them (tf.io.decodeWeights) are written to
// OUT_DIR/model<i>.bin: every weight in spec order as little-endian float32 (int32 and bool
// as float32 too; string weights are skipped). The model is then loaded through an in-memory
// IOHandler (tf.loadLayersModel or tf.loadGraphModel); for a layers model the loaded
// variables are compared with the decoded weights. INPUT.f32, if given, is a raw float32
// batch of the model's input shape; the model's output for it is reported (output_shape and
// output: the first output; outputs: every output, [{shape, values}], in the model's order).
// A JSON report goes to stdout.
'use strict';

const fs = require('fs');
const path = require('path');
const tf = require('@tensorflow/tfjs');
const {readArtifacts} = require('./model_files.js');

function isGraphModel(artifacts) {
  return artifacts.format === 'graph-model' || (artifacts.modelTopology && 'node' in artifacts.modelTopology);
}

async function checkModel(dir, inputFile, outFile) {
  const artifacts = readArtifacts(dir);
  const specs = artifacts.weightSpecs;
  const report = {dir, weights: [], weight_bytes: artifacts.weightData.byteLength};

  const decoded = tf.io.decodeWeights(artifacts.weightData, specs);
  const chunks = [];
  let offset = 0;
  for (const spec of specs) {
    const t = decoded[spec.name];
    const entry = {name: spec.name, dtype: t.dtype, shape: t.shape, quantization: spec.quantization || null};
    if (t.dtype !== 'string' && t.dtype !== 'complex64') {
      const values = Float32Array.from(t.dataSync());
      chunks.push(Buffer.from(values.buffer));
      entry.offset = offset;
      entry.count = values.length;
      entry.sum = values.reduce((a, b) => a + b, 0);
      offset += values.length;
    }
    report.weights.push(entry);
  }
  fs.writeFileSync(outFile, Buffer.concat(chunks));
  report.values_file = outFile;

  const handler = {load: async () => artifacts};
  let model;
  if (isGraphModel(artifacts)) {
    model = await tf.loadGraphModel(handler);
    report.kind = 'graph';
  } else {
    model = await tf.loadLayersModel(handler);
    report.kind = 'layers';
    report.layers = model.layers.length;
    // The variables the model really uses, against the decoded weights.
    let maxDiff = 0;
    let matched = 0;
    for (const w of model.weights) {
      const ref = decoded[w.originalName] || decoded[w.name];
      if (!ref) continue;
      matched += 1;
      const a = w.read().dataSync();
      const b = ref.dataSync();
      for (let i = 0; i < a.length; i++) maxDiff = Math.max(maxDiff, Math.abs(a[i] - b[i]));
    }
    report.model_weights_matched = matched;
    report.model_weights_max_abs_diff = maxDiff;
  }
  report.loaded = true;

  if (inputFile) {
    const raw = fs.readFileSync(inputFile);
    const input = new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
    const shape = model.inputs[0].shape.map(d => (d == null || d < 0) ? 1 : d);
    const x = tf.tensor(input, shape, 'float32');
    const ys = [model.predict(x)].flat();  // a model with several outputs returns them all
    report.output_shape = ys[0].shape;
    report.output = Array.from(ys[0].dataSync());
    report.outputs = ys.map(y => ({shape: y.shape, values: Array.from(y.dataSync())}));
    tf.dispose([x, ...ys]);
  }
  Object.values(decoded).forEach(t => t.dispose());
  model.dispose();
  return report;
}

async function main() {
  const [outDir, ...models] = process.argv.slice(2);
  if (!outDir || models.length === 0) {
    console.error('usage: node decode_check.js OUT_DIR MODEL_DIR[=INPUT.f32] ...');
    process.exit(2);
  }
  await tf.setBackend('cpu');
  await tf.ready();
  fs.mkdirSync(outDir, {recursive: true});
  const report = {tfjs_version: tf.version.tfjs, backend: tf.getBackend(), models: []};
  for (let i = 0; i < models.length; i++) {
    const [dir, input] = models[i].split('=');
    try {
      report.models.push(await checkModel(dir, input, path.join(outDir, `model${i}.bin`)));
    } catch (err) {
      report.models.push({dir, loaded: false, error: String(err && err.message || err)});
    }
  }
  process.stdout.write(JSON.stringify(report));
}

main().catch(err => {
  console.error(String(err && err.stack || err));
  process.exit(1);
});
