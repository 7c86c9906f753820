"""Training: a built corpus in, checkpoints out.

    OUT                best model by validation perplexity (no optimizer state; what generation loads)
    OUT.last.pt        the latest state, resumable: `--resume` continues exactly where it stopped
    metrics.jsonl      one JSON object per evaluation, beside OUT

Runs on a CPU, one GPU or, under torchrun, on several processes with DistributedDataParallel: every
process trains on its share of the same global batch (see data.py), gradients are all-reduced, and only
rank 0 evaluates, logs and writes files. Only torch, numpy and tqdm are imported on this path.

    poetry-gen train --data corpus/tang --out runs/a/model.pt                      # CPU, or the GPU if any
    torchrun --standalone --nproc_per_node 8 -m poetry_gen train --data … --out …  # 8 GPUs (NCCL)
    torchrun --nnodes 2 --node_rank R --nproc_per_node 8 --rdzv_backend c10d \
             --rdzv_endpoint HOST:29500 -m poetry_gen train --data … --out …        # 2 nodes × 8 GPUs
"""
from __future__ import annotations

import fcntl
import json
import math
import os
import signal
import threading
import time
from contextlib import contextmanager
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path
from typing import Optional

import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel
from tqdm import tqdm

from .checkpoint import Checkpoint, load_checkpoint, read_checkpoint, save_checkpoint
from .config import ModelConfig, OptimConfig, RunConfig, TrainConfig, from_stored, parse_repeats
from .corpus import load_plan_words, load_theme_words
from .data import Batch, EpochPlan, Poems, eval_batches, load_poems, make_batch, plan_epoch
from .device import default_amp, resolve_device
from .errors import PoetryGenError
from .evaluate import batches_nll
from .files import remove_orphans, write_atomic
from .grow import widen
from .model import PoetryLM
from .vocab import Vocab


def last_checkpoint_path(out) -> Path:
    """model.pt → model.last.pt: the resumable companion of a best-model checkpoint."""
    out = Path(out)
    return out.with_name(out.stem + ".last.pt")


def lr_at(step: int, config: OptimConfig, total_steps: int) -> float:
    """Linear warmup over warmup_steps, then cosine decay to lr * min_lr_ratio at total_steps."""
    if step < config.warmup_steps:
        return config.lr * (step + 1) / config.warmup_steps
    progress = min(1.0, (step - config.warmup_steps) / max(1, total_steps - config.warmup_steps))
    floor = config.lr * config.min_lr_ratio
    return floor + (config.lr - floor) * 0.5 * (1 + math.cos(math.pi * progress))


def make_optimizer(model: torch.nn.Module, lr: float, weight_decay: float, device: torch.device):
    """AdamW; matrices decay, biases do not."""
    params = [p for p in model.parameters() if p.requires_grad]
    groups = [{"params": [p for p in params if p.dim() >= 2], "weight_decay": weight_decay},
              {"params": [p for p in params if p.dim() < 2], "weight_decay": 0.0}]
    return torch.optim.AdamW(groups, lr=lr, betas=(0.9, 0.99), fused=device.type == "cuda")


def train_step(model, optimizer, batch: Batch, device: torch.device, *, lr: float, amp: bool,
               grad_clip: float, world_size: int = 1) -> torch.Tensor:
    """One optimizer step on `batch`; returns the (detached, on-device) mean loss over its targets."""
    for group in optimizer.param_groups:
        group["lr"] = lr
    ids, targets = batch.ids, batch.targets
    if device.type == "cuda":  # pinned host memory lets the copy run asynchronously
        ids, targets = ids.pin_memory(), targets.pin_memory()
    ids, targets = ids.to(device, non_blocking=True), targets.to(device, non_blocking=True)
    with torch.autocast(device.type, dtype=torch.bfloat16, enabled=amp):
        _, loss = model(ids, targets)
    # DDP averages gradients over processes. Weighting each process's mean loss by its share of the
    # global batch's targets makes the step the mean over the whole global batch, for any world size.
    (loss * (batch.scored * world_size / batch.global_scored)).backward()
    if grad_clip:
        torch.nn.utils.clip_grad_norm_(model.parameters(), grad_clip)
    optimizer.step()
    optimizer.zero_grad(set_to_none=True)
    return loss.detach()


