"""Train the autograd tutorial's TinyModel on a CUDA device and check it against the CPU.

Run it with torchlike standing in for torch (`python -m torchlike examples/device_check.py`)
on a machine whose JAX has a GPU, or with a CUDA build of PyTorch (`python examples/...`).
It prints one `CHECK name: OK|FAIL|NOTE ...` line per fact and exits 1 if any check failed.
`--allow-cpu` runs it on a machine without a GPU (the GPU checks are then skipped, and say so).
"""

import argparse
import sys
import time

import torch

BATCH_SIZE, DIM_IN, HIDDEN_SIZE, DIM_OUT = 16, 1000, 100, 10
failures = []


def check(name, ok, detail=""):
    status = "OK" if ok else "FAIL"
    if not ok:
        failures.append(name)
    print(f"CHECK {name}: {status} {detail}".rstrip(), flush=True)


def note(name, detail):
    print(f"CHECK {name}: NOTE {detail}", flush=True)


class TinyModel(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.layer1 = torch.nn.Linear(DIM_IN, HIDDEN_SIZE)
        self.relu = torch.nn.ReLU()
        self.layer2 = torch.nn.Linear(HIDDEN_SIZE, DIM_OUT)

    def forward(self, x):
        return self.layer2(self.relu(self.layer1(x)))


def train(device, steps):
    """The tutorial's SGD loop on `device`, from seed 0; returns the losses and the model."""
    torch.manual_seed(0)
    model = TinyModel()  # weights drawn on the CPU, then moved: the same start everywhere
    some_input = torch.randn(BATCH_SIZE, DIM_IN)
    ideal_output = torch.randn(BATCH_SIZE, DIM_OUT)
    model.to(device)
    some_input, ideal_output = some_input.to(device), ideal_output.to(device)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.001)
    losses = []
    started = time.perf_counter()
    for _ in range(steps):
        optimizer.zero_grad()
        prediction = model(some_input)
        loss = (ideal_output - prediction).pow(2).sum()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    elapsed = time.perf_counter() - started
    print(f"{device}: losses {[round(v, 4) for v in losses]} ({elapsed:.2f}s for {steps} steps)")
    return losses, model, prediction


def check_placement(model, prediction, device):
    wanted = torch.device(device).type
    check("parameters on device", all(p.device.type == wanted for p in model.parameters()),
          str(next(model.parameters()).device))  # fmt: skip
    check("gradients on device", all(p.grad.device.type == wanted for p in model.parameters()),
          str(model.layer2.weight.grad.device))  # fmt: skip
    check("prediction on device", prediction.device.type == wanted, str(prediction.device))
    printed = repr(prediction.detach()[:1, :2])
    check("repr shows device", f"device='{prediction.device}'" in printed, printed.splitlines()[-1])


def check_mixed_devices(device):
    try:
        torch.ones(2, device=device) + torch.ones(2)
    except RuntimeError as error:
        expected = str(error).startswith("Expected all tensors to be on the same device")
        check("mixed devices raise torch's error", expected, str(error))
        return
    except Exception as error:  # noqa: BLE001 - reported, not hidden
        check("mixed devices raise torch's error", False, f"{type(error).__name__}: {error}")
        return
    check("mixed devices raise torch's error", False, "no error: the CPU tensor was moved")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--allow-cpu", action="store_true", help="pass without a GPU")
    args = parser.parse_args()
    print(f"torch {torch.__version__} ({torch.__name__}), python {sys.version.split()[0]}")
    available = torch.cuda.is_available()
    print(f"cuda available: {available}, device count: {torch.cuda.device_count()}")
    if available:
        print(f"device name: {torch.cuda.get_device_name(0)}")
    check("default tensor device is cpu", torch.ones(1).device.type == "cpu",
          str(torch.ones(1).device))  # fmt: skip
    cpu_losses, _, _ = train("cpu", args.steps)
    check("cpu loss decreases", cpu_losses[-1] < cpu_losses[0])
    if not available:
        check("cuda available", args.allow_cpu, "no CUDA device (--allow-cpu given)"
              if args.allow_cpu else "no CUDA device: install a CUDA-enabled jax")  # fmt: skip
        return 1 if failures else 0
    cuda_losses, model, prediction = train("cuda", args.steps)
    check_placement(model, prediction, "cuda")
    check("cuda loss decreases", cuda_losses[-1] < cuda_losses[0])
    worst = max(abs(c - g) / max(abs(c), 1e-6) for c, g in zip(cpu_losses, cuda_losses))
    # float32 GEMMs on a GPU may use TF32 unless precision is forced: report, judge loosely.
    check("cuda losses match cpu (rel 1e-3)", worst < 1e-3, f"worst relative gap {worst:.2e}")
    if worst > 1e-5:
        note("matmul precision", f"gap {worst:.1e}; torch.backends.cuda.matmul.allow_tf32="
             f"{torch.backends.cuda.matmul.allow_tf32}")  # fmt: skip
    check_mixed_devices("cuda")
    back = prediction.detach().cpu()
    check("cuda -> cpu copy", back.device.type == "cpu", str(back.device))
    print(f"{len(failures)} check(s) failed: {failures}" if failures else "all checks passed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
