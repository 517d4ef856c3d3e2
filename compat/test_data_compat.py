"""torchlike.utils.data against torch.utils.data: same batches, same RNG use, same errors."""

from __future__ import annotations

import collections
import random

import numpy as np
import pytest
import torch

import torchlike as tl

# torch's worker processes fork this process, which has JAX loaded; JAX warns about fork.
FORKS_WORKERS = pytest.mark.filterwarnings("ignore:os.fork:RuntimeWarning")

Point = collections.namedtuple("Point", ["x", "label"])


def plain(value):
    """A library-neutral form of a batch: tensors become (dtype, shape, values)."""
    if isinstance(value, (torch.Tensor, tl.Tensor)):
        return ("tensor", str(value.dtype), tuple(value.shape), value.tolist())
    if isinstance(value, np.ndarray):
        return ("ndarray", str(value.dtype), value.tolist())
    if isinstance(value, dict):
        return (type(value).__name__, {key: plain(item) for key, item in value.items()})
    if isinstance(value, (list, tuple)):
        return (type(value).__name__, [plain(item) for item in value])
    return (type(value).__name__, value)


def run_both(scenario, seed=0, tail=3):
    """Run scenario(lib) under manual_seed in torch and torchlike; return both results."""
    results = []
    for lib in (torch, tl):
        lib.manual_seed(seed)
        batches = scenario(lib)
        results.append((plain(batches), lib.rand(tail).tolist()))
    return results


def tensors(lib, n=10):
    return lib.arange(n * 2, dtype=lib.float32).reshape(n, 2), lib.arange(n)


LOADERS = {
    "sequential": dict(batch_size=3),
    "shuffle": dict(batch_size=4, shuffle=True),
    "shuffle_drop_last": dict(batch_size=4, shuffle=True, drop_last=True),
    "no_batching": dict(batch_size=None, shuffle=True),
    "workers": pytest.param(
        dict(batch_size=3, shuffle=True, num_workers=2), marks=FORKS_WORKERS, id="workers"
    ),
}


@pytest.mark.parametrize("options", LOADERS.values(), ids=LOADERS)
def test_tensor_dataset_batches_and_rng(options):
    def scenario(lib):
        data = lib.utils.data.TensorDataset(*tensors(lib))
        loader = lib.utils.data.DataLoader(data, **options)
        epochs = [list(loader) for _ in range(2)]
        return epochs, len(loader)

    ours, theirs = run_both(scenario)
    assert ours == theirs


def test_generator_argument_and_random_split():
    def scenario(lib):
        generator = lib.Generator().manual_seed(7)
        data = lib.utils.data.TensorDataset(*tensors(lib, 13))
        parts = lib.utils.data.random_split(data, [0.5, 0.3, 0.2], generator=generator)
        loader = lib.utils.data.DataLoader(parts[0], batch_size=2, shuffle=True,
                                           generator=generator)  # fmt: skip
        split = lib.utils.data.random_split(range(10), [3, 7])
        return list(loader), [list(p.indices) for p in parts], [list(s) for s in split]

    ours, theirs = run_both(scenario, seed=3)
    assert ours == theirs


SAMPLERS = {
    "random_replacement": lambda lib, d: lib.utils.data.RandomSampler(d, True, 70),
    "random_more_samples": lambda lib, d: lib.utils.data.RandomSampler(d, num_samples=23),
    "subset_random": lambda lib, d: lib.utils.data.SubsetRandomSampler([1, 4, 9, 2]),
    "weighted": lambda lib, d: lib.utils.data.WeightedRandomSampler([0.1, 2, 0.5, 3.0], 9),
    "weighted_no_repl": lambda lib, d: lib.utils.data.WeightedRandomSampler(
        [0.1, 2, 0.5, 3.0, 1], 4, replacement=False
    ),
    "sequential": lambda lib, d: lib.utils.data.SequentialSampler(d),
}


@pytest.mark.parametrize("name", SAMPLERS)
def test_samplers(name):
    def scenario(lib):
        data = lib.utils.data.TensorDataset(*tensors(lib))
        sampler = SAMPLERS[name](lib, data)
        loader = lib.utils.data.DataLoader(data, batch_size=3, sampler=sampler)
        return list(sampler), list(loader), len(sampler), len(loader)

    ours, theirs = run_both(scenario, seed=11)
    assert ours == theirs


