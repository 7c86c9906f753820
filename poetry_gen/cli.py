"""Command line: parses arguments and calls the library. No logic of its own lives here.

    poetry-gen corpus build SOURCE --out DIR
    poetry-gen train --data DIR --out CKPT
    poetry-gen eval --checkpoint CKPT --poems FILE
    poetry-gen export CKPT OUT
    poetry-gen generate --acrostic 春夏秋冬
    poetry-gen check POEM  |  poetry-gen score FILE
    poetry-gen bench --data DIR
"""
from __future__ import annotations

import argparse
import os
import sys

from .errors import PoetryGenError


# --- corpus -----------------------------------------------------------------------------------

def _add_corpus(sub) -> None:
    from .corpus import COLLECTIONS

    corpus = sub.add_parser("corpus", help="prepare training data from the chinese-poetry collection")
    actions = corpus.add_subparsers(dest="corpus_command", required=True)
    build = actions.add_parser(
        "build", help="clean, split and encode poems into DIR",
        description="Clean, split (train/val/test by a fixed hash of each poem) and encode poems into DIR.")
    build.add_argument("source", metavar="SOURCE",
                       help="a chinese-poetry directory, its npm tarball chinese-poetry-*.tgz (read in place), "
                            "or a UTF-8 text file (or directory of .txt files) with one poem per line")
    build.add_argument("--out", required=True, metavar="DIR", help="output directory (replaced as a whole)")
    build.add_argument("--collection", choices=list(COLLECTIONS), default="tang",
                       help="which poems of a chinese-poetry source (default: tang)")
    build.add_argument("--forms", type=lambda s: [f.strip() for f in s.split(",") if f.strip()],
                       metavar="五绝,七绝,...", help="keep only poems of these forms (五绝, 七绝, 五律, 七律)")
    build.add_argument("--min-count", type=int, default=1, metavar="N",
                       help="characters seen fewer than N times in train become <unk> (default: 1)")
    build.add_argument("--no-keywords", dest="keywords", action="store_false",
                       help="skip jieba keyword extraction (no theme conditioning, faster)")
    build.set_defaults(func=_corpus_build)


def _corpus_build(args) -> int:
    from .corpus import build_corpus, summary

    stats = build_corpus(args.source, args.out, collection=args.collection, forms=args.forms,
                         min_count=args.min_count, keywords=args.keywords)
    print(summary(args.out, stats))
    return 0


# --- train ------------------------------------------------------------------------------------

# TrainConfig field ← option; options left out keep TrainConfig's defaults (kept in one place, and
# building the parser never imports torch). A resumed run takes the FIXED ones from its checkpoint.
_TRAIN_FIXED_OPTIONS = {
    "embed_dim": "--embed", "hidden_dim": "--hidden", "num_layers": "--layers", "dropout": "--dropout",
    "attention": "--attention", "attention_heads": "--heads", "attention_span": "--span",
    "attention_combine": "--combine", "attention_values": "--values",
    "tie_weights": "--tie", "batch_size": "--batch-size", "batch_tokens": "--batch-tokens",
    "keyword_rate": "--keyword-rate", "seed": "--seed", "lr": "--lr", "min_lr_ratio": "--min-lr-ratio",
    "warmup_steps": "--warmup", "weight_decay": "--weight-decay", "grad_clip": "--clip",
}
_TRAIN_RUN_OPTIONS = {
    "epochs": "--epochs", "max_steps": "--max-steps", "max_minutes": "--max-minutes",
    "eval_interval": "--eval-interval", "log_interval": "--log-interval", "device": "--device", "amp": "--amp",
    "threads": "--threads",
}