class _StopRequest:
    """Ctrl-C (SIGINT) or SIGTERM asks the loop to stop at the next step boundary and write a resumable
    checkpoint; a second Ctrl-C interrupts at once."""

    def __init__(self):
        self.requested = False
        self._previous = {}

    def _handle(self, signum, frame):
        if self.requested and signum == signal.SIGINT:
            raise KeyboardInterrupt
        self.requested = True

    def __enter__(self):
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGINT, signal.SIGTERM):
                self._previous[sig] = signal.signal(sig, self._handle)
        return self

    def __exit__(self, *exc):
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)


@dataclass
class _Progress:
    """Where a run stands; saved in every checkpoint's train_state."""
    step: int = 0
    epoch: int = 0
    batch_index: int = 0  # next batch of the epoch's plan
    chars_seen: int = 0
    elapsed_s: float = 0.0
    best_val_ppl: Optional[float] = None
    val_ppl: Optional[float] = None
    schedule_steps: int = 0


def _all_finite(model) -> bool:
    return all(bool(torch.isfinite(p).all()) for p in model.parameters())


def train(config: TrainConfig) -> Path:
    """Train as `config` says; returns the path of the best checkpoint (config.run.out)."""
    run = config.run
    device = resolve_device(run.device, run.local_rank)
    if run.threads:
        torch.set_num_threads(run.threads)
    if device.type == "cuda":
        torch.set_float32_matmul_precision("high")  # TF32 products: float32 training at tensor-core speed
    distributed = run.world_size > 1
    if distributed:
        if device.type == "cuda":
            torch.cuda.set_device(device)
        if not dist.is_initialized():
            dist.init_process_group("nccl" if device.type == "cuda" else "gloo", rank=run.rank,
                                    world_size=run.world_size)
    try:
        with _claimed(run):
            return _train(config, device)
    finally:
        if distributed and dist.is_initialized():
            dist.destroy_process_group()


# What a resumed run continues with unless its caller says otherwise: how long it runs and how often it
# reports, as the run was started. Device, threads and the progress bar belong to the machine.
CONTINUED_RUN_FIELDS = ("epochs", "max_steps", "max_minutes", "eval_interval", "log_interval")


def resume_options(path) -> dict:
    """The CONTINUED_RUN_FIELDS of the run that checkpoint `path` holds, for `--resume` without options."""
    stored = read_checkpoint(path)["train_state"].get("run_config")
    return {k: stored[k] for k in CONTINUED_RUN_FIELDS if k in stored} if isinstance(stored, dict) else {}


@contextmanager
def _claimed(run: RunConfig):
    """Rank 0 holds the run's lock while it trains: a second training on the same --out is refused, not
    interleaved. flock is released by the kernel when the process dies, so a SIGKILL leaves no stale
    lock. Under the lock, what a killed run left half-written is cleared, and a fresh run is refused
    over an existing one unless `overwrite`."""
    if run.rank != 0:
        yield
        return
    out = Path(run.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out.with_name(f".{out.name}.lock"), "a+", encoding="utf-8") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock.seek(0)
            raise PoetryGenError(f"{out}: another training (pid {lock.read().strip() or '?'}) is writing this run; "
                                 f"wait for it to end, or choose another --out") from None
        lock.truncate(0)
        lock.write(f"{os.getpid()}\n")
        lock.flush()
        for path in (out, last_checkpoint_path(out), _metrics_path(out)):
            remove_orphans(path)
        _check_run_files(run)
        yield


def _metrics_path(out) -> Path:
    return Path(out).parent / "metrics.jsonl"


def _continues_out(run: RunConfig) -> bool:
    """Whether the run resumes the run at --out (from its .last.pt; its best model, which cannot resume, is
    refused later for that reason), rather than starting there afresh or from another run's checkpoint."""
    own = {Path(run.out).resolve(), last_checkpoint_path(run.out).resolve()}
    return bool(run.resume) and Path(run.resume).resolve() in own


