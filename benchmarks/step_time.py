"""How much longer a training step of one ablation variant takes than another's, on this machine: the
variants' models train side by side in one process, taking turns step by step on the same batches
(poetry-gen bench's interleaving), so a busy neighbour slows them all alike.

    python -m benchmarks.step_time --data corpus/tang --preset cpu --threads 1 \\
        --only "residual, embedding values" "residual, embedding values, SE" "residual, embedding values, ECA"

A variant's ratio is the median over repeats of its seconds over the first variant's in the same repeat;
it gives the steps that train the faster variant for the slower one's time (an "equal time" row).
"""
from __future__ import annotations

import argparse
import sys
from dataclasses import fields

from benchmarks.ablation import PRESETS
from poetry_gen.bench import _Trainer, spread_batches, summarize, time_interleaved
from poetry_gen.checks import check_whole
from poetry_gen.cli import build_parser, exit_status
from poetry_gen.config import ModelConfig, OptimConfig


def variant_configs(data: str, options: list, vocab_size: int) -> tuple[ModelConfig, OptimConfig]:
    """The model and optimisation settings `poetry-gen train` takes from the variant's options."""
    given = vars(build_parser().parse_args(["train", "--data", data, "--out", "unused", *options]))
    model, optim = ({f.name: given[f.name] for f in fields(part) if f.name in given}
                    for part in (ModelConfig, OptimConfig))
    return ModelConfig(**(model | {"vocab_size": vocab_size})), OptimConfig(**optim)


def main(argv=None) -> int:
    import torch

    from poetry_gen.data import load_poems, make_batch, plan_epoch
    from poetry_gen.device import default_amp

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True, help="a built corpus")
    parser.add_argument("--preset", choices=sorted(PRESETS), default="cpu")
    parser.add_argument("--only", nargs="+", required=True, metavar="VARIANT", help="the first is the baseline")
    parser.add_argument("--steps", type=int, default=8, help="timed steps per variant and repeat")
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args(argv)
    check_whole(args.steps, "--steps", 1)
    check_whole(args.repeats, "--repeats", 1)
    check_whole(args.warmup, "--warmup", 0)
    check_whole(args.threads, "--threads", 1)

    preset = PRESETS[args.preset]
    unknown = sorted(set(args.only) - set(preset["variants"]))
    if unknown:
        parser.error(f"no variant {unknown[0]!r} in preset {args.preset}")
    torch.set_num_threads(args.threads)
    device = torch.device("cpu")
    poems = load_poems(args.data, "train")
    configs = [variant_configs(args.data, preset["base"] + preset["variants"][name], len(poems.vocab))
               for name in args.only]
    batch_size = configs[0][1].batch_size
    plan = plan_epoch(poems, seed=0, epoch=0, batch_size=batch_size, batch_tokens=batch_size * 128)
    batches = [make_batch(poems, rows) for rows in spread_batches(plan.batches, poems.lengths, args.steps)]
    trainers = [_Trainer(model, device, default_amp(device), seed=0) for model, _ in configs]
    seconds = time_interleaved(trainers, [batches] * len(trainers), steps=args.steps, repeats=args.repeats,
                               warmup=args.warmup)
    results = summarize([[b.chars for b in batches]] * len(trainers), seconds, 0)
    print(f"{args.steps} steps × {args.repeats} repeats a variant, interleaved, batch {batch_size}, "
          f"{args.threads} thread(s), bf16 autocast {default_amp(device)}")
    print(f"{'variant':<40} {'parameters':>10} {'step ms':>8} {'× first':>8}  per repeat (s a step)")
    for name, trainer, result, reps in zip(args.only, trainers, results, seconds):
        params = sum(p.numel() for p in trainer.model.parameters())
        per_repeat = " ".join(f"{sum(rep) / len(rep):.3f}" for rep in reps)
        print(f"{name:<40} {params:>10,} {1000 * result.step_s:>8.0f} {1 / result.ratio:>8.3f}  {per_repeat}")
    return 0


if __name__ == "__main__":
    sys.exit(exit_status(main))