def _add_train(sub) -> None:
    train = sub.add_parser(
        "train", help="train a model on a built corpus",
        description="Train on DIR's train split; validate on its val split. Writes CKPT (the best model by "
                    "validation perplexity), CKPT's resumable companion (model.pt → model.last.pt, written at "
                    "every validation and on Ctrl-C) and metrics.jsonl beside CKPT. Under torchrun every "
                    "process trains on its share of each global batch (DistributedDataParallel).")
    train.add_argument("--data", required=True, metavar="DIR", help="a built corpus (poetry-gen corpus build)")
    train.add_argument("--out", required=True, metavar="CKPT", help="where the best model goes, e.g. runs/a/model.pt")
    train.add_argument("--resume", nargs="?", const=True, metavar="CKPT",
                       help="continue a run exactly: from CKPT, or without a value from the --out run's .last.pt "
                            "(model, data and optimisation settings come from the checkpoint)")
    model = train.add_argument_group("model (default: embed 256, hidden 512, 2 layers, dropout 0.25, causal "
                                     "attention with 4 heads over the whole past reading the characters' "
                                     "embeddings, added to the LSTM's output; untied)")
    model.add_argument("--embed", type=int, metavar="N", help="embedding size")
    model.add_argument("--hidden", type=int, metavar="N", help="LSTM hidden size")
    model.add_argument("--layers", type=int, metavar="N", help="LSTM layers")
    model.add_argument("--dropout", type=float, metavar="P")
    model.add_argument("--attention", choices=["none", "causal"],
                       help="none + --embed 128 --hidden 256 --layers 2 --dropout 0 is the classic Neural Poet model")
    model.add_argument("--heads", type=int, metavar="N", help="attention heads")
    model.add_argument("--span", type=int, metavar="N", help="attend to the last N positions only (0: all)")
    model.add_argument("--combine", choices=["residual", "luong"],
                       help="how the attention's context joins the LSTM's output: added to it (residual, starting "
                            "at zero) or tanh(W[h; context]) (Luong et al. 2015)")
    model.add_argument("--values", choices=["embedding", "hidden"],
                       help="what the attention reads at the positions it weights: the characters' embeddings or "
                            "the LSTM's hidden states")
    model.add_argument("--tie", action="store_true", default=None, help="tie the output layer to the embedding")
    optim = train.add_argument_group("data and optimisation (default: batch 128 poems, keyword rate 0.3, seed 0, "
                                     "AdamW lr 2e-3 with 200 warmup steps and cosine decay to 0.1×, weight "
                                     "decay 0.01, gradient clipping at 1.0)")
    optim.add_argument("--batch-size", type=int, metavar="N", help="poems per global batch (over all processes)")
    optim.add_argument("--batch-tokens", type=int, metavar="N",
                       help="cap a batch at N padded tokens, so that long poems come fewer a batch "
                            "(default: 128 a poem)")
    optim.add_argument("--keyword-rate", type=float, metavar="P",
                       help="fraction of poems trained with a keyword prefix (theme conditioning); 0 turns it off")
    optim.add_argument("--seed", type=int)
    optim.add_argument("--lr", type=float, help="peak learning rate")
    optim.add_argument("--min-lr-ratio", type=float, metavar="R", help="final learning rate / peak")
    optim.add_argument("--warmup", type=int, metavar="STEPS")
    optim.add_argument("--weight-decay", type=float, metavar="W")
    optim.add_argument("--clip", type=float, metavar="NORM", help="gradient norm clipping (0: off)")
    run = train.add_argument_group("run (default: 12 epochs, validation every 500 steps, device auto)")
    run.add_argument("--epochs", type=int)
    run.add_argument("--max-steps", type=int, metavar="N", help="stop at global step N (also sets the LR schedule)")
    run.add_argument("--max-minutes", type=float, metavar="M", help="stop after M minutes (resumable)")
    run.add_argument("--eval-interval", type=int, metavar="STEPS", help="validate and checkpoint every STEPS steps")
    run.add_argument("--log-interval", type=int, metavar="STEPS", help="progress-bar update interval")
    run.add_argument("--device", choices=["auto", "cpu", "cuda"])
    run.add_argument("--amp", action=argparse.BooleanOptionalAction,
                     help="bf16 autocast (default: on for CPUs with native bf16 instructions, where it is "
                          "faster; off on GPUs, which train in float32 with TF32)")
    run.add_argument("--threads", type=int, metavar="N", help="CPU threads for torch (default: torch's choice)")
    run.add_argument("--no-progress", dest="progress", action="store_false", help="no progress bar")
    train.set_defaults(func=_train)


