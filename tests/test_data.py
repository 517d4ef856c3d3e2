"""torchlike.utils.data on its own: batching, sampling, collation and the in-process workers."""

from __future__ import annotations

import collections

import numpy as np
import pytest

import torchlike as tl
from torchlike.utils import data


def dataset(n=10):
    return data.TensorDataset(tl.arange(n * 2.0).reshape(n, 2), tl.arange(n))


def labels(batches):
    return [batch[1].tolist() for batch in batches]


def test_sequential_batches_and_len():
    loader = data.DataLoader(dataset(), batch_size=4)
    assert len(loader) == 3
    assert labels(loader) == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    x, y = next(iter(loader))
    assert x.shape == (4, 2) and x.dtype == tl.float32 and y.dtype == tl.int64
    dropped = data.DataLoader(dataset(), batch_size=4, drop_last=True)
    assert len(dropped) == 2 and labels(dropped) == [[0, 1, 2, 3], [4, 5, 6, 7]]


def test_shuffle_is_a_seeded_permutation():
    def epoch(seed):
        tl.manual_seed(seed)
        return sum(labels(data.DataLoader(dataset(), batch_size=3, shuffle=True)), [])

    first = epoch(0)
    assert sorted(first) == list(range(10))
    assert epoch(0) == first
    assert epoch(1) != first


def test_shuffle_with_generator_leaves_global_rng_alone():
    tl.manual_seed(0)
    expected = tl.rand(3).tolist()
    tl.manual_seed(0)
    generator = tl.Generator().manual_seed(5)
    list(data.DataLoader(dataset(), batch_size=3, shuffle=True, generator=generator))
    assert tl.rand(3).tolist() == expected


def test_workers_leave_main_rng_as_single_process_does():
    def after(workers):
        tl.manual_seed(0)
        loader = data.DataLoader(dataset(), batch_size=3, shuffle=True, num_workers=workers)
        batches = labels(loader)
        return batches, tl.rand(2).tolist()

    assert after(2) == after(0)


def test_worker_info_and_init_fn():
    seen = []

    class Probe(data.Dataset):
        def __len__(self):
            return 6

        def __getitem__(self, i):
            info = data.get_worker_info()
            return info.id

    def init(worker_id):
        info = data.get_worker_info()
        seen.append((worker_id, info.num_workers, info.seed - worker_id))

    workers = sum(
        (b.tolist() for b in data.DataLoader(Probe(), batch_size=2, num_workers=3,
                                             worker_init_fn=init)),
        [],
    )  # fmt: skip
    assert workers == [0, 0, 1, 1, 2, 2]  # batch k goes to worker k % num_workers
    assert [s[:2] for s in seen] == [(0, 3), (1, 3), (2, 3)]
    assert len({s[2] for s in seen}) == 1  # one base seed, plus the worker id
    assert data.get_worker_info() is None


def test_random_split_lengths_and_fractions():
    parts = data.random_split(range(10), [0.5, 0.3, 0.2], generator=tl.Generator().manual_seed(0))
    assert [len(p) for p in parts] == [5, 3, 2]
    assert sorted(sum((list(p) for p in parts), [])) == list(range(10))
    assert [len(p) for p in data.random_split(range(7), [0.5, 0.5])] == [4, 3]
    with pytest.raises(ValueError, match="Sum of input lengths"):
        data.random_split(range(5), [2, 2])


def test_samplers():
    assert list(data.SequentialSampler(range(4))) == [0, 1, 2, 3]
    draws = list(data.RandomSampler(range(5), replacement=True, num_samples=40))
    assert len(draws) == 40 and set(draws) <= set(range(5))
    more = list(data.RandomSampler(range(5), num_samples=7))  # one permutation, then 2 more
    assert sorted(more[:5]) == list(range(5)) and len(set(more[5:])) == 2
    assert sorted(data.SubsetRandomSampler([3, 8, 9])) == [3, 8, 9]
    weighted = list(data.WeightedRandomSampler([0.0, 1.0, 0.0], 5))
    assert weighted == [1, 1, 1, 1, 1]
    batches = list(data.BatchSampler(data.SequentialSampler(range(7)), 3, drop_last=False))
    assert batches == [[0, 1, 2], [3, 4, 5], [6]]


Pair = collections.namedtuple("Pair", "a b")


def test_default_collate_structures():
    batch = [
        {"x": tl.full((2,), float(1 - i)), "n": i + 1, "f": i + 0.5, "s": "ab"[i],
         "np": np.full(2, i, np.int16), "p": Pair(2 * i + 1, 2.0 * i + 2)}
        for i in range(2)
    ]  # fmt: skip
    out = data.default_collate(batch)
    assert out["x"].tolist() == [[1.0, 1.0], [0.0, 0.0]]
    assert out["n"].dtype == tl.int64 and out["f"].dtype == tl.float64
    assert out["s"] == ["a", "b"]
    assert out["np"].dtype == tl.int16 and out["np"].shape == (2, 2)
    assert isinstance(out["p"], Pair) and out["p"].b.tolist() == [2.0, 4.0]
    assert data.default_collate([(1, 2), (3, 4)])[0].tolist() == [1, 3]
    with pytest.raises(RuntimeError, match="each element in list of batch should be of equal size"):
        data.default_collate([[1, 2], [3]])


def test_iterable_dataset_and_errors():
    class Count(data.IterableDataset):
        def __iter__(self):
            return iter(range(5))

    assert [b.tolist() for b in data.DataLoader(Count(), batch_size=2)] == [[0, 1], [2, 3], [4]]
    with pytest.raises(ValueError, match="expected unspecified shuffle option"):
        data.DataLoader(Count(), shuffle=True)
    with pytest.raises(ValueError, match="sampler option is mutually exclusive with shuffle"):
        data.DataLoader(range(3), shuffle=True, sampler=[0, 1])
    loader = data.DataLoader(range(3))
    with pytest.raises(ValueError, match="batch_size attribute should not be set"):
        loader.batch_size = 2


def test_concat_subset_stack():
    concat = data.ConcatDataset([range(3), range(10, 12)])
    assert [concat[i] for i in range(len(concat))] == [0, 1, 2, 10, 11] and concat[-1] == 11
    assert list(data.Subset(range(10, 20), [2, 5])) == [12, 15]
    assert data.StackDataset(range(3), range(5, 8))[1] == (1, 6)
    assert data.StackDataset(a=range(3), b=range(5, 8))[2] == {"a": 2, "b": 7}
