"""`poetry-gen bench`: how fast this machine trains and writes poems, measured side by side in one run.

Training throughput counts real characters per second: the poem characters a step trains on
(punctuation included; never BOS, EOS, keyword prefixes or padding) over the step's time (forward,
backward, clipping, AdamW). It is the count train.py adds to chars_seen and shows as chars_s.

    row             model                                   batches (the same poems in every row)      amp
    classic recipe  classic: embed 128, hidden 256,         every poem padded (or cut) to 125 tokens,  off
                    2 layers, no attention, no dropout      padding scored (pytorch-book chapter 9)
    classic         classic                                 the project's length-bucketed batches      default
    default         the checkpoint's architecture, or       the project's length-bucketed batches      default
                    train.py's defaults without one

The classic recipe row comes with `classic_recipe=True`. Step i of every row trains on the poems of
the same batch of the epoch plan (no keyword prefixes; the batches spread over the poems' lengths, see
`spread_batches`), and the rows take turns step by step, so a busy neighbour on the machine slows them
all alike:

    warm-up    A A B B C C                          untimed
    repeat 1   A1 B1 C1 A2 B2 C2 … An Bn Cn          → per row: Σ chars / Σ seconds
    repeat 2   A1 B1 C1 …

A row's throughput is the median over repeats; its ratio to the baseline (the classic recipe, or the
classic row without it) is the median over repeats of the ratio within each repeat, since the rows of
one repeat ran in the same seconds.
"""
from __future__ import annotations

import statistics
import time
from dataclasses import asdict, dataclass, field, replace
from typing import Optional

import torch
from tqdm import tqdm

from .config import BENCH_CANDIDATES, BENCH_FORM, BENCH_HEADS, BenchOptions, ModelConfig
from .data import load_poems, make_batch, padded_batch, plan_epoch
from .device import default_amp, resolve_device
from .errors import PoetryGenError
from .generator import NO_DEFAULT_MODEL, load_generator
from .model import PoetryLM
from .train import make_optimizer, train_step

CLASSIC = dict(embed_dim=128, hidden_dim=256, num_layers=2, dropout=0.0, attention="none")
PADDED_LENGTH = 125  # the classic recipe's sequence length
LR = 1e-3  # the step's cost does not depend on it
REAL_CHARS = ("real characters: poem characters incl. punctuation, excl. BOS, EOS, keyword prefixes and padding "
              "(what training counts as chars_seen)")


@dataclass
class Throughput:
    chars_per_s: float  # median over repeats
    ratio: float  # median over repeats of chars_per_s / the baseline's in the same repeat
    step_s: float  # median seconds of one step
    per_repeat: list  # chars per second of each repeat


def summarize(chars: list, seconds: list, baseline: int) -> list:
    """Throughput of each row from chars[row][step] (real characters of each step's batch) and
    seconds[row][repeat][step]; ratios are to row `baseline`."""
    rates = [[sum(row_chars) / sum(rep) for rep in reps] for row_chars, reps in zip(chars, seconds)]
    return [Throughput(statistics.median(rate), statistics.median(r / b for r, b in zip(rate, rates[baseline])),
                       statistics.median(s for rep in reps for s in rep), rate)
            for rate, reps in zip(rates, seconds)]


@dataclass
class TrainingRow:
    name: str
    model: str  # what the model is, in words
    config: dict  # asdict(ModelConfig)
    params: int
    batching: str
    device: str
    threads: int
    amp: bool
    chars_per_step: list  # real characters of step i's batch
    tokens_per_step: list  # input positions (padding included) of step i's batch
    throughput: Optional[Throughput] = None


@dataclass
class Generation:
    checkpoint: str
    device: str
    threads: int
    precision: str  # of the model's matrices (load_generator's "auto" on this machine)
    one_s: float  # median seconds for one acrostic
    many_s: float  # median seconds for BENCH_CANDIDATES of them, written as one batch
    repeats: int


@dataclass
class BenchResult:
    data: str
    options: BenchOptions
    torch_version: str
    rows: list  # TrainingRow
    baseline: str  # name of the row the ratios compare with
    generation: Optional[Generation]
    notes: list = field(default_factory=list)

    def to_dict(self) -> dict:
        rows = [asdict(row) for row in self.rows]
        for row in rows:
            row.update(row.pop("throughput"))
        return {"data": self.data, "torch": self.torch_version, "options": asdict(self.options),
                "real_characters": REAL_CHARS, "baseline": self.baseline, "training": rows,
                "generation": None if self.generation is None else
                asdict(self.generation) | {"heads": BENCH_HEADS, "form": BENCH_FORM, "candidates": BENCH_CANDIDATES},
                "notes": self.notes}