def distributed_env(environ=None) -> dict:
    """rank, world_size and local_rank as torchrun sets them (a plain run is rank 0 of 1)."""
    env = os.environ if environ is None else environ
    return {"rank": int(env.get("RANK", 0)), "world_size": int(env.get("WORLD_SIZE", 1)),
            "local_rank": int(env.get("LOCAL_RANK", 0))}


def _train(args) -> int:
    from .train import TrainConfig, last_checkpoint_path, train

    chosen = lambda options: {f: getattr(args, o[2:].replace("-", "_"))  # noqa: E731
                              for f, o in options.items() if getattr(args, o[2:].replace("-", "_")) is not None}
    fixed_options, run_options = chosen(_TRAIN_FIXED_OPTIONS), chosen(_TRAIN_RUN_OPTIONS)
    resume = None
    if args.resume:
        if fixed_options:
            given = ", ".join(_TRAIN_FIXED_OPTIONS[f] for f in fixed_options)
            raise PoetryGenError(f"{given}: a resumed run keeps its checkpoint's model, data and optimisation settings")
        resume = str(last_checkpoint_path(args.out)) if args.resume is True else args.resume
    config = TrainConfig(data=args.data, out=args.out, resume=resume, progress=args.progress,
                         **fixed_options, **run_options, **distributed_env())
    best = train(config)
    if config.rank == 0:
        print(f"best model: {best}\nresumable: {last_checkpoint_path(best)}")
    return 0


# --- eval -------------------------------------------------------------------------------------

def _add_eval(sub) -> None:
    ev = sub.add_parser(
        "eval", help="per-character perplexity of a model on poems or a corpus split",
        description="Perplexity over every character of each poem plus its end token (not the begin token, "
                    "not padding). With --data, also over the split's poems that share no line with train.")
    ev.add_argument("--checkpoint", required=True, metavar="CKPT")
    source = ev.add_mutually_exclusive_group(required=True)
    source.add_argument("--poems", metavar="FILE",
                        help="one poem per line, simplified or traditional (normalised like the corpus)")
    source.add_argument("--data", metavar="DIR", help="a built corpus")
    ev.add_argument("--split", default="test", choices=["train", "val", "test"], help="split of --data (default: test)")
    ev.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    ev.add_argument("--json", action="store_true", help="print the result as JSON")
    ev.set_defaults(func=_eval)


def _eval(args) -> int:
    import json

    from .checkpoint import load_checkpoint
    from .evaluate import evaluate_split, perplexity
    from .train import resolve_device

    device = resolve_device(args.device)
    ckpt = load_checkpoint(args.checkpoint, device=device)
    novel = None
    if args.poems:
        from .scorecard import read_poems
        from .text import normalize

        label = args.poems
        whole = perplexity(ckpt.model, ckpt.vocab, [normalize(p) for p in read_poems(args.poems)], device=device)
    else:
        label = f"{args.data} {args.split}"
        whole, novel = evaluate_split(ckpt.model, ckpt.vocab, args.data, args.split, device=device)
    if args.json:
        result = whole.to_dict() | ({"novel": novel.to_dict()} if novel else {})
        print(json.dumps(result, ensure_ascii=False))
        return 0
    print(f"{label}: perplexity {whole.ppl:.2f} over {whole.chars:,} tokens (characters and one end token per "
          f"poem) of {whole.poems:,} poems; {whole.unknown:,} characters unknown to the vocabulary")
    if novel:
        print(f"  poems sharing no line with train: perplexity {novel.ppl:.2f} over {novel.chars:,} tokens "
              f"of {novel.poems:,} poems")
    return 0


# --- export -------------------------------------------------------------------------------------

def _add_export(sub) -> None:
    ex = sub.add_parser(
        "export", help="a checkpoint fit to ship: no optimizer state, float16 weights",
        description="Copy CKPT to OUT without its optimizer state and (unless --float32) with float16 "
                    "weights, which the loader turns back into float32. With --data, also store the corpus's "
                    "attested words, which --theme uses to map modern words to classical ones.")
    ex.add_argument("checkpoint", metavar="CKPT")
    ex.add_argument("out", metavar="OUT")
    ex.add_argument("--float32", dest="half", action="store_false", help="keep float32 weights")
    ex.add_argument("--data", metavar="DIR", help="the built corpus the model was trained on")
    ex.set_defaults(func=_export)


