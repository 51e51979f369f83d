import numpy as np
import torch

from cloformer.export import fidelity


def test_measure_agreement_and_sqnr():
    rng = np.random.default_rng(0)
    reference = rng.normal(size=(8, 20)).astype(np.float32)
    same = fidelity.measure(reference, reference.copy())
    assert same["sqnr_db"] == np.inf and same["top1_agreement"] == same["top5_agreement"] == 1.0
    swapped = reference.copy()
    top = reference.argmax(1)[0]
    swapped[0, top] = reference[0].min() - 1  # image 0's top class falls to the bottom
    got = fidelity.measure(reference, swapped)
    assert got["top1_agreement"] == 7 / 8 and got["top5_agreement"] == 7 / 8
    noisy = fidelity.measure(reference, reference + 0.01 * reference.std())
    assert abs(noisy["sqnr_db"] - 40.0) < 0.5 and noisy["images"] == 8
    assert noisy["reference_classes"] == len(set(reference.argmax(1).tolist()))


def test_static_batch_artifacts_are_fed_in_padded_chunks():
    images = torch.randn(5, 3, 4, 4)
    calls = []

    def run(x):
        calls.append(x.shape[0])
        return x.reshape(len(x), -1)[:, :3]
    out = fidelity.logits(run, images, batch=2)
    assert calls == [2, 2, 2] and np.array_equal(out, images.reshape(5, -1)[:, :3].numpy())