def test_batch_sampler_argument():
    def scenario(lib):
        data_module = lib.utils.data
        inner = data_module.RandomSampler(range(11))
        batches = data_module.BatchSampler(inner, 4, drop_last=True)
        loader = data_module.DataLoader(list(range(100, 111)), batch_sampler=batches)
        return list(loader), len(loader)

    ours, theirs = run_both(scenario)
    assert ours == theirs


class Samples:
    """Samples of mixed Python, numpy and tensor types, built with either library."""

    def __init__(self, lib):
        self.lib = lib

    def __len__(self):
        return 6

    def __getitem__(self, i):
        lib = self.lib
        return {
            "x": lib.full((2,), float(i)),
            "np": np.arange(3, dtype=np.int16) + i,
            "np_scalar": np.float32(i / 2),
            "float": i / 3,
            "int": i,
            "bool": i % 2 == 0,
            "name": f"item{i}",
            "pair": (i, [i * 1.5, lib.tensor(i)]),
            "point": Point(np.float64(i), i),
        }


def test_default_collate_structures_and_dtypes():
    def scenario(lib):
        loader = lib.utils.data.DataLoader(Samples(lib), batch_size=4, shuffle=True)
        converted = lib.utils.data.DataLoader(Samples(lib), batch_size=None)
        return list(loader), list(converted)[:2]

    ours, theirs = run_both(scenario)
    assert ours == theirs


def test_collate_functions_directly():
    for batch in ([np.float64(1), np.float64(2)], [(1, "a"), (2, "b")], [True, False]):
        theirs = torch.utils.data.default_collate(batch)
        assert plain(tl.utils.data.default_collate(batch)) == plain(theirs)
    for data in ([np.array([1, 2])], (np.int32(3), "s"), {"a": np.ones(2)}):
        theirs = torch.utils.data.default_convert(data)
        assert plain(tl.utils.data.default_convert(data)) == plain(theirs)


def test_collate_errors():
    cases = [[object(), object()], [[1, 2], [1]], [np.array(["a"]), np.array(["b"])]]
    for batch in cases:
        with pytest.raises(Exception) as theirs:
            torch.utils.data.default_collate(batch)
        with pytest.raises(type(theirs.value)) as ours:
            tl.utils.data.default_collate(batch)
        assert str(ours.value) == str(theirs.value)


class Stream:
    """An iterable dataset that shards itself by worker, like torch's documented pattern."""

    def __init__(self, lib, n):
        self.lib, self.n = lib, n

    def __iter__(self):
        info = self.lib.utils.data.get_worker_info()
        start, step = (0, 1) if info is None else (info.id, info.num_workers)
        for i in range(start, self.n, step):
            yield self.lib.tensor([i, int(self.lib.randint(0, 100, ()).item())])

    def __len__(self):
        return self.n


def iterable(lib, n):
    return type("IterStream", (Stream, lib.utils.data.IterableDataset), {})(lib, n)


@pytest.mark.parametrize("workers", [0, pytest.param(2, marks=FORKS_WORKERS)])
def test_iterable_dataset(workers):
    def scenario(lib):
        loader = lib.utils.data.DataLoader(iterable(lib, 11), batch_size=3, num_workers=workers)
        chained = lib.utils.data.ChainDataset([iterable(lib, 2), iterable(lib, 3)])
        return list(loader), len(loader), list(chained), len(chained)

    ours, theirs = run_both(scenario)
    assert ours == theirs


class Noisy:
    """A dataset whose samples draw from torch's, random's and numpy's global generators."""

    def __init__(self, lib):
        self.lib = lib
        self.init_values = {}  # what worker_init_fn saw, by worker id

    def __len__(self):
        return 8

    def __getitem__(self, i):
        info = self.lib.utils.data.get_worker_info()
        worker = -1 if info is None else info.id
        noise = self.lib.rand(2)
        return worker, noise, random.random(), float(np.random.rand()), self.init_values[worker]


@FORKS_WORKERS
@pytest.mark.parametrize("persistent", [False, True])
def test_worker_random_streams_and_init_fn(persistent):
    def scenario(lib):
        def init(worker_id):
            info = lib.utils.data.get_worker_info()
            info.dataset.init_values[worker_id] = (info.num_workers, info.seed, lib.rand(1))

        random.seed(5)
        np.random.seed(5)
        loader = lib.utils.data.DataLoader(Noisy(lib), batch_size=3, shuffle=True,
                                           num_workers=2, worker_init_fn=init,
                                           persistent_workers=persistent)  # fmt: skip
        epochs = [list(loader) for _ in range(2)]
        return epochs, random.random(), float(np.random.rand())

    ours, theirs = run_both(scenario)
    assert ours == theirs