def _export(args) -> int:
    from .checkpoint import export_checkpoint
    from .theme import corpus_theme_words

    words = corpus_theme_words(args.data) if args.data else None
    export_checkpoint(args.checkpoint, args.out, half=args.half, theme_words=words)
    print(f"wrote {args.out} ({os.path.getsize(args.out) / 1e6:.1f} MB)")
    return 0


# --- generate ---------------------------------------------------------------------------------

def _add_generate(sub) -> None:
    from .generator import FREE_LINES, SamplingOptions

    defaults = SamplingOptions()
    gen = sub.add_parser(
        "generate", help="write poems: acrostic, continuing a start, or from scratch",
        description="Write poems with a trained model, in the shape asked for (by construction: every line "
                    "has its characters, '，' after odd lines, '。' after even ones). Output: one couplet (two "
                    "lines with their marks) per line, in simplified characters; candidates (--num) best "
                    "first, separated by a blank line.")
    what = gen.add_mutually_exclusive_group()
    what.add_argument("--acrostic", metavar="HEADS",
                      help="藏头诗: one line per head character, beginning with it (4 heads: a 绝句, 8: a 律诗)")
    what.add_argument("--start", metavar="TEXT", help="continue TEXT (kept in the poem; it may end mid-line)")
    gen.add_argument("--theme", metavar="TEXT",
                     help="write on a theme: a request (写一首关于秋天思乡的七言绝句) or words (秋 思乡 明月); "
                          "its keywords condition the poem, a form it names is used unless --form, --chars or "
                          "--lines says otherwise; goes with --acrostic and --start, not with --prefix")
    shape = gen.add_argument_group("shape (default: 七绝, or as the start text implies; an acrostic has one "
                                   "line per head, of 7 characters)")
    shape.add_argument("--form", metavar="{五绝,七绝,五律,七律}")
    shape.add_argument("--chars", type=int, metavar="{5,7}", help="characters per line (instead of --form)")
    shape.add_argument("--lines", type=int, metavar="N",
                       help=f"lines, with --chars (without it the model ends the poem, after "
                            f"{FREE_LINES[0]} to {FREE_LINES[1]} lines)")
    sampling = gen.add_argument_group("sampling")
    sampling.add_argument("--num", type=int, default=1, metavar="N", help="candidates, written as one batch "
                          "and sorted by the model's mean log-probability (default: 1)")
    sampling.add_argument("--seed", type=int, help="the same seed and options write the same poems")
    sampling.add_argument("--temperature", type=float, default=defaults.temperature, metavar="T",
                          help=f"0: always the likeliest character (default: {defaults.temperature})")
    sampling.add_argument("--top-k", type=int, default=defaults.top_k, metavar="K",
                          help=f"draw among the K likeliest characters only; 0: all (default: {defaults.top_k})")
    sampling.add_argument("--top-p", type=float, default=defaults.top_p, metavar="P",
                          help=f"draw among the likeliest characters holding probability P (default: {defaults.top_p})")
    sampling.add_argument("--prefix", metavar="TEXT", help="prime the model with TEXT (not part of the poem)")
    control = gen.add_argument_group("rhyme and tones (平水韵; tones for 五绝 七绝 五律 七律)")
    rhyme = control.add_mutually_exclusive_group()
    rhyme.add_argument("--rhyme", metavar="GROUP",
                       help="rhyme the even lines in this 平声 group, e.g. 东 or 阳 (default: a group the "
                            "model picks, or the start text's)")
    rhyme.add_argument("--no-rhyme", dest="rhyme", action="store_false", help="do not control the rhyme")
    control.add_argument("--tones", choices=["strict", "soft", "off"], default="soft",
                         help="keep the key positions (2, 4, 6, line end) to a tone template: soft "
                              "down-weights characters that break it, strict forbids them (default: soft)")
    out = gen.add_argument_group("output")
    out.add_argument("--traditional", action="store_true", help="print traditional characters (OpenCC s2t)")
    out.add_argument("--json", action="store_true",
                     help="one JSON object per candidate, one per line: poem, lines, form, score, seed (and "
                          "with --theme: theme, with the keywords used)")
    out.add_argument("--attention-map", metavar="FILE.svg|.html",
                     help="also draw which earlier characters the model attended to while writing the best "
                          "candidate (a model with attention only)")
    gen.add_argument("--checkpoint", metavar="CKPT", help="the model (default: the one shipped with poetry_gen)")
    gen.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    gen.add_argument("--threads", type=int, default=1, metavar="N",
                     help="CPU threads for torch (default: 1; one poem's steps are too small to share, and on a "
                          "busy machine more threads wait on each other; 0: torch's choice)")
    gen.set_defaults(func=_generate, rhyme=True)