def _check_run_files(run: RunConfig) -> None:
    """A run that does not continue the one at --out starts only where it replaces nothing, or an earlier
    run with `overwrite`; never over a file that is not a checkpoint, and never through a symbolic link."""
    out, last, metrics = Path(run.out), last_checkpoint_path(run.out), _metrics_path(run.out)
    if metrics.is_symlink():
        raise PoetryGenError(f"{metrics} is a symbolic link; a run writes its metrics only to a file of its own")
    if _continues_out(run):
        return
    for path in (out, last):
        if path.exists():
            try:
                read_checkpoint(path)
            except PoetryGenError:
                raise PoetryGenError(f"{path} exists and is not a poetry-gen checkpoint; choose another --out") from None
    existing = [p.name for p in (out, last, metrics) if p.exists() and p.stat().st_size]
    if existing and not run.overwrite:
        instead = "resume into another --out" if run.resume else "continue it with --resume"
        raise PoetryGenError(f"{out.parent} holds a run ({', '.join(existing)}): {instead}, or "
                             f"start afresh over it with --overwrite")


@dataclass
class _Training:
    """What the loop works with, fresh or resumed (see `_start`)."""
    config: TrainConfig  # a resumed run's model and optimisation come from its checkpoint
    vocab: Vocab
    train_poems: Poems
    val_batches: list
    model: PoetryLM
    optimizer: torch.optim.Optimizer
    progress: _Progress

    def plan(self, epoch: int) -> EpochPlan:
        optim = self.config.optim
        return plan_epoch(self.train_poems, seed=optim.seed, epoch=epoch, batch_size=optim.batch_size,
                          batch_tokens=optim.batch_tokens or optim.batch_size * 128, keyword_rate=optim.keyword_rate,
                          plan_rate=optim.plan_rate, form_rate=optim.form_rate)

    def lr(self, step: int) -> float:
        return lr_at(step, self.config.optim, self.progress.schedule_steps)


def _start(config: TrainConfig, device: torch.device) -> _Training:
    """The data, model, optimizer and progress of a new run, or of the one `config.run.resume` continues
    exactly (its model, optimisation, weights, optimizer state and position; the caller's RunConfig)."""
    run, saved = config.run, None
    if run.resume:
        saved = read_checkpoint(run.resume)
        if "optimizer" not in saved["train_state"]:
            last = last_checkpoint_path(run.resume)
            where = (f"resume from {last} instead" if last.is_file() else
                     "a model to train on goes to --init, which starts a new run from its weights")
            raise PoetryGenError(f"{run.resume} holds no optimizer state; {where}")
        try:
            config = TrainConfig(from_stored(ModelConfig, saved["config"]),
                                 from_stored(OptimConfig, saved["train_state"]["optim_config"]), run)
        except (KeyError, TypeError) as err:
            raise PoetryGenError(f"{run.resume}: malformed train_state (optim_config: {err})") from None
    optim = config.optim
    train_poems = load_poems(run.data, "train", with_keywords=optim.keyword_rate > 0, with_forms=optim.form_rate > 0,
                             with_plans=optim.plan_rate > 0, repeats=parse_repeats(optim.repeat))
    vocab = train_poems.vocab
    if len(train_poems) == 0:
        raise PoetryGenError(f"{run.data} has no training poems")
    if saved is not None and saved["vocab"] != vocab.to_list():
        raise PoetryGenError(f"{run.data} has another vocabulary than {run.resume} was trained with")
    source = None
    if saved is None and optim.init:
        source = load_checkpoint(optim.init)
        config = replace(config, model=_grown_settings(config.model, source.config, optim.init))
    torch.manual_seed(config.optim.seed)
    if source is not None and config.model != source.config:
        source = widen(source, config.model.embed_dim, config.model.hidden_dim)
        if run.rank == 0:
            print(f"init: {optim.init} grown to embedding {config.model.embed_dim}, hidden {config.model.hidden_dim}")
    model = PoetryLM(replace(config.model, vocab_size=len(vocab))).to(device)
    if source is not None:
        shared = warm_start(model, vocab, source)
        if run.rank == 0:
            print(f"init: weights of {optim.init}; {shared:,} of {len(vocab):,} tokens' rows from its vocabulary")
    optimizer = make_optimizer(model, config.optim.lr, config.optim.weight_decay, device)
    state = _Training(config, vocab, train_poems, eval_batches(load_poems(run.data, "val")), model, optimizer,
                      _Progress())
    if saved is not None:
        model.load_state_dict(saved["state_dict"])
        try:
            optimizer.load_state_dict(saved["train_state"]["optimizer"])
            state.progress = _Progress(**{f.name: saved["train_state"][f.name] for f in fields(_Progress)})
        except (KeyError, TypeError, ValueError) as err:
            raise PoetryGenError(f"{run.resume}: malformed train_state ({type(err).__name__}: "
                                 f"{str(err)[:120]})") from None
    else:
        steps = len(state.plan(0).batches) * run.epochs
        state.progress.schedule_steps = min(steps, run.max_steps) if run.max_steps else steps
    return state