def test_worker_numpy_seed_matches_torch():
    from torch.utils.data._utils.worker import _generate_state

    from torchlike.utils.data._utils.worker import numpy_seed

    for base, worker in [(0, 0), (2**40 + 17, 3), (2**63 - 1, 1)]:
        assert numpy_seed(base, worker) == _generate_state(base, worker)


def test_datasets():
    def scenario(lib):
        data = lib.utils.data
        a, b = data.TensorDataset(*tensors(lib, 3)), data.TensorDataset(*tensors(lib, 4))
        concat = a + b
        stacked = data.StackDataset(data.Subset(b, [3, 0, 1]), a)
        named = data.StackDataset(first=a, second=data.Subset(b, [1, 2, 3]))
        return (len(concat), concat[5], concat[-1], concat.cumulative_sizes, stacked[2],
                named[0], list(data.DataLoader(named, batch_size=2)))  # fmt: skip

    ours, theirs = run_both(scenario)
    assert ours == theirs


ERROR_CASES = {
    "shuffle_and_sampler": lambda lib: lib.utils.data.DataLoader(
        range(3), shuffle=True, sampler=lib.utils.data.SequentialSampler(range(3))
    ),
    "batch_none_drop_last": lambda lib: lib.utils.data.DataLoader(
        range(3), batch_size=None, drop_last=True
    ),
    "batch_sampler_and_size": lambda lib: lib.utils.data.DataLoader(
        range(3), batch_size=2, batch_sampler=[[0, 1]]
    ),
    "negative_workers": lambda lib: lib.utils.data.DataLoader(range(3), num_workers=-1),
    "prefetch_without_workers": lambda lib: lib.utils.data.DataLoader(range(3), prefetch_factor=2),
    "persistent_without_workers": lambda lib: lib.utils.data.DataLoader(
        range(3), persistent_workers=True
    ),
    "iterable_shuffle": lambda lib: lib.utils.data.DataLoader(iterable(lib, 3), shuffle=True),
    "bad_batch_size": lambda lib: lib.utils.data.BatchSampler(range(3), 0, False),
    "bad_num_samples": lambda lib: lib.utils.data.RandomSampler(range(3), num_samples=0),
    "bad_replacement": lambda lib: lib.utils.data.RandomSampler(range(3), replacement=1),
    "weights_2d": lambda lib: lib.utils.data.WeightedRandomSampler([[1.0, 2.0]], 2),
    "split_sum": lambda lib: lib.utils.data.random_split(range(5), [2, 2]),
    "split_fraction": lambda lib: lib.utils.data.random_split(range(5), [1.5, -0.5]),
    "tensor_dataset_sizes": lambda lib: lib.utils.data.TensorDataset(lib.ones(2), lib.ones(3)),
    "concat_empty": lambda lib: lib.utils.data.ConcatDataset([]),
    "stack_both": lambda lib: lib.utils.data.StackDataset(range(2), b=range(2)),
    "set_after_init": lambda lib: setattr(lib.utils.data.DataLoader(range(3)), "batch_size", 2),
    "base_getitem": lambda lib: lib.utils.data.Dataset()[0],
    "sampler_argument": lambda lib: lib.utils.data.Sampler(range(3)),
    "subset_override": lambda lib: type(
        "MySubset", (lib.utils.data.Subset,), {"__getitem__": lambda self, i: i}
    )(range(3), [0]),
}


@pytest.mark.parametrize("name", ERROR_CASES)
def test_errors(name):
    with pytest.raises(Exception) as theirs:
        ERROR_CASES[name](torch)
    with pytest.raises(type(theirs.value)) as ours:
        ERROR_CASES[name](tl)
    assert str(ours.value) == str(theirs.value)


def test_pin_memory_warning_and_len_of_iterable():
    for lib in (torch, tl):
        with pytest.warns(UserWarning, match="'pin_memory' argument is set as true"):
            list(lib.utils.data.DataLoader(range(4), batch_size=2, pin_memory=True))
    assert len(tl.utils.data.DataLoader(iterable(tl, 7), batch_size=3, drop_last=True)) == len(
        torch.utils.data.DataLoader(iterable(torch, 7), batch_size=3, drop_last=True)
    )
