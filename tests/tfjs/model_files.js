// A TF.js model folder read from disk as the ModelArtifacts an in-memory IOHandler returns
// ({load: async () => readArtifacts(dir)}), for the node scripts that load models with the
// real TensorFlow.js: model.json's fields plus every weight shard joined in manifest order.
'use strict';

const fs = require('fs');
const path = require('path');

function readArtifacts(dir) {
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
    generatedBy: doc.generatedBy,
    convertedBy: doc.convertedBy,
    signature: doc.signature,
    userDefinedMetadata: doc.userDefinedMetadata,
    modelInitializer: doc.modelInitializer,
    trainingConfig: doc.trainingConfig,
  };
}

module.exports = {readArtifacts};