def _grown_settings(wanted: ModelConfig, source: ModelConfig, init: str) -> ModelConfig:
    """The settings of a run --init `source`: the source's when `wanted` is the default config, else
    `wanted`'s embedding and hidden sizes on the source's other settings (grow.py), which `wanted` must repeat."""
    if wanted == ModelConfig():
        return source
    sizes = dict(embed_dim=wanted.embed_dim, hidden_dim=wanted.hidden_dim)
    if replace(wanted, vocab_size=source.vocab_size) != replace(source, **sizes):
        raise PoetryGenError(f"a run with init={init} takes that model's settings; give no model config but the "
                             "embedding and hidden sizes to grow it to")
    return replace(source, **sizes)


@torch.no_grad()
def warm_start(model: PoetryLM, vocab: Vocab, source: Checkpoint) -> int:
    """Copy `source`'s weights into `model` (the same settings but for the vocabulary, `vocab`): every
    weight whole, and the per-token rows (PoetryLM.VOCAB_ROWS) of each token both vocabularies hold.
    A token new to `source` gets the mean of its rows (Hewitt 2021: a random row can outscore every known
    token) and the output bias of its rarest character, so that the new tokens, mostly rare characters,
    take little probability before training. Returns how many tokens `source` knew."""
    known = [(i, source.vocab.stoi[token]) for i, token in enumerate(vocab.itos) if token in source.vocab.stoi]
    new_ids, old_ids = (torch.tensor(ids) for ids in zip(*known))
    fresh = torch.ones(len(vocab), dtype=torch.bool)
    fresh[new_ids] = False
    target = model.state_dict()
    for name, weights in source.model.state_dict().items():
        weights = weights.to(target[name].device)
        if name in PoetryLM.VOCAB_ROWS:
            chars = weights[source.vocab.first_char_id:]
            target[name][fresh] = chars.min() if name == "head.bias" else chars.mean(dim=0)
            target[name][new_ids] = weights[old_ids]
        else:
            target[name].copy_(weights)
    return len(known)


