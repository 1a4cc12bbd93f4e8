/** @file The data layer's public API: load and validate datasets, normalize, batch. */
export { describeVar, splitNames, type Dataset, type Sequence, type SplitName, type VarSpec } from './types.js';
export { DataError, type Where } from './errors.js';
export { applyColumns, ColumnsError, parseColumns, rowSpec, type ColumnMap, type ColumnRange } from './columns.js';
export { descriptorFile, readDescriptor, type Descriptor } from './dataset.js';
export { loadDataset, readSequences, splitExtensions, type LoadOptions } from './dataset.js';
export { computeStats, constantDimensions, constantTolerance, denormalize, normalize, statsFromJson, statsToJson, type NormStats, type NormStatsJson, type VarStats } from './normalize.js';
export { batchesPerEpoch, cropSequences, windowSequences, epochBatches, epochLengths, epochs, makeBatch, shuffled, type Batch, type BatchOptions, type Crop, type FloatArrayOf, type Uniform } from './batches.js';
export { encodeNpy } from './formats/npy.js';
export { encodeWav16 } from './formats/wav.js';
export { pianoRollToMidi } from './formats/pianoroll.js';