class _Trainer:
    """A fresh model and optimizer for one row, timed one training step at a time (train.train_step,
    so that the rows can take turns)."""

    def __init__(self, config, device, amp: bool, seed: int):
        torch.manual_seed(seed)
        self.device, self.amp = device, amp
        self.model = PoetryLM(config).to(device).train()
        self.optimizer = make_optimizer(self.model, LR, 0.0, device)

    def step(self, batch) -> float:
        start = time.perf_counter()
        train_step(self.model, self.optimizer, batch, self.device, lr=LR, amp=self.amp, grad_clip=1.0)
        if self.device.type == "cuda":  # the step is queued, not done, until the GPU says so
            torch.cuda.synchronize(self.device)
        return time.perf_counter() - start


def spread_batches(batches: list, lengths, count: int) -> list:
    """`count` of an epoch's batches (arrays of poem indices), at evenly spaced quantiles of their poems'
    mean length and in epoch order. A bucketed batch holds poems of one length, and padding costs the
    classic recipe more the shorter they are, so a few steps must see short and long poems in the
    proportions training does, not whichever batches an epoch happens to start with."""
    if count >= len(batches):
        return list(batches)
    by_length = sorted(range(len(batches)), key=lambda i: lengths[batches[i]].mean())
    return [batches[i] for i in sorted(by_length[int((k + 0.5) * len(batches) / count)] for k in range(count))]


def time_interleaved(trainers: list, batches: list, *, steps: int, repeats: int, warmup: int,
                     on_round=lambda: None) -> list:
    """seconds[row][repeat][step]: trainers take turns step by step; step i of row k trains on
    batches[k][i % len(batches[k])]. `on_round` is called after every round of one step per row."""
    for i in range(warmup):
        for trainer, own in zip(trainers, batches):
            trainer.step(own[i % len(own)])
        on_round()
    seconds = [[[] for _ in range(repeats)] for _ in trainers]
    for r in range(repeats):
        for i in range(steps):
            for k, (trainer, own) in enumerate(zip(trainers, batches)):
                seconds[k][r].append(trainer.step(own[i % len(own)]))
            on_round()
    return seconds


def time_generation(gen, repeats: int) -> tuple[float, float]:
    """Median seconds for one acrostic and for BENCH_CANDIDATES of them, after one untimed call of each."""
    one, many = [], []
    for r in range(-1, repeats):
        start = time.perf_counter()
        gen.acrostic(BENCH_HEADS, form=BENCH_FORM, seed=r + 1)
        middle = time.perf_counter()
        gen.acrostic(BENCH_HEADS, form=BENCH_FORM, num=BENCH_CANDIDATES, seed=r + 1)
        if r >= 0:
            one.append(middle - start)
            many.append(time.perf_counter() - middle)
    return statistics.median(one), statistics.median(many)


def _describe(config) -> str:
    attention = ("no attention" if config.attention == "none" else
                 f"attention ×{config.attention_heads} ({config.attention_combine}, {config.attention_values} values)")
    return (f"embed {config.embed_dim}, hidden {config.hidden_dim}, {config.num_layers} layers, {attention}"
            + (f", {config.channel_attention} channel attention" if config.channel_attention != "none" else "")
            + (f", dropout {config.dropout:g}" if config.dropout else "") + (", tied" if config.tie_weights else ""))


def _load_generator(options: BenchOptions, device, notes: list):
    """The generator of the --checkpoint, else of the shipped model; None (with a note) when neither."""
    try:
        return load_generator(options.checkpoint, device=device.type)
    except PoetryGenError as err:
        if options.checkpoint is not None or str(err) != NO_DEFAULT_MODEL:
            raise
    notes.append("no checkpoint given and no shipped model installed: the default row uses train.py's default "
                 "model, and generation latency is skipped (give --checkpoint CKPT)")
    return None