class _Saver:
    """Rank 0's files: metrics.jsonl, the resumable OUT.last.pt at every evaluation, OUT when validation
    perplexity improves. The corpus's theme words (theme.py) and plan table (plan.py) travel in every checkpoint."""

    def __init__(self, state: _Training, device: torch.device):
        run = state.config.run
        self.state, self.device = state, device
        self.out, self.last = Path(run.out), last_checkpoint_path(run.out)
        self.metrics = _metrics_path(run.out)
        if _continues_out(run):
            self._keep_metrics_to(state.progress.step)
        else:
            write_atomic(self.metrics, "")
        optim = state.config.optim
        self.theme_words = load_theme_words(run.data) if optim.keyword_rate > 0 or optim.plan_rate > 0 else None
        self.plan_words = load_plan_words(run.data) if optim.plan_rate > 0 else None

    def _keep_metrics_to(self, step: int) -> None:
        """The metrics rows up to `step`: a run killed after its last checkpoint wrote rows the resumed
        run writes again (and may have left half a row)."""
        if not self.metrics.exists():
            return
        rows = []
        for line in self.metrics.read_text(encoding="utf-8").splitlines():
            try:
                row = json.loads(line)
            except json.JSONDecodeError:
                continue
            if isinstance(row, dict) and isinstance(row.get("step"), int) and row["step"] <= step:
                rows.append(line + "\n")
        write_atomic(self.metrics, "".join(rows))

    def check_finite(self) -> None:
        if not _all_finite(self.state.model):
            raise PoetryGenError(f"training diverged at step {self.state.progress.step} (non-finite weights); "
                                 f"the last good checkpoint {self.last} is kept — try a lower --lr")

    def save(self, path: Path, with_optimizer: bool) -> None:
        s, run = self.state, self.state.config.run
        train_state = asdict(s.progress) | {"optim_config": asdict(s.config.optim), "run_config": asdict(run),
                                            "world_size": run.world_size}
        if with_optimizer:
            train_state["optimizer"] = s.optimizer.state_dict()
        save_checkpoint(path, model=s.model, vocab=s.vocab, train_state=train_state, theme_words=self.theme_words,
                        plan_words=self.plan_words)

    def evaluate_and_save(self, train_loss: Optional[float]) -> str:
        """Validation perplexity, a metrics line and the checkpoints; returns the line to show."""
        progress = self.state.progress
        self.check_finite()
        val_ppl = None
        if self.state.val_batches:
            nll, count = batches_nll(self.state.model, self.state.val_batches, self.device)
            val_ppl = math.exp(nll / count)
        improved = val_ppl is None or progress.best_val_ppl is None or val_ppl < progress.best_val_ppl
        progress.val_ppl = val_ppl
        progress.best_val_ppl = val_ppl if improved else progress.best_val_ppl
        record = {"step": progress.step, "epoch": progress.epoch, "elapsed_s": round(progress.elapsed_s, 1),
                  "chars_seen": progress.chars_seen, "train_loss": train_loss, "val_ppl": val_ppl,
                  "lr": self.state.lr(progress.step - 1)}
        fd = os.open(self.metrics, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW, 0o666)
        with open(fd, "a", encoding="utf-8") as f:
            f.write(json.dumps(record) + "\n")
        # The best model first: a run killed between the two writes resumes from the older .last.pt and
        # finds the same best again, where the other order would lose it (.last.pt would hold it as best).
        if improved:
            self.save(self.out, with_optimizer=False)
        self.save(self.last, with_optimizer=True)
        shown = lambda x: "n/a" if x is None else f"{x:.3f}"  # noqa: E731
        return (f"step {progress.step} epoch {progress.epoch}: train loss {shown(train_loss)}, val ppl "
                f"{shown(val_ppl)}" + (" (best, saved)" if improved else f" (best {shown(progress.best_val_ppl)})"))


class _Monitor:
    """The training loss as it comes (kept on the device between syncs), the progress bar, and the
    evaluations, which only rank 0 runs. Every process takes part in each `sync`."""

    def __init__(self, state: _Training, device: torch.device):
        run = state.config.run
        self.state, self.world_size = state, run.world_size
        self.saver = _Saver(state, device) if run.rank == 0 else None
        self.window = _LossWindow(device)
        self.bar = tqdm(total=state.progress.schedule_steps, initial=state.progress.step, unit="step",
                        disable=not (run.progress and self.saver), dynamic_ncols=True)
        self.eval_nll, self.eval_count = 0.0, 0  # training loss since the last evaluation, for metrics.jsonl

    def sync(self, interrupt: bool, timeout: bool) -> tuple[bool, bool]:
        """End a logging window: the (all-reduced) mean loss to the progress bar, and whether any process
        wants to stop. Its .tolist() is the only host synchronisation of the window."""
        w = self.window
        stats = torch.stack([w.nll, w.tensor(w.count), w.tensor(interrupt), w.tensor(timeout)])
        if self.world_size > 1:
            dist.all_reduce(stats)
        nll, count, interrupts, timeouts = stats.tolist()
        if not math.isfinite(nll):
            raise PoetryGenError(f"training diverged: the loss became {nll} by step {self.state.progress.step}; the "
                                 f"last good checkpoint {last_checkpoint_path(self.state.config.run.out)} is kept "
                                 f"— try a lower --lr")
        self.eval_nll, self.eval_count = self.eval_nll + nll, self.eval_count + int(count)
        chars_s = w.chars / max(time.perf_counter() - w.since, 1e-9)
        self.bar.set_postfix(loss=f"{nll / max(count, 1):.3f}", chars_s=f"{chars_s:,.0f}",
                             lr=f"{self.state.lr(self.state.progress.step - 1):.2e}")
        w.reset()
        return interrupts > 0, timeouts > 0

    def evaluate(self) -> None:
        if self.saver:
            loss = self.eval_nll / self.eval_count if self.eval_count else None
            self.bar.write(self.saver.evaluate_and_save(loss))
        self.eval_nll, self.eval_count = 0.0, 0

    def interrupted(self) -> None:
        """Write the resumable checkpoint of an interrupted run (rank 0)."""
        if self.saver:
            self.saver.check_finite()
            self.saver.save(self.saver.last, with_optimizer=True)
            print(f"interrupted at step {self.state.progress.step}; resumable checkpoint written: "
                  f"{self.saver.last} (continue with --resume {self.saver.last})")


