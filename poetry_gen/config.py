"""Every option of poetry_gen, declared once, with its default, its help text and its command-line flag.

    ModelConfig      the network: model.py builds it, every checkpoint stores it
    OptimConfig      the data and optimisation of a training run: stored, and kept by a resumed run
    RunConfig        how a training run runs (length, logging, device): a resumed run takes the caller's
    TrainConfig      the three together: what train.train takes
    SamplingOptions  how a generator writes poems: Generator.acrostic/generate and `poetry-gen generate`
    BenchOptions     what `poetry-gen bench` measures

A field's default is the value used when nothing is said, by the library and the command line alike:
`ModelConfig()` is the model `poetry-gen train` builds. cli.py makes one option per field (argparse
`dest` = the field's name) from the metadata `option` puts on it, so adding an option means adding a
field here, and the code that uses it. `validate` (run on construction) raises PoetryGenError with a
one-line message. This module imports neither torch nor anything else heavy: the CLI reads it to
build its parser.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field, fields
from typing import Any, Optional, Union

from .checks import check_real, check_text, check_whole, shown, shown_value
from .errors import PoetryGenError
from .files import names_no_file
from .prosody import validate_rhyme_group

DEVICES = ("auto", "cpu", "cuda")
PRECISIONS = ("auto", "float32", "bfloat16")  # of the matrices when writing poems (bfloat16.py)
# corpus build --collection: the chinese-poetry collections, in the order a build reads them (of two
# duplicates the first wins, so a Tang poem keeps its split whatever is built with it), and the names
# that stand for several
COLLECTIONS = ("tang", "song", "songci", "huajianji", "nantang")
COLLECTION_GROUPS = {"shi": ("tang", "song"), "ci": ("songci", "huajianji", "nantang"), "all": COLLECTIONS}
ATTENTION_TYPES = ("none", "causal")
ATTENTION_COMBINES = ("residual", "luong")
ATTENTION_VALUES = ("embedding", "hidden")
CHANNEL_ATTENTION_TYPES = ("none", "se", "eca")
TONES = ("soft", "strict", "off")
# How a checkpoint stores its weights (checkpoint.save_checkpoint): float32 as trained; for shipping,
# float16, or int8 for every weight matrix (embedding, LSTM, attention, output layer) with float16 biases.
WEIGHT_FORMATS = ("float32", "float16", "int8")
MAX_NUM = 4096  # the most candidates one call writes (one batch)
MAX_THREADS = 1024
MAX_WIDTH = 1 << 16  # embedding and hidden sizes: 64 times the shipped model's, far past what fits a GPU
MAX_LAYERS = 64
MAX_REPEAT = 100  # times an epoch train --repeat may read a part of the corpus
GREEDY_BELOW = 1e-5  # a temperature below this draws the likeliest token
NOISY_ABOVE = 1.5  # a temperature above this draws enough unlikely characters to lose the sense
MAX_REQUEST_CHARS = 500  # the most characters of each text of a request: a 律诗 has 64, a theme a sentence
_UNSET = dataclasses.MISSING


def option(default=_UNSET, help: str = "", *, flag: Optional[str] = None, absent: Any = _UNSET,
           cli: bool = True, **argparse_settings):
    """A config field with what the command line shows of it: `help`, `flag` (default: --field-name) and
    further argparse settings (choices, metavar, required). `absent`: what a stored config that lacks the
    field meant, when that differs from `default` (the model built before the option existed).
    `cli=False`: not a command-line option."""
    metadata = {"help": help, "flag": flag, "absent": absent, "cli": cli, "argparse": argparse_settings}
    return field(default=default, metadata=metadata)


def flag(f: dataclasses.Field) -> str:
    """The command-line flag of a config field."""
    return f.metadata.get("flag") or "--" + f.name.replace("_", "-")


def from_stored(cls, stored: dict):
    """An instance of config class `cls` from a dict a checkpoint stored: fields it lacks take their
    `absent` value (what was built before the field existed), else the default. Unknown keys (a
    newer poetry-gen's options) raise TypeError."""
    missing = {f.name: f.metadata["absent"] for f in fields(cls)
               if f.name not in stored and f.metadata.get("absent", _UNSET) is not _UNSET}
    return cls(**stored, **missing)


def _label(config, name: str) -> str:
    """How a message names a field: by its command-line flag, where it has one."""
    f = next(f for f in fields(config) if f.name == name)
    return flag(f) if f.metadata.get("cli", True) else name


def _check_whole(config, **bounds) -> None:
    """Each named field of `config` a whole number in its (low, high) (high None: no upper bound)."""
    for name, (low, high) in bounds.items():
        check_whole(getattr(config, name), _label(config, name), low, high)


def _check_real(config, **bounds) -> None:
    """Each named field of `config` a finite number in its (low, high, ends): ends "[]", "[)" or "()"."""
    for name, (low, high, ends) in bounds.items():
        check_real(getattr(config, name), _label(config, name), low, high,
                   low_open=ends[0] == "(", high_open=ends[1] == ")")


def _one_of(name: str, value, allowed) -> None:
    if value not in allowed:
        raise PoetryGenError(f"{name} must be one of {', '.join(map(str, allowed))}, not {shown(value)}")


@dataclass
class ModelConfig:
    vocab_size: int = option(0, "set from the corpus's vocabulary", cli=False)
    embed_dim: int = option(256, "embedding size", flag="--embed", metavar="N")
    hidden_dim: int = option(512, "LSTM hidden size", flag="--hidden", metavar="N")
    num_layers: int = option(2, "LSTM layers", flag="--layers", metavar="N")
    dropout: float = option(0.25, "dropout on the embeddings, between LSTM layers and before the output layer",
                            metavar="P")
    attention: str = option("causal", "causal self-attention over the LSTM's past hidden states, or none (none with "
                            "--embed 128 --hidden 256 --layers 2 --dropout 0 is the classic Neural Poet model)",
                            choices=ATTENTION_TYPES)
    attention_heads: int = option(4, "attention heads", flag="--heads", metavar="N")
    attention_span: int = option(0, "attend to the last N positions only (0: all)", flag="--span", metavar="N")
    tie_weights: bool = option(False, "tie the output layer to the embedding (Press & Wolf 2017)", flag="--tie")
    # Measured against luong and hidden (checkpoints/README.md); models from before these were options
    # were built luong/hidden, which is what a stored config without them means.
    attention_combine: str = option("residual", "how the attention's context joins the LSTM's output: added to "
                                    "it (residual, starting at zero) or tanh(W[h; context]) (Luong et al. 2015)",
                                    flag="--combine", absent="luong", choices=ATTENTION_COMBINES)
    attention_values: str = option("embedding", "what the attention reads at the positions it weights: the "
                                   "characters' embeddings or the LSTM's hidden states", flag="--values",
                                   absent="hidden", choices=ATTENTION_VALUES)
    channel_attention: str = option("none", "rescale each channel of the LSTM's output by a gate from the running "
                                    "mean of its outputs so far: two linear layers (se, Hu et al. 2018) or a 1-D "
                                    "convolution across the channels (eca, Wang et al. 2020); see channel_attention.py",
                                    choices=CHANNEL_ATTENTION_TYPES)

    def __post_init__(self):
        self.validate()

    def validate(self) -> "ModelConfig":
        _one_of("attention", self.attention, ATTENTION_TYPES)
        _one_of("attention_combine", self.attention_combine, ATTENTION_COMBINES)
        _one_of("attention_values", self.attention_values, ATTENTION_VALUES)
        _one_of("channel_attention", self.channel_attention, CHANNEL_ATTENTION_TYPES)
        _check_whole(self, vocab_size=(0, None), embed_dim=(1, MAX_WIDTH), hidden_dim=(1, MAX_WIDTH),
                     num_layers=(1, MAX_LAYERS), attention_heads=(1, MAX_WIDTH), attention_span=(0, None))
        _check_real(self, dropout=(0, 1, "[)"))
        if not isinstance(self.tie_weights, bool):
            raise PoetryGenError(f"tie_weights is True or False, not {shown(self.tie_weights)}")
        if self.attention != "none" and self.hidden_dim % self.attention_heads:
            raise PoetryGenError(f"hidden_dim {self.hidden_dim} is not divisible by {self.attention_heads} "
                                 f"attention heads")
        return self


def parse_repeats(spec: Optional[str]) -> dict[str, int]:
    """'tang=2,couplet=1' → {"tang": 2, "couplet": 1}; None or "" → {}."""
    if spec is None:
        return {}
    if not isinstance(spec, str):
        raise PoetryGenError(f"repeat is a text like tang=2, not {type(spec).__name__}")
    repeats = {}
    for part in filter(None, (p.strip() for p in spec.split(","))):
        name, _, times = part.partition("=")
        name = name.strip()
        if not name or not times.strip().isdecimal():  # isdigit takes ², which int() refuses
            raise PoetryGenError(f"--repeat takes NAME=K, K a whole number, e.g. tang=2; not {shown(part)}")
        repeats[name] = check_whole(int(times), f"--repeat {name}", 1, MAX_REPEAT)
    return repeats


@dataclass
class OptimConfig:
    """Batches and optimisation: AdamW, linear warmup, then cosine decay to lr × min_lr_ratio."""
    batch_size: int = option(128, "poems per global batch (over all processes)", metavar="N")
    batch_tokens: int = option(0, "cap a batch at N padded tokens, so that long poems come fewer a batch "
                               "(0: 128 a poem)", metavar="N")
    keyword_rate: float = option(0.3, "fraction of poems trained with a keyword prefix (theme conditioning); "
                                 "0 turns it off", metavar="P")
    # Runs from before these options fed neither form tokens nor plans: what a stored config without them means.
    plan_rate: float = option(0.5, "fraction of poems trained with their plan before them, one keyword per line "
                              "(plan.py); the keyword prefix goes to other poems, so --keyword-rate plus this is "
                              "at most 1; 0 turns it off", metavar="P", absent=0.0)
    form_rate: float = option(0.8, "fraction of poems trained with their form's control token before them "
                              "(conditioning.py), where the corpus's vocabulary has one; 0 turns it off",
                              metavar="P", absent=0.0)
    # A Tang+ci+couplets corpus is about half Tang shi, and models trained on such mixtures read worse as
    # shi than the Tang-only model (checkpoints/README.md): reading the shi more often weights them up.
    repeat: Optional[str] = option(None, "read the train items of a collection or genre K times an epoch, e.g. "
                                   "tang=2 or shi=3,couplet=1 (the names corpus build writes in {split}.tags.json: "
                                   "tang, song, songci, …, or shi, ci, couplet); an item two names match is read "
                                   "the larger K times", metavar="NAME=K,…", absent=None)
    seed: int = option(0, "seeds the weights, the batches and dropout")
    # Warm start: a run on the whole collection can go on from the model trained on Tang poems alone,
    # instead of spending its first hours relearning what that model knows.
    init: Optional[str] = option(None, "start from trained model CKPT (a run's checkpoint or an exported file): "
                                 "its model settings, and its weights, a token's rows wherever both "
                                 "vocabularies hold the token; tokens new to it start fresh. With --embed or "
                                 "--hidden, CKPT grown to those sizes first, computing what it did (grow.py)",
                                 metavar="CKPT")
    lr: float = option(2e-3, "peak learning rate")
    min_lr_ratio: float = option(0.1, "final learning rate / peak", metavar="R")
    warmup_steps: int = option(200, "steps of linear warmup", flag="--warmup", metavar="STEPS")
    weight_decay: float = option(0.01, "AdamW weight decay of the weight matrices", metavar="W")
    grad_clip: float = option(1.0, "gradient norm clipping (0: off)", flag="--clip", metavar="NORM")

    def __post_init__(self):
        self.validate()

    def validate(self) -> "OptimConfig":
        _check_whole(self, batch_size=(1, None), batch_tokens=(0, None), seed=(0, 2 ** 63 - 1),
                     warmup_steps=(0, None))
        _check_real(self, keyword_rate=(0, 1, "[]"), plan_rate=(0, 1, "[]"), form_rate=(0, 1, "[]"),
                    lr=(0, None, "()"), min_lr_ratio=(0, 1, "[]"), weight_decay=(0, None, "[]"),
                    grad_clip=(0, None, "[]"))
        parse_repeats(self.repeat)
        if not isinstance(self.init, (str, type(None))):  # a Path would make the checkpoint unloadable (weights_only)
            raise PoetryGenError(f"--init is the path of a checkpoint, as text, not {shown_value(self.init)}")
        if self.keyword_rate + self.plan_rate > 1:
            raise PoetryGenError(f"--keyword-rate {self.keyword_rate:g} and --plan-rate {self.plan_rate:g} share the "
                                 f"poems: together at most 1")
        return self


@dataclass
class RunConfig:
    """How a run runs; a resumed run takes these from its caller, the model and OptimConfig from its checkpoint."""
    data: str = option(help="a built corpus (poetry-gen corpus build)", metavar="DIR", required=True)
    out: str = option(help="where the best model goes, e.g. runs/a/model.pt", metavar="CKPT", required=True)
    epochs: int = option(12, "passes over the training poems")  # the ablation found 12 epochs 8% better than 8
    max_steps: int = option(0, "stop at global step N, which also sets the LR schedule (0: no limit)", metavar="N")
    max_minutes: float = option(0.0, "stop after M minutes of training, resumably; a resumed run counts the "
                                "earlier time (0: no limit)", metavar="M")
    eval_interval: int = option(500, "validate and checkpoint every STEPS steps (and at every epoch's end)",
                                metavar="STEPS")
    log_interval: int = option(20, "progress-bar update interval (the only host syncs on a GPU)", metavar="STEPS")
    resume: Optional[str] = option(None, "a resumable checkpoint (OUT.last.pt) to continue from", cli=False)
    device: str = option("auto", "auto: CUDA when available", choices=DEVICES)
    amp: Optional[bool] = option(None, "bf16 autocast (default: on for CPUs with native bf16 instructions, where it "
                                 "is faster; off on GPUs, which train in float32 with TF32)")
    threads: int = option(0, "CPU threads for torch (0: torch's choice)", metavar="N")
    progress: bool = option(True, "no progress bar", flag="--no-progress")
    overwrite: bool = option(False, "start afresh over an existing run at --out (its checkpoints and metrics.jsonl "
                             "are replaced); without it a run is only continued, with --resume")
    rank: int = option(0, "this process's rank under torchrun", cli=False)
    world_size: int = option(1, "processes under torchrun", cli=False)
    local_rank: int = option(0, "this process's rank on its node under torchrun", cli=False)

    def __post_init__(self):
        self.validate()

    def validate(self) -> "RunConfig":
        check_run_out(self.out)
        _one_of("device", self.device, DEVICES)
        _check_whole(self, epochs=(1, None), max_steps=(0, None), eval_interval=(1, None), log_interval=(1, None),
                     threads=(0, MAX_THREADS), rank=(0, None), world_size=(1, None), local_rank=(0, None))
        _check_real(self, max_minutes=(0, None, "[]"))
        return self


def check_run_out(out) -> str:
    """`out`, where a training run writes its best model: text (it is stored in the checkpoint) naming a file
    (names_no_file: not '', '.', 'run/')."""
    if not isinstance(out, str) or names_no_file(out):
        raise PoetryGenError(f"--out must name the checkpoint to write (e.g. runs/a/model.pt), not {shown_value(out)}")
    return out


@dataclass
class TrainConfig:
    model: ModelConfig
    optim: OptimConfig
    run: RunConfig

    @classmethod
    def from_options(cls, **options) -> "TrainConfig":
        """A TrainConfig from fields of its three parts by name (options not given keep their defaults)."""
        parts = [{f.name: options.pop(f.name) for f in fields(part) if f.name in options}
                 for part in (ModelConfig, OptimConfig, RunConfig)]
        if options:
            raise TypeError(f"unknown training options: {', '.join(options)}")
        return cls(ModelConfig(**parts[0]), OptimConfig(**parts[1]), RunConfig(**parts[2]))


@dataclass(frozen=True)
class SamplingOptions:
    """How poems are written; the request (heads, start text, form) is given beside them."""
    num: int = option(1, "poems to print, best first (of --candidates, or N when more)", metavar="N")
    candidates: int = option(16, "poems written as one batch and judged by the model's mean log-probability "
                             "plus the weighted signals of --weights (rerank.py); 1: no judging, the model's "
                             "own order", metavar="N")
    weights: str = option("coherence=0.5,theme=2,repetition=5,parallelism=1,rule_breaks=0.2", "how much each "
                          "judging signal adds to the model's mean log-probability: coherence (how much the "
                          "earlier lines make each line likelier), theme (how much the theme's keywords make the "
                          "poem likelier, a keyword counted once), repetition (minus the share of repeated "
                          "characters), parallelism (对仗 of a 律诗's middle couplets, 0-1), rule_breaks (minus the "
                          "lines with 三平尾, 孤平 or an odd line ending 平)", metavar="NAME=W,...")
    seed: Optional[int] = option(None, "the same seed and options write the same poems (default: a random one)")
    temperature: float = option(0.8, "0: always the likeliest character", metavar="T")
    top_k: int = option(0, "draw among the K likeliest characters only; 0: all", metavar="K")
    top_p: float = option(0.9, "draw among the likeliest characters holding probability P together; 1: all",
                          metavar="P")
    # 1.5 keeps repeats at or below real poems' (issue 19: 0.023 of characters before judging, 1.0 gave 0.040)
    repeat_penalty: float = option(1.5, "subtracted from the logit of a character already in the poem", metavar="X")
    tone_penalty: float = option(3.0, "with --tones soft: subtracted from the logit of a character whose tone "
                                 "breaks the template", metavar="X")
    prefix: Optional[str] = option(None, "prime the model with TEXT (not part of the poem)", metavar="TEXT")
    # True: a 平声 group the model picks (or the start text's); a group's name such as 东; False: free.
    rhyme: Union[bool, str] = option(True, cli=False)
    tones: str = option("soft", "keep the key positions (2, 4, 6, line end) to a tone template: soft down-weights "
                        "characters that break it, strict forbids them", choices=TONES)
    theme: Optional[str] = option(None, "write on a theme: a request (写一首关于秋天思乡的七言绝句) or words (秋 思乡 "
                                  "明月); its keywords condition the poem, a form it names is used unless --form, "
                                  "--chars or --lines says otherwise; goes with --acrostic and --start, not with "
                                  "--prefix", metavar="TEXT")
    must_include: Optional[str] = option(None, "the poem must hold these characters (竹, or \"竹 梅\"): the decoder "
                                         "places each where the model likes it, and only when the poem's last "
                                         "free positions run out makes the model write it", metavar="TEXT")
    # 8: 36 requests (benchmarks/must_include.py) put it in the last open position 0 times (0: 31 of 36,
    # without the ramp 4 did 4 times but put it first 10 times)
    include_boost: float = option(8.0, "with --must-include: added, growing from 0 at the poem's first open "
                                  "position to X at its last, to the logit of each required character not yet "
                                  "written, so that the model writes it where it fits rather than where the "
                                  "poem runs out of room", metavar="X")
    # Off by default: read blind (two readers, 24 poems), the stage-2 model's poems with expanded plans read
    # worse than without (the model card's "Plans, read blind").
    expand_plan: bool = option(False, "for a model trained with plans, and no --plan given: expand the theme's "
                               "keywords (or nothing) into a plan, one word per line, from the corpus's "
                               "co-occurrence table (plan.py)")
    # A plan the user writes, one word per line (plan.py); None: the generator expands the theme (or nothing)
    # into one, with expand_plan, for a model trained with plans. A list or a string of words is taken as a
    # tuple of words.
    plan: Optional[tuple] = option(None, cli=False)

    def __post_init__(self):
        if self.plan is not None:
            from .plan import check_plan_words

            object.__setattr__(self, "plan", tuple(check_plan_words(self.plan)))  # frozen: set once, checked
        self.validate()

    def validate(self) -> "SamplingOptions":
        check_whole(self.num, "num", 1, MAX_NUM)
        if self.seed is not None:
            check_whole(self.seed, "a seed", 0, 2 ** 64 - 1)
        check_real(self.temperature, "temperature", 0)
        check_whole(self.top_k, "top-k", 0)
        check_real(self.top_p, "top-p", 0, 1, low_open=True)
        check_real(self.repeat_penalty, "the repeat penalty", 0)
        check_real(self.tone_penalty, "the tone penalty", 0)
        check_real(self.include_boost, "the include boost", 0)
        if not isinstance(self.rhyme, (bool, str)):
            raise PoetryGenError(f"rhyme is True, False or a 平声 group such as 东, not {shown(self.rhyme)}")
        for name in ("prefix", "theme", "must_include"):
            if getattr(self, name) is not None:
                check_text(getattr(self, name), name, MAX_REQUEST_CHARS)
        check_text(self.weights, "weights", MAX_REQUEST_CHARS)
        if not isinstance(self.expand_plan, bool):
            raise PoetryGenError(f"expand_plan is True or False, not {shown_value(self.expand_plan)}")
        if self.expand_plan and self.plan is not None:
            raise PoetryGenError("a plan is given or expanded, not both: drop expand_plan (--expand-plan)")
        if isinstance(self.rhyme, str):
            validate_rhyme_group(check_text(self.rhyme, "rhyme group", MAX_REQUEST_CHARS))
        _one_of("tones", self.tones, TONES)
        check_whole(self.candidates, "candidates", 1, MAX_NUM)
        self.weight_map()
        if self.theme is not None and self.prefix:  # the model was trained on keyword prefixes or none
            raise PoetryGenError("a theme does not go with a prefix: the theme's keywords are the prefix")
        if self.plan is not None and self.prefix:
            raise PoetryGenError("a plan does not go with a prefix: the plan is the prefix")
        return self

    def weight_map(self) -> dict:
        """`weights` as {signal: weight} (checked)."""
        from .rerank import parse_weights

        return parse_weights(self.weights)

    @property
    def rows(self) -> int:
        """How many poems one batch writes: --num, or more to judge (one when greedy: all would be the same)."""
        return self.num if self.greedy else max(self.num, self.candidates)

    @property
    def greedy(self) -> bool:
        """Whether the temperature is (about) 0: always the likeliest character, the limit of sampling as T → 0."""
        return self.temperature < GREEDY_BELOW

    def warnings(self) -> list:
        """Settings that do not do what they seem to, one sentence each."""
        out = []
        if self.greedy and self.num > 1:
            out.append(f"temperature {self.temperature:g} always takes the likeliest character, so the {self.num} "
                       f"candidates are one poem {self.num} times; sample with a temperature above 0 for "
                       f"different ones")
        if self.temperature > NOISY_ABOVE:
            out.append(f"temperature {self.temperature:g} flattens the model's choices: expect rare characters "
                       f"and lines that make no sense (1 samples the model as trained; the default is "
                       f"{SamplingOptions.temperature:g})")
        return out


BENCH_HEADS, BENCH_FORM, BENCH_CANDIDATES = "春夏秋冬", "七绝", 64  # the acrostic whose latency bench measures


@dataclass(frozen=True)
class BenchOptions:
    data: str = option(help="a built corpus: its train split's poems are timed", metavar="DIR", required=True)
    checkpoint: Optional[str] = option(None, "the default row trains this model's architecture, and it writes the "
                                       "timed poems (default: the shipped model; without one, train's default "
                                       "model and no generation)", metavar="CKPT")
    repeats: int = option(3, "timed rounds, each of --steps steps per row", metavar="N")
    steps: int = option(5, "training steps per row and repeat, each on its own batch", metavar="N")
    warmup: int = option(2, "untimed steps per row before the first repeat", metavar="N")
    batch_size: int = option(128, "poems per batch", metavar="N")
    classic_recipe: bool = option(False, "add the classic recipe row: every poem padded to 125 tokens, padding in "
                                  "the loss, float32; the ratios then compare with it")
    device: str = option("auto", "auto: CUDA when available", choices=DEVICES)
    amp: Optional[bool] = option(None, "bf16 autocast for the project's rows (default: as train does on this "
                                 "device); the classic recipe always trains in float32")
    threads: int = option(0, "CPU threads for torch (0: torch's choice)", metavar="N")
    seed: int = option(0, "seeds the models and picks the batches")
    progress: bool = option(False, "a progress bar on stderr", cli=False)

    def __post_init__(self):
        self.validate()

    def validate(self) -> "BenchOptions":
        _check_whole(self, repeats=(1, None), steps=(1, None), batch_size=(1, None), warmup=(0, None),
                     threads=(0, MAX_THREADS), seed=(0, 2 ** 63 - 1))
        _one_of("device", self.device, DEVICES)
        return self
