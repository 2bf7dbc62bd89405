"""BatchNormalizationStatistics 'population': after training, every batch normalization
layer's TrainedMean and TrainedVariance become the mean and (biased) variance of its input
over the whole training set, found by one more pass over the data in prediction mode, the
layers in order (so each sees the finalized statistics of the ones before it). The
final validation metrics (info.FinalValidationLoss, ...) are then those of this network.

The pass uses the training options' mini-batch size, padding direction and value;
'longest' and integer SequenceLength pad each mini-batch to its longest sequence (no
chunks), 'shortest' truncates. Padded steps count, as they do in training (no masking).
"""

import numpy as np

from .. import sequences as seqmod
from ..backend import to_host
from ..layers.batch_normalization import BatchNormalizationLayer
from ..network import run_layers


def population_statistics(layers, seqs, opts, xp):
    """Set the population statistics of the BatchNormalizationLayers in ``layers``;
    returns how many there are."""
    mode = opts.SequenceLength if opts.SequenceLength == "shortest" else "longest"
    # full-batch solvers (L-BFGS) have no MiniBatchSize: one batch, as they trained
    size = getattr(opts, "MiniBatchSize", len(seqs))
    batches = seqmod.mini_batches(len(seqs), size, keep_last=True)
    found = 0
    for i, layer in enumerate(layers):
        if not isinstance(layer, BatchNormalizationLayer):
            continue
        total = total_sq = 0.0
        count = 0
        for idx in batches:
            batch = [seqs[k] for k in idx]
            s = seqmod.padded_length([b.shape[1] for b in batch], mode)
            Xb = xp.asarray(seqmod.pad(batch, s, opts.SequencePaddingDirection,
                                       opts.SequencePaddingValue, np.float32))
            X = run_layers(layers[:i], Xb, False)[0]
            X = to_host(X).astype(np.float64).reshape(-1, X.shape[-1])
            total = total + X.sum(axis=0)
            total_sq = total_sq + (X * X).sum(axis=0)
            count += X.shape[0]
        mean = total / count
        layer.set_statistics(mean, np.maximum(total_sq / count - mean * mean, 0.0))
        found += 1
    return found