def _train(config: TrainConfig, device: torch.device) -> Path:
    state = _start(config, device)
    run, optim, progress, model = state.config.run, state.config.optim, state.progress, state.model
    amp = default_amp(device) if run.amp is None else run.amp
    train_model = model
    if run.world_size > 1:
        train_model = DistributedDataParallel(model, device_ids=[device.index] if device.type == "cuda" else None)
    monitor = _Monitor(state, device)
    start, elapsed_before = time.perf_counter(), progress.elapsed_s
    last_eval_step = progress.step if run.resume else -1
    interrupted = False
    model.train()
    with _StopRequest() as signals:
        plan = state.plan(progress.epoch) if progress.epoch < run.epochs else None
        while progress.epoch < run.epochs and not (run.max_steps and progress.step >= run.max_steps):
            batch = make_batch(state.train_poems, plan.batches[progress.batch_index], plan.prefixes,
                               run.rank, run.world_size)
            torch.manual_seed(hash((optim.seed, progress.step, run.rank)))  # dropout masks: exact on resume
            loss = train_step(train_model, state.optimizer, batch, device, amp=amp, grad_clip=optim.grad_clip,
                              lr=state.lr(progress.step), world_size=run.world_size)
            monitor.window.add(loss, batch)
            progress.step += 1
            progress.batch_index += 1
            progress.chars_seen += batch.chars
            progress.elapsed_s = elapsed_before + time.perf_counter() - start
            epoch_done = progress.batch_index == len(plan.batches)
            if epoch_done:
                progress.epoch, progress.batch_index = progress.epoch + 1, 0
            monitor.bar.update(1)

            at_eval = epoch_done or progress.step % run.eval_interval == 0
            timeout = bool(run.max_minutes and progress.elapsed_s >= 60 * run.max_minutes)
            # Every process must take part in each sync, so a distributed run only syncs on steps all of
            # them know about; a single process also syncs as soon as it wants to stop.
            wants_stop = run.world_size == 1 and (signals.requested or timeout)
            if at_eval or progress.step % run.log_interval == 0 or wants_stop:
                interrupted, timed_out = monitor.sync(signals.requested, timeout)
                if interrupted:
                    break
                if at_eval or timed_out:
                    monitor.evaluate()
                    last_eval_step = progress.step
                if timed_out:
                    break
            if epoch_done and progress.epoch < run.epochs:
                plan = state.plan(progress.epoch)
        if not interrupted and last_eval_step != progress.step:
            monitor.sync(False, False)
            monitor.evaluate()
    monitor.bar.close()
    if interrupted:
        monitor.interrupted()
    if run.world_size > 1:
        # Rank 0 evaluates and saves last; a process that tears its group down meanwhile can abort (gloo: SIGABRT).
        dist.barrier()
    if interrupted:
        raise KeyboardInterrupt
    return Path(run.out)


class _LossWindow:
    """Training loss and characters since the last progress update, kept on the device (no host sync)."""

    def __init__(self, device):
        self.device = device
        self.reset()

    def tensor(self, value) -> torch.Tensor:
        return torch.tensor(float(value), dtype=torch.float64, device=self.device)

    def reset(self):
        self.nll = torch.zeros((), dtype=torch.float64, device=self.device)
        self.count, self.chars, self.since = 0, 0, time.perf_counter()

    def add(self, loss: torch.Tensor, batch: Batch):
        self.nll += loss.double() * batch.scored
        self.count += batch.scored
        self.chars += batch.chars