def user_cache_dir() -> str:
    """Where the CLI keeps what is computed once per model (poetry_gen/cache.py), as XDG says."""
    return os.path.join(os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "poetry_gen")


def _generate(args) -> int:
    import json

    from .attention_map import check_path
    from .generator import load_generator

    if args.acrostic is not None and args.lines is not None:
        raise PoetryGenError("--lines does not go with --acrostic: an acrostic has one line per head")
    if args.attention_map:
        check_path(args.attention_map)  # a wrong suffix fails now, not after the poems are written
    options = dict(num=args.num, seed=args.seed, temperature=args.temperature, top_k=args.top_k,
                   top_p=args.top_p, prefix=args.prefix, rhyme=args.rhyme, tones=args.tones, theme=args.theme)
    gen = load_generator(args.checkpoint, device=args.device, threads=args.threads, cache_dir=user_cache_dir())
    if args.acrostic is not None:
        poems = gen.acrostic(args.acrostic, form=args.form, chars=args.chars, **options)
    else:
        poems = gen.generate(start=args.start, form=args.form, chars=args.chars, lines=args.lines, **options)
    if args.attention_map:
        gen.attention_map(poems[0], args.attention_map)
    if args.traditional:
        poems = [poem.to_traditional() for poem in poems]
    if args.json:
        print("\n".join(json.dumps(poem.to_dict(), ensure_ascii=False) for poem in poems))
    else:
        print("\n\n".join("\n".join(poem.couplets()) for poem in poems))
    return 0


# --- check / score ----------------------------------------------------------------------------

def _add_check(sub) -> None:
    check = sub.add_parser(
        "check", help="rhyme and tone pattern (平仄) of a poem",
        description="Form, 平仄 of each line (中: a character with both tones), rhyme group of each line end, "
                    "whether the even lines rhyme, and the best of the four standard templates with the "
                    "positions that break it. Tones and rhyme groups come from the 平水韵 table; characters it "
                    "lacks get modern pinyin tones, which misread the old entering tone (入声), and are listed.")
    source = check.add_mutually_exclusive_group(required=True)
    source.add_argument("poem", nargs="?", metavar="POEM", help="the poem, e.g. 白日依山尽，黄河入海流。...")
    source.add_argument("--file", metavar="FILE", help="check every poem of FILE (one poem per line)")
    check.add_argument("--json", action="store_true", help="print one JSON object per poem, one per line")
    check.set_defaults(func=_check)


def _check(args) -> int:
    import json

    from .prosody import check_poem, format_check
    from .scorecard import read_poems

    checks = [check_poem(poem) for poem in (read_poems(args.file) if args.file else [args.poem])]
    if args.json:
        print("\n".join(json.dumps(c.to_dict(), ensure_ascii=False) for c in checks))
    else:
        print("\n\n".join(format_check(c) for c in checks))
    return 0


def _add_score(sub) -> None:
    score = sub.add_parser(
        "score", help="scorecard over many poems: form, rhyme, tones, repetition, copying",
        description="Format, rhyme and tone-template rates, repetition, and (with --data) how many lines "
                    "and character 3-grams occur in the training split.")
    score.add_argument("file", metavar="FILE", help="poems, one per line")
    score.add_argument("--data", metavar="DIR", help="a built corpus: compare with its train split")
    score.add_argument("--json", action="store_true", help="print counts and rates as JSON")
    score.set_defaults(func=_score)


