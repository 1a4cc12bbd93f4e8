"""PyTorch side of `npm run bench`: one model in one process, driven over stdin/stdout.

    OPENBLAS_CORETYPE=SkylakeX /usr/bin/python3 bench/torch/worker.py '{"model": "vrnn", ...}'

The bench starts it with a JSON configuration (model, dims, B, T, threads, device, seed) and
then sends one command a line: `train N` (N optimizer steps: forward, backward, global-norm
clipping at 10, Adam at lr 1e-4; answers the wall and CPU milliseconds of each), `eval N` (N forward passes
without gradients), `quit` (answers the peak resident memory). Every answer is one JSON line.
"""
import json
import resource
import sys
import time

import torch

from models import build, trainable_parameters


def reply(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def main():
    cfg = json.loads(sys.argv[1])
    torch.set_num_threads(cfg["threads"])
    torch.set_num_interop_threads(1)
    torch.manual_seed(cfg.get("seed", 0))
    device = torch.device("cuda" if cfg.get("device") == "cuda" else "cpu")
    if device.type == "cuda" and not torch.cuda.is_available():
        reply({"error": "this PyTorch has no CUDA device"})
        return
    t0 = time.perf_counter()
    model = build(cfg["model"], cfg["dims"]).to(device)
    opt = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=1e-4)
    T, B = cfg["T"], cfg["B"]
    x = torch.randn(T, B, cfg["dims"]["x_dim"], device=device) * 0.1
    eps = torch.randn(T, B, cfg["dims"].get("z_dim", 1), device=device)
    build_ms = (time.perf_counter() - t0) * 1000
    sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)

    def train_step():
        opt.zero_grad(set_to_none=True)
        loss = model(x, eps, 1.0)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 10.0)
        opt.step()
        return loss

    def eval_step():
        with torch.no_grad():
            return model(x, eps, 1.0)

    reply({"ready": {"params": trainable_parameters(model), "build_ms": build_ms,
                     "torch": torch.__version__, "threads": torch.get_num_threads()}})
    for line in sys.stdin:
        cmd, _, arg = line.strip().partition(" ")
        if cmd in ("train", "eval"):
            step = train_step if cmd == "train" else eval_step
            times, cpu = [], []
            for _ in range(int(arg)):
                t, c = time.perf_counter(), time.process_time()
                loss = step()
                sync()
                times.append((time.perf_counter() - t) * 1000)
                cpu.append((time.process_time() - c) * 1000)
            reply({cmd: times, "cpu": cpu, "loss": float(loss)})
        elif cmd == "quit":
            reply({"peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024})
            return
        else:
            reply({"error": f"unknown command {cmd!r}"})


if __name__ == "__main__":
    main()