def run_bench(options: BenchOptions) -> BenchResult:
    device = resolve_device(options.device)
    if options.threads:
        torch.set_num_threads(options.threads)
    if device.type == "cuda":
        torch.set_float32_matmul_precision("high")  # as train.py trains on GPUs
    threads = torch.get_num_threads()
    amp = default_amp(device) if options.amp is None else options.amp
    notes = []

    poems = load_poems(options.data, "train")
    if len(poems) == 0:
        raise PoetryGenError(f"{options.data} has no training poems")
    vocab_size = len(poems.vocab)
    gen = _load_generator(options, device, notes)
    if gen is None:
        default = ModelConfig(vocab_size)
        default_name = "train.py's defaults"
    else:
        default = replace(gen.model.config, vocab_size=vocab_size)
        default_name = "the checkpoint's architecture" if options.checkpoint else "the shipped model's architecture"
        if gen.model.config.vocab_size != vocab_size:
            notes.append(f"the checkpoint's vocabulary has {gen.model.config.vocab_size} tokens, the corpus's "
                         f"{vocab_size}: the default row trains the checkpoint's architecture on the corpus's")
    classic = ModelConfig(vocab_size, **CLASSIC)

    plan = plan_epoch(poems, seed=options.seed, epoch=0, batch_size=options.batch_size,
                      batch_tokens=options.batch_size * 128)  # cut as training cuts them (see train.py)
    picked = spread_batches(plan.batches, poems.lengths, options.steps)
    if len(picked) < options.steps:
        notes.append(f"the corpus makes only {len(picked)} batches of {options.batch_size}: steps reuse them")
    bucketed = [make_batch(poems, rows) for rows in picked]
    runs = [("classic", f"classic ({_describe(classic)})", classic, "length-bucketed", bucketed, amp),
            ("default", f"{default_name} ({_describe(default)})", default, "length-bucketed", bucketed, amp)]
    if options.classic_recipe:
        runs.insert(0, ("classic recipe", f"classic ({_describe(classic)})", classic,
                        f"padded to {PADDED_LENGTH}, padding in the loss",
                        [padded_batch(poems, rows, PADDED_LENGTH) for rows in picked], False))

    results, trainers = [], []
    for name, model, config, batching, batches, row_amp in runs:
        trainers.append(_Trainer(config, device, row_amp, options.seed))
        timed = [batches[i % len(batches)] for i in range(options.steps)]
        results.append(TrainingRow(
            name, model, asdict(config), sum(p.numel() for p in trainers[-1].model.parameters()), batching,
            device.type, threads, row_amp, [b.chars for b in timed], [b.ids.numel() for b in timed]))
    with tqdm(total=options.warmup + options.repeats * options.steps, disable=not options.progress,
              desc="training steps", unit="round", leave=False) as bar:
        seconds = time_interleaved(trainers, [batches for *_, batches, _ in runs], steps=options.steps,
                                   repeats=options.repeats, warmup=options.warmup, on_round=bar.update)
    del trainers  # free their models and optimizer states before generation
    for row, throughput in zip(results, summarize([row.chars_per_step for row in results], seconds, 0)):
        row.throughput = throughput

    generation = None
    if gen is not None:
        one, many = time_generation(gen, options.repeats)
        generation = Generation(options.checkpoint or "shipped model", device.type, threads, gen.precision, one,
                                many, options.repeats)
    return BenchResult(options.data, options, torch.__version__, results, results[0].name, generation, notes)


def format_table(result: BenchResult) -> str:
    o = result.options
    lines = [f"poetry-gen bench on {result.data} (train split), torch {result.torch_version}: "
             f"{o.steps} steps × {o.repeats} repeats per row after {o.warmup} warm-up steps, batch {o.batch_size}, "
             f"rows interleaved step by step",
             "",
             f"{'training':<15} {'real chars/s':>12} {'× ' + result.baseline:>17} {'step ms':>8}  "
             f"{'device':<7} {'threads':>7}  {'amp':<4} {'pad %':>5}  batching; model"]
    for row in result.rows:
        t = row.throughput
        padding = 100 * (1 - sum(row.chars_per_step) / sum(row.tokens_per_step))
        lines.append(f"{row.name:<15} {t.chars_per_s:>12,.0f} {t.ratio:>17.2f} {1000 * t.step_s:>8.0f}  "
                     f"{row.device:<7} {row.threads:>7}  {'bf16' if row.amp else 'off':<4} {padding:>5.0f}  "
                     f"{row.batching}; {row.model}, {row.params / 1e6:.1f}M parameters")
    lines += ["", REAL_CHARS + ".",
              "chars/s: median over repeats of Σ chars / Σ seconds; ×: median over repeats of the ratio within a "
              "repeat; pad %: input positions that are not poem characters (BOS, padding)."]
    g = result.generation
    if g is not None:
        lines += ["",
                  f"{'generation':<15} {'median ms':>12}  {'device':<7} {'threads':>7}  "
                  f"({g.precision}; median of {g.repeats} after a warm-up)",
                  f"{'one poem':<15} {1000 * g.one_s:>12,.0f}  {g.device:<7} {g.threads:>7}  "
                  f"one {BENCH_FORM} acrostic {BENCH_HEADS}, written by {g.checkpoint}",
                  f"{f'{BENCH_CANDIDATES} candidates':<15} {1000 * g.many_s:>12,.0f}  {g.device:<7} {g.threads:>7}  "
                  f"{BENCH_CANDIDATES} of them, written as one batch"]
    lines += [f"note: {note}" for note in result.notes]
    return "\n".join(lines)