def _score(args) -> int:
    import json

    from .scorecard import format_scorecard, read_poems, score

    poems = read_poems(args.file)
    train = None
    if args.data:
        from .corpus import load_poems

        train = load_poems(args.data, "train")
    card = score(poems, train)
    print(json.dumps(card.to_dict(), ensure_ascii=False, indent=1) if args.json else format_scorecard(card))
    return 0


# --- bench ------------------------------------------------------------------------------------

def _add_bench(sub) -> None:
    from .bench import CANDIDATES, FORM, HEADS, BenchOptions

    defaults = BenchOptions(data="")
    bench = sub.add_parser(
        "bench", help="measure how fast this machine trains and writes poems",
        description="Training throughput in real characters per second (poem characters with punctuation; not "
                    "BOS, EOS, keyword prefixes or padding: what training counts) of the classic model "
                    "(embed 128, hidden 256, 2 layers, no attention) and of the default model, both with the "
                    "project's length-bucketed batches, and with --classic-recipe of the classic model trained "
                    "the classic way; the rows train on the same poems and take turns step by step. Then the "
                    f"latency of one {FORM} acrostic {HEADS} and of {CANDIDATES} candidates. Medians over repeats.")
    bench.add_argument("--data", required=True, metavar="DIR", help="a built corpus: its train split's poems are timed")
    bench.add_argument("--checkpoint", metavar="CKPT",
                       help="the default row trains this model's architecture, and it writes the timed poems "
                            "(default: the shipped model; without one, train's default model and no generation)")
    bench.add_argument("--repeats", type=int, default=defaults.repeats, metavar="N",
                       help=f"timed rounds, each of --steps steps per row (default: {defaults.repeats})")
    bench.add_argument("--steps", type=int, default=defaults.steps, metavar="N",
                       help=f"training steps per row and repeat, each on its own batch (default: {defaults.steps})")
    bench.add_argument("--batch-size", type=int, default=defaults.batch_size, metavar="N",
                       help=f"poems per batch (default: {defaults.batch_size})")
    bench.add_argument("--classic-recipe", action="store_true",
                       help="add the classic recipe row: every poem padded to 125 tokens, padding in the loss, "
                            "float32; the ratios then compare with it")
    bench.add_argument("--device", default=defaults.device, choices=["auto", "cpu", "cuda"])
    bench.add_argument("--amp", action=argparse.BooleanOptionalAction,
                       help="bf16 autocast for the project's rows (default: as train does on this device); the "
                            "classic recipe always trains in float32")
    bench.add_argument("--threads", type=int, default=defaults.threads, metavar="N",
                       help="CPU threads for torch (default: torch's choice)")
    bench.add_argument("--json", action="store_true", help="print the results as JSON")
    bench.set_defaults(func=_bench)


def _bench(args) -> int:
    import json

    from .bench import BenchOptions, format_table, run_bench

    result = run_bench(BenchOptions(
        data=args.data, checkpoint=args.checkpoint, repeats=args.repeats, steps=args.steps,
        batch_size=args.batch_size, classic_recipe=args.classic_recipe, device=args.device, amp=args.amp,
        threads=args.threads, progress=sys.stderr.isatty()))
    print(json.dumps(result.to_dict(), ensure_ascii=False, indent=1) if args.json else format_table(result))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="poetry-gen", description="Learn and write classical Chinese poetry.")
    sub = parser.add_subparsers(dest="command", required=True)
    for add in _SUBCOMMANDS:
        add(sub)
    return parser


# Each adds one sub-command whose parser sets `func` (args -> exit code).
_SUBCOMMANDS = [_add_corpus, _add_train, _add_eval, _add_export, _add_generate, _add_check, _add_score, _add_bench]


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args) or 0
    except PoetryGenError as err:
        print(f"poetry-gen: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("poetry-gen: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader (e.g. `| head`) went away: stop quietly, as Unix tools do. Pointing stdout at
        # /dev/null keeps Python's final flush from raising again at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
