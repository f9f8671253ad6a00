// Data: IDX files (MNIST, Fashion-MNIST), datasets as { x, y } tensor pairs, a batching DataLoader,
// and a train/validation split.
export { readIdx, parseIdx, isGzip, type IdxArray, type IdxData } from './idx';
export { idx, fashionMnist, bundledFashionMnistDir, type IdxDatasetOptions, type TrainTest } from './mnist';
export { subset, trainValSplit, checkDataset, type Dataset, type SplitOptions } from './dataset';
export { DataLoader, type Batch, type DataLoaderOptions } from './loader';
