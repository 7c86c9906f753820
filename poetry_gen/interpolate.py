"""A fine-tuned model mixed back with the model it was fine-tuned from, weight by weight (WiSE-FT:
Wortsman et al. 2022, "Robust fine-tuning of zero-shot models"):

    weights = (1 - alpha) · base + alpha · fine-tuned

Fine-tuning the Tang model on Tang shi, ci and couplets taught it the ci and couplets but cost some of
its shi; the mixture keeps most of both, and at alpha 0.5 to 0.9 writes Tang shi at a lower test
perplexity than either model (the model card's table). The two must share one trajectory, the fine-tune
having started from the base (`train --init`): the weights of unrelated runs do not mix.

The fine-tune's vocabulary is the mixture's. A token the base never knew keeps the fine-tune's rows whole:
its base rows would only be warm_start's placeholder. A fine-tune that grew the base wider (`train --init
--embed/--hidden`, grow.py) is mixed with the base grown again the same way, so both ends of the line are
points of the one trajectory.
"""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Optional

import torch

from .checkpoint import Checkpoint
from .errors import PoetryGenError
from .grow import widen
from .model import PoetryLM
from .train import warm_start


@torch.no_grad()
def interpolate(base: Checkpoint, finetuned: Checkpoint, alpha: float, base_file: Optional[str] = None) -> PoetryLM:
    """The model (eval mode) whose weights are (1 - alpha) · `base` + alpha · `finetuned`, in the
    fine-tune's vocabulary. `base_file`, the base's path, lets a fine-tune that grew wider check that it
    grew from that file."""
    if not 0 <= alpha <= 1:
        raise PoetryGenError(f"alpha must be between 0 (the base) and 1 (the fine-tune), not {alpha}")
    base_size = (base.config.embed_dim, base.config.hidden_dim)
    size = (finetuned.config.embed_dim, finetuned.config.hidden_dim)
    same_but_sizes = replace(base.config, vocab_size=finetuned.config.vocab_size, embed_dim=size[0],
                             hidden_dim=size[1]) == finetuned.config
    if not same_but_sizes or base_size[0] > size[0] or base_size[1] > size[1]:
        raise PoetryGenError("the base and the fine-tune have different model settings; only a fine-tune of the "
                             "base (train --init) can be mixed with it")
    if base_size != size:
        base = _grown_as_trained(base, finetuned, base_file)
    model = PoetryLM(finetuned.config)
    warm_start(model, finetuned.vocab, base)  # the base's weights, in the fine-tune's vocabulary
    new_to_base = torch.tensor([token not in base.vocab.stoi for token in finetuned.vocab.itos])
    tuned = finetuned.model.state_dict()
    mixed = {}
    for name, weights in model.state_dict().items():
        mixed[name] = torch.lerp(weights, tuned[name], alpha)
        if name in PoetryLM.VOCAB_ROWS:
            mixed[name][new_to_base] = tuned[name][new_to_base]
    model.load_state_dict(mixed)  # out of place: tied weights are one tensor under two names
    return model.eval()


def _grown_as_trained(base: Checkpoint, finetuned: Checkpoint, base_file: Optional[str]) -> Checkpoint:
    """`base` grown to the size of a fine-tune that grew it (train --init --embed/--hidden), with the very
    same new units: training grows its --init straight after seeding torch's generator with the run's seed
    (train.py), so seeding it again draws the same ones. Their outgoing weights are zero, so the grown base
    still computes the base."""
    optim = finetuned.train_state.get("optim_config") or {}
    init, seed = optim.get("init"), optim.get("seed")
    if init is None or seed is None:
        raise PoetryGenError("the fine-tune is wider than the base but does not record the --init and seed it grew "
                             "with, so its growth cannot be repeated")
    if base_file is not None and Path(init).name != Path(base_file).name:
        raise PoetryGenError(f"the fine-tune grew from {init}, not {base_file}: a fine-tune wider than its base mixes "
                             "only with the checkpoint it grew from")
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return widen(base, finetuned.config.embed_dim, finetuned.config.hidden_dim)
