"""Command line: parses arguments and calls the library. No logic of its own lives here.

    poetry-gen corpus build SOURCE --out DIR
    poetry-gen corpus pairs DIR --out FILE
    poetry-gen train --data DIR --out CKPT
    poetry-gen eval --checkpoint CKPT --poems FILE
    poetry-gen export CKPT OUT
    poetry-gen generate --acrostic 春夏秋冬  |  poetry-gen generate --form 浣溪沙
    poetry-gen forms
    poetry-gen couplet 春回大地千山秀
    poetry-gen check POEM  |  poetry-gen score FILE
    poetry-gen bench --data DIR
    poetry-gen serve [--port 8000]
"""
from __future__ import annotations

import argparse
import os
import sys
import typing
from dataclasses import MISSING, fields

from .config import (BENCH_CANDIDATES, BENCH_FORM, BENCH_HEADS, COLLECTION_GROUPS, COLLECTIONS, DEVICES,
                     PRECISIONS, WEIGHT_FORMATS, BenchOptions, ModelConfig, OptimConfig, RunConfig, SamplingOptions,
                     TrainConfig, check_run_out, flag, from_stored)
from .checks import check_map_path
from .errors import PoetryGenError
from .files import refuse_directory
from .forms import FREE_LINES
from .poemtext import FORMATS


def _add_fields(parser, config_class, *, only=None, skip=()) -> None:
    """One option per command-line field of `config_class` (config.option): dest, help, flag and
    default all come from the field. An option not given stays out of the parsed namespace, so that
    `_given` picks only what the user said and the dataclass supplies every default."""
    kinds = typing.get_type_hints(config_class)
    for f in fields(config_class):
        if not f.metadata["cli"] or f.name in skip or (only is not None and f.name not in only):
            continue
        kind, settings, text = kinds[f.name], dict(f.metadata["argparse"]), f.metadata["help"]
        if kind is bool:
            settings["action"] = "store_false" if f.default else "store_true"
        elif kind == typing.Optional[bool]:
            settings["action"] = argparse.BooleanOptionalAction
        else:
            settings["type"] = (typing.get_args(kind) or (kind,))[0]  # Optional[int] → int
            if f.default not in (None, MISSING):
                text += f" (default: {f.default})"
        parser.add_argument(flag(f), dest=f.name, default=argparse.SUPPRESS, help=text, **settings)


def _given(args, config_class) -> dict:
    """The fields of `config_class` set on the parsed command line `args`."""
    return {f.name: getattr(args, f.name) for f in fields(config_class) if hasattr(args, f.name)}


# --- corpus -----------------------------------------------------------------------------------

def _add_corpus(sub) -> None:
    corpus = sub.add_parser("corpus", help="prepare training data from the chinese-poetry collection")
    actions = corpus.add_subparsers(dest="corpus_command", required=True)
    build = actions.add_parser(
        "build", help="clean, split and encode poems into DIR",
        description="Clean, split (train/val/test by a fixed hash of each poem) and encode poems into DIR.")
    build.add_argument("source", metavar="SOURCE",
                       help="a chinese-poetry directory, its npm tarball chinese-poetry-*.tgz (read in place), "
                            "or a UTF-8 text file (or directory of .txt files) with one poem per line")
    build.add_argument("--out", required=True, metavar="DIR", help="output directory (replaced as a whole)")
    groups = "; ".join(f"{group} = {','.join(members)}" for group, members in COLLECTION_GROUPS.items())
    build.add_argument("--collection", default="tang", metavar="NAME[,NAME...]",
                       help=f"which collections of a chinese-poetry source, comma-separated: {', '.join(COLLECTIONS)} "
                            f"({groups}; default: tang)")
    build.add_argument("--forms", type=lambda s: [f.strip() for f in s.split(",") if f.strip()],
                       metavar="五绝,七绝,...", help="keep only poems of these forms (五绝, 七绝, 五律, 七律) or ci tunes")
    build.add_argument("--min-count", type=int, default=1, metavar="N",
                       help="characters seen fewer than N times in train become <unk> (default: 1)")
    build.add_argument("--no-keywords", dest="keywords", action="store_false",
                       help="skip jieba keyword extraction (no theme conditioning, faster)")
    build.add_argument("--couplets", action="store_true",
                       help="also write couplet items 上联，下联。 (form 对联): the middle couplets (lines 3-4, 5-6) of "
                            "every 律诗 read, in their poem's split, and the pairs of 声律启蒙 (mengxue/"
                            "shenglvqimeng.json of a chinese-poetry source)")
    build.set_defaults(func=_corpus_build)
    pairs = actions.add_parser(
        "pairs", help="the 对仗 pairing table of a built corpus (see README, checking)",
        description="Count how often two characters stand at the same place of the two lines of the middle "
                    "couplets (lines 3–4, 5–6) of DIR's train-split 律诗, fit the 对仗 score's weights on the val "
                    "split, write the table to OUT (gzipped JSON) and print the score's AUC on the test split. "
                    "The package's table, poetry_gen/data/couplet_pairs.json.gz, is built from corpus/tang.")
    pairs.add_argument("data", metavar="DIR", help="a built corpus (poetry-gen corpus build)")
    pairs.add_argument("--out", required=True, metavar="OUT", help="where the table goes")
    pairs.set_defaults(func=_corpus_pairs)
    tunes = actions.add_parser(
        "tunes", help="the tune table (词谱) of a built corpus's ci (see README, checking)",
        description="For every tune with at least --min-ci ci in DIR's train split: the prevailing length, the "
                    "line ends that rhyme together (词林正韵), the most common lines and marks of the ci of that "
                    "length and rhymes, each position's tone where 80% of them agree, and the 片. The package's "
                    "table is poetry_gen/data/tunes.json.")
    tunes.add_argument("data", metavar="DIR", help="a built corpus with ci (poetry-gen corpus build)")
    tunes.add_argument("--out", metavar="OUT", help="where the table goes (default: the package's table)")
    from .tunes import MIN_CI  # prosody's tables load lazily: importing it is cheap

    tunes.add_argument("--min-ci", type=int, default=MIN_CI, metavar="N",
                       help=f"leave out tunes with fewer train ci (default: {MIN_CI})")
    tunes.set_defaults(func=_corpus_tunes)


def _corpus_build(args) -> int:
    from .corpus import build_corpus, summary

    stats = build_corpus(args.source, args.out, collection=args.collection, forms=args.forms,
                         min_count=args.min_count, keywords=args.keywords, couplets=args.couplets)
    print(summary(args.out, stats))
    return 0


def _corpus_pairs(args) -> int:
    from .parallelism import build_corpus_table

    print(build_corpus_table(args.data, args.out))
    return 0


def _corpus_tunes(args) -> int:
    from .tunes import TUNES_FILE, build_corpus_tunes

    print(build_corpus_tunes(args.data, args.out or TUNES_FILE, args.min_ci))
    return 0


# --- train ------------------------------------------------------------------------------------

def _add_train(sub) -> None:
    train = sub.add_parser(
        "train", help="train a model on a built corpus",
        description="Train on DIR's train split; validate on its val split. Writes CKPT (the best model by "
                    "validation perplexity), CKPT's resumable companion (model.pt → model.last.pt, written at "
                    "every validation and on Ctrl-C) and metrics.jsonl beside CKPT. Under torchrun every "
                    "process trains on its share of each global batch (DistributedDataParallel).")
    _add_fields(train, RunConfig, only=("data", "out"))
    train.add_argument("--resume", nargs="?", const=True, metavar="CKPT",
                       help="continue a run exactly: from CKPT, or without a value from the --out run's .last.pt "
                            "(model, data and optimisation settings come from the checkpoint, and so do --epochs, "
                            "--max-steps, --max-minutes, --eval-interval and --log-interval unless given)")
    _add_fields(train.add_argument_group("model"), ModelConfig)
    _add_fields(train.add_argument_group("data and optimisation",
                                         "AdamW with linear warmup, then cosine decay to lr × min-lr-ratio"),
                OptimConfig)
    _add_fields(train.add_argument_group("run"), RunConfig, skip=("data", "out"))
    train.set_defaults(func=_train)


def distributed_env(environ=None) -> dict:
    """rank, world_size and local_rank as torchrun sets them (a plain run is rank 0 of 1)."""
    env = os.environ if environ is None else environ
    return {"rank": int(env.get("RANK", 0)), "world_size": int(env.get("WORLD_SIZE", 1)),
            "local_rank": int(env.get("LOCAL_RANK", 0))}


def _stored_model_settings(path) -> dict:
    """The model settings checkpoint `path` was built with, but its vocabulary's size."""
    from .checkpoint import read_checkpoint

    stored = from_stored(ModelConfig, read_checkpoint(path, mmap=True)["config"])
    return {f.name: getattr(stored, f.name) for f in fields(ModelConfig) if f.name != "vocab_size"}


def _train(args) -> int:
    from .train import last_checkpoint_path, resume_options, train

    check_run_out(args.out)  # before --resume finds the run's .last.pt beside it
    fixed = _given(args, ModelConfig) | _given(args, OptimConfig)
    run = _given(args, RunConfig)
    settings = set(_given(args, ModelConfig)) - {"embed_dim", "hidden_dim"}  # the sizes grow an --init model
    if fixed.get("init") and settings:
        given = ", ".join(flag(f) for f in fields(ModelConfig) if f.name in settings)
        raise PoetryGenError(f"{given}: --init takes the model's settings from {fixed['init']} (only --embed and "
                             "--hidden may grow it)")
    if fixed.get("init") and settings != set(_given(args, ModelConfig)):
        fixed = _stored_model_settings(fixed["init"]) | fixed  # the sizes given grow it; its other settings stay
    if args.resume:
        if fixed:
            given = ", ".join(flag(f) for f in fields(ModelConfig) + fields(OptimConfig) if f.name in fixed)
            raise PoetryGenError(f"{given}: a resumed run keeps its checkpoint's model, data and optimisation settings")
        run["resume"] = str(last_checkpoint_path(args.out)) if args.resume is True else args.resume
        run = resume_options(run["resume"]) | run  # what the caller does not say, the run continues with
    config = TrainConfig.from_options(**fixed, **run, **distributed_env())
    best = train(config)
    if config.run.rank == 0:
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
                        help="poems as generate writes them or one per line (poetry_gen/poemtext.py), simplified or "
                             "traditional (normalised like the corpus)")
    source.add_argument("--data", metavar="DIR", help="a built corpus")
    ev.add_argument("--split", default="test", choices=["train", "val", "test"], help="split of --data (default: test)")
    ev.add_argument("--device", default="auto", choices=DEVICES)
    ev.add_argument("--json", action="store_true", help="print the result as JSON")
    ev.set_defaults(func=_eval)


def _eval(args) -> int:
    import json

    from .checkpoint import load_checkpoint
    from .device import resolve_device
    from .evaluate import SplitResult, conditioned_perplexity, evaluate_split, perplexity

    device = resolve_device(args.device)
    ckpt = load_checkpoint(args.checkpoint, device=device)
    fed = None
    if args.poems:
        from .poemtext import read_poems
        from .text import normalize

        label = args.poems
        result = SplitResult(perplexity(ckpt.model, ckpt.vocab, [normalize(p) for p in read_poems(args.poems)],
                                        device=device), None)
    else:
        label = f"{args.data} {args.split}"
        result = evaluate_split(ckpt.model, ckpt.vocab, args.data, args.split, device=device)
        if ckpt.form_tokens or ckpt.plan_words is not None:
            fed = conditioned_perplexity(ckpt.model, ckpt.vocab, args.data, args.split, device, forms=ckpt.form_tokens,
                                         plans=ckpt.plan_words is not None)
    if args.json:
        print(json.dumps(result.to_dict() | ({"conditioned": fed.to_dict()} if fed else {}), ensure_ascii=False))
        return 0
    whole, novel = result.whole, result.novel
    print(f"{label}: perplexity {whole.ppl:.2f} over {whole.chars:,} tokens (characters and one end token per "
          f"poem) of {whole.poems:,} poems; {whole.unknown:,} characters unknown to the vocabulary")
    if novel:
        print(f"  poems sharing no line with train: perplexity {novel.ppl:.2f} over {novel.chars:,} tokens "
              f"of {novel.poems:,} poems")
    if fed:
        fed_what = " and ".join(what for what, on in (("its form token", ckpt.form_tokens),
                                                       ("its plan", ckpt.plan_words is not None)) if on)
        print(f"  each poem after {fed_what}, as in training: perplexity {fed.ppl:.2f}")
    for name, group in result.groups.items():
        print(f"  {name}: perplexity {group.ppl:.2f} over {group.chars:,} tokens of {group.poems:,} poems")
    return 0


# --- export -------------------------------------------------------------------------------------

def _add_export(sub) -> None:
    ex = sub.add_parser(
        "export", help="a file to ship: no optimizer state, int8 or float16 weights",
        description="Copy CKPT to OUT without its optimizer state and with its weights stored as --weights, "
                    "which the loader turns back into float32. With --data, also store the corpus's attested "
                    "words, which --theme uses to map modern words to classical ones. With --base and --alpha, store CKPT "
                    "mixed weight by weight with the model it was fine-tuned from.")
    ex.add_argument("checkpoint", metavar="CKPT")
    ex.add_argument("out", metavar="OUT")
    ex.add_argument("--weights", choices=WEIGHT_FORMATS, default="int8",
                    help="int8 (default): every weight matrix as 8-bit integers with a scale per row, the biases "
                         "float16, a quarter of float32's size (test perplexity moved by 0.0002%% for v3, 0.016%% for the shipped model); "
                         "float16: half the size; float32 as trained")
    ex.add_argument("--data", metavar="DIR", help="the built corpus the model was trained on")
    ex.add_argument("--base", metavar="BASE", help="the checkpoint CKPT was fine-tuned from (train --init): "
                    "store the mixture (1 - ALPHA) · BASE + ALPHA · CKPT, weight by weight (WiSE-FT)")
    ex.add_argument("--alpha", type=float, help="CKPT's share of the mixture with --base, from 0 to 1")
    ex.set_defaults(func=_export)


def _export(args) -> int:
    from .checkpoint import export_checkpoint
    from .corpus import load_theme_words

    words = load_theme_words(args.data) if args.data else None
    export_checkpoint(args.checkpoint, args.out, weights=args.weights, theme_words=words, base=args.base,
                      alpha=args.alpha)
    print(f"wrote {args.out} ({os.path.getsize(args.out) / 1e6:.1f} MB)")
    return 0


# --- generate ---------------------------------------------------------------------------------

PRECISION_HELP = ("of the model's matrices when writing (default: auto: bfloat16 on a CPU with native bf16 "
                  "instructions, about 0.6x the time, else float32; the same seed may write another poem in each)")


def _add_generate(sub) -> None:
    gen = sub.add_parser(
        "generate", help="write poems: acrostic, continuing a start, or from scratch",
        description="Write poems with a trained model, in the shape asked for (by construction: every line "
                    "has its characters, '，' after odd lines, '。' after even ones; a tune's lines, marks, rhymes "
                    "and tones for --form 浣溪沙 and the other tunes `poetry-gen forms` lists). Output: one couplet "
                    "(two lines with their marks) per line, a ci on one line, in simplified characters; poems (--num) best "
                    "first, separated by a blank line (--format for one poem per line or JSON; check and score "
                    "read each of them back). --candidates poems are written and judged (rerank.py: the model's "
                    "log-probability, coherence between lines, theme, repetition, 对仗, rule breaks), and the best "
                    "printed; --json reports each signal under \"judgement\". Every request is checked before the "
                    "model loads.")
    what = gen.add_mutually_exclusive_group()
    what.add_argument("--acrostic", metavar="HEADS",
                      help="藏头诗: one line per head character, beginning with it. Without --form, the smallest "
                           "form with a line for every head: 1-4 heads a 绝句, 5-8 a 律诗 (7 heads: a 七律 whose "
                           "8th line is free), more heads one line each, and one more if their number is odd")
    what.add_argument("--input", metavar="FILE",
                      help="a batch: one request per line of FILE (-: standard input), written in turn with a "
                           "progress bar. A plain line is what --input-as says (acrostic heads by default); a "
                           "JSON object names a request's fields: {\"acrostic\": \"春夏秋冬\", \"form\": \"五律\", "
                           "\"seed\": 1} or {\"theme\": \"思乡\", \"num\": 3} (acrostic, start, form, chars, lines "
                           "and the sampling options by their names: top_p, rhyme, tones, ...). The other options "
                           "given here are every request's defaults. All requests are checked before the model loads")
    gen.add_argument("--input-as", choices=("acrostic", "theme", "start"), default="acrostic",
                     help="what a plain line of --input is (default: acrostic)")
    what.add_argument("--start", metavar="TEXT",
                      help="continue TEXT (kept in the poem; it may end mid-line: with --form or --chars, a start "
                           "shorter than the form's lines, 5 characters of a 七绝 too, is its unfinished first line)")
    _add_fields(gen, SamplingOptions, only=("theme",))
    gen.add_argument("--plan", nargs="+", default=argparse.SUPPRESS, metavar="WORD",
                     help="one word per line, the topic of each line in order (春 江 月 归 for a 绝句), for a model "
                          "trained with plans; without it, --expand-plan has such a model expand --theme (or "
                          "nothing) into one, which --json shows")
    shape = gen.add_argument_group("shape (default: 七绝, or as the start text implies; an acrostic has one "
                                   "line per head, of 7 characters)")
    shape.add_argument("--form", metavar="NAME",
                       help="五绝 七绝 五律 七律, or a tune (词牌) such as 浣溪沙: its lines, marks, rhymes (词林正韵) "
                            "and tones; `poetry-gen forms` lists them all")
    shape.add_argument("--chars", type=int, metavar="{5,7}", help="characters per line (instead of --form)")
    shape.add_argument("--lines", type=int, metavar="N",
                       help=f"lines, with --chars (without it the model ends the poem, after "
                            f"{FREE_LINES[0]} to {FREE_LINES[1]} lines)")
    _add_fields(gen.add_argument_group("sampling"), SamplingOptions, skip=("theme", "tones"))
    control = gen.add_argument_group("rhyme and tones (平水韵; tones for 五绝 七绝 五律 七律)")
    rhyme = control.add_mutually_exclusive_group()
    rhyme.add_argument("--rhyme", default=argparse.SUPPRESS, metavar="GROUP",
                       help="rhyme the even lines in this 平声 group, e.g. 东 or 阳 (default: a group the "
                            "model picks, or the start text's)")
    rhyme.add_argument("--no-rhyme", dest="rhyme", action="store_false", default=argparse.SUPPRESS,
                       help="do not control the rhyme")
    _add_fields(control, SamplingOptions, only=("tones",))
    out = gen.add_argument_group("output")
    out.add_argument("--traditional", action="store_true", help="print traditional characters (OpenCC s2t)")
    fmt = out.add_mutually_exclusive_group()  # --json is a --format: both at once would drop one
    fmt.add_argument("--format", choices=FORMATS, default="couplets",
                     help="couplets: one couplet per line, a blank line between poems (default); lines: one poem "
                          "per line; json: one JSON object per poem (poem, lines, form, score, seed; with --theme "
                          "the keywords used; with --input the request's line). check and score read all three")
    fmt.add_argument("--json", dest="format", action="store_const", const="json", help="the same as --format json")
    out.add_argument("--out", metavar="FILE", help="write the poems to FILE (atomically: whole or not at all) "
                                                   "rather than to standard output")
    out.add_argument("--attention-map", metavar="FILE.svg|.html",
                     help="also draw which earlier characters the model attended to while writing the best "
                          "candidate (a model with attention only)")
    gen.add_argument("--checkpoint", metavar="CKPT", help="the model (default: the one shipped with poetry_gen)")
    gen.add_argument("--device", default="auto", choices=DEVICES)
    gen.add_argument("--threads", type=int, default=1, metavar="N",
                     help="CPU threads for torch (default: 1: on a busy machine more threads wait on each other; "
                          "0: torch's choice, faster on a quiet one)")
    gen.add_argument("--precision", default="auto", choices=PRECISIONS, help=PRECISION_HELP)
    gen.set_defaults(func=_generate)


def user_cache_dir() -> str:
    """Where the CLI keeps what is computed once per model (poetry_gen/cache.py), as XDG says."""
    return os.path.join(os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "poetry_gen")


def _generate(args) -> int:
    from .request import plan_request, read_requests

    # Every request is checked before torch and the model load, so that a mistake costs no waiting.
    options = SamplingOptions(**_given(args, SamplingOptions))
    shape = {"acrostic": args.acrostic, "start": args.start, "form": args.form, "chars": args.chars,
             "lines": args.lines}
    if args.input:
        requests = read_requests(_read_input(args.input), _source_name(args.input), shape, options, args.input_as)
    else:
        requests = [(None, plan_request(shape, options.theme, options.plan, options.must_include), options)]
    for message in dict.fromkeys(m for _, _, own in requests for m in own.warnings()):
        print(f"poetry-gen: warning: {message}", file=sys.stderr)
    if args.out is not None:
        refuse_directory(args.out)  # now, not after the poems are written
    if args.attention_map is not None:
        check_map_path(args.attention_map)
    from .generator import load_generator

    gen = load_generator(args.checkpoint, device=args.device, threads=args.threads, cache_dir=user_cache_dir(),
                         precision=args.precision)
    poems = _write_all(gen, requests, args)
    if args.attention_map is not None:
        gen.attention_map(poems[0][0], args.attention_map)
    _write_output(_format_poems(poems, args), args.out)
    return 0


def _read_input(path: str) -> str:
    """The text of file `path`, or of standard input for "-"."""
    from .poemtext import MAX_POEMS_FILE_BYTES, decode_text, read_text

    if path != "-":
        return read_text(path)
    return decode_text(sys.stdin.buffer.read(MAX_POEMS_FILE_BYTES + 1), "<stdin>")


def _source_name(path: str) -> str:
    return "<stdin>" if path == "-" else path


def _write_all(gen, requests: list, args) -> list:
    """The poems of every request in turn, each poem with the input line of its request (None without
    --input). The progress bar (on a terminal) counts requests, or for one request of many candidates
    the positions of the poem, which all candidates write together."""
    from tqdm import tqdm

    source = _source_name(args.input) if args.input else None
    for number, plan, own in requests:  # every request's characters, before any poem is written
        _at_line(source, number, gen.check_known, plan, own)
    shown = sys.stderr.isatty()
    if len(requests) > 1:
        bar = tqdm(requests, desc="requests", unit="request", disable=not shown, leave=False)
        return [(poem, number) for number, plan, own in bar for poem in _at_line(source, number, gen.write, plan, own)]
    number, plan, own = requests[0]
    with tqdm(desc=f"{own.num} poems", unit="character", disable=not (shown and own.num >= BAR_FROM_NUM),
              leave=False) as bar:
        def step(done, total):
            bar.total = total
            bar.update(done - bar.n)

        return [(poem, number) for poem in _at_line(source, number, gen.write, plan, own, on_step=step)]


def _at_line(source: str | None, number: int | None, call, *args, **kwargs):
    """`call(*args, **kwargs)`; a PoetryGenError it raises for a request of --input names the request's
    line (SOURCE:N:), as the checks before the model loaded do."""
    try:
        return call(*args, **kwargs)
    except PoetryGenError as err:
        if number is None:
            raise
        raise PoetryGenError(f"{source}:{number}: {err}") from None


BAR_FROM_NUM = 100  # fewer candidates take a few seconds at most: no progress bar


def _format_poems(poems: list, args) -> str:
    import json

    from .poemtext import format_poems

    if args.traditional:
        poems = [(poem.to_traditional(), number) for poem, number in poems]
    if args.format != "json" or not args.input:
        return format_poems([poem for poem, _ in poems], args.format)
    # With --input, each JSON object also names the line of the request it answers.
    return "".join(json.dumps(poem.to_dict() | {"request": number}, ensure_ascii=False) + "\n"
                   for poem, number in poems)


def _write_output(text: str, out) -> None:
    if out is None:
        sys.stdout.write(text)
        return
    from .files import write_atomic

    write_atomic(out, text)


# --- couplet --------------------------------------------------------------------------------

def _add_couplet(sub) -> None:
    couplet = sub.add_parser(
        "couplet", help="对对子: write the second line (下联) of a couplet to its first (上联)",
        description="Write --num second lines (下联) for the first line (上联) FIRST, best first, one couplet "
                    "per line. By construction each 下联 has the 上联's length and pauses (，、), ends 平, and "
                    "repeats no character of the 上联, nor one of its own except where the 上联 repeats one "
                    "(there it repeats its own the same way). Its tones are set against the 上联's at the key "
                    "positions (the 2nd, 4th, 6th and last character of each segment between the pauses) as "
                    "--tones says. --candidates are written and judged as poems are (rerank.py), with the 对仗 of "
                    "the two lines for parallelism and the key positions whose tones do not oppose for "
                    "rule_breaks. A 上联 ending 平 is answered with a warning (--strict: refused). --json adds "
                    "each couplet's rules, tones and 对仗 by position.")
    couplet.add_argument("first", metavar="FIRST", help="the 上联: 4 to 11 Chinese characters, e.g. 春回大地千山秀")
    couplet.add_argument("--strict", action="store_true", help="refuse a 上联 that ends 平 (exit status 2)")
    _add_fields(couplet.add_argument_group("sampling"), SamplingOptions,
                skip=("theme", "repeat_penalty", "prefix", "must_include", "include_boost", "expand_plan"))
    couplet.add_argument("--json", action="store_true",
                         help="one JSON object per couplet: poem, score, seed, judgement, and under \"couplet\" "
                              "its rules, tones, 对仗 (score and by position) and pairing")
    couplet.add_argument("--checkpoint", metavar="CKPT", help="the model (default: the one shipped with poetry_gen)")
    couplet.add_argument("--device", default="auto", choices=DEVICES)
    couplet.add_argument("--threads", type=int, default=1, metavar="N", help="CPU threads for torch (default: 1)")
    couplet.add_argument("--precision", default="auto", choices=PRECISIONS, help=PRECISION_HELP)
    couplet.set_defaults(func=_couplet)


def _couplet(args) -> int:
    from .couplet import plan_couplet

    options = SamplingOptions(**_given(args, SamplingOptions))
    plan = plan_couplet(args.first, args.strict)  # checked before the model loads
    for message in (*options.warnings(), *plan.warnings):
        print(f"poetry-gen: warning: {message}", file=sys.stderr)
    from .generator import load_generator
    from .poemtext import format_poems

    gen = load_generator(args.checkpoint, device=args.device, threads=args.threads, cache_dir=user_cache_dir(),
                         precision=args.precision)
    sys.stdout.write(format_poems(gen.write_couplet(plan, options), "json" if args.json else "lines"))
    return 0


def _add_forms(sub) -> None:
    forms = sub.add_parser("forms", help="list the forms and tunes generate --form writes",
                           description="The forms generate --form writes, one per line: name, genre (shi, ci), "
                                       "shape (characters and mark of each line, '|' between the 片 of a ci), "
                                       "rhyme book and each rhyme set's tone; a tune with the ci it was "
                                       "measured on (poetry_gen/data/tunes.json).")
    forms.set_defaults(func=_forms)


def _forms(args) -> int:
    from .request import format_forms

    sys.stdout.write(format_forms())
    return 0


# --- check / score ----------------------------------------------------------------------------

def _add_check(sub) -> None:
    check = sub.add_parser(
        "check", help="rhyme, 平仄, faults, 对仗 of a poem, ci or 对联; exit 1 on a break",
        description="Form, 平仄 of each line (中: a character with both tones; a polyphone is read by its word "
                    "where the word decides), rhyme group of each line end, whether the even lines rhyme, the "
                    "best of the four standard templates with the positions that break it, the faults 三平尾, "
                    "孤平 and 出句平收, and for a 律诗 the 对仗 score of lines 3–4 and 5–6. Tones and rhyme "
                    "groups come from the 平水韵 table; characters it lacks get modern pinyin tones, which "
                    "misread the old entering tone (入声), and are listed. A couplet (two lines 上联，下联。, "
                    "pauses ，、 inside allowed, or labelled 上联：…；下联：…) is checked by a couplet's rules instead: the same length and "
                    "marks, the 上联 ending 仄 and the 下联 平, no repeats but mirrored ones, tones opposed at the "
                    "key positions, and its 对仗 by position. Exit status 1 when a poem of the four forms breaks "
                    "its form's rules (rhyme, template, faults), a couplet one of its hard rules (all but the "
                    "tones), or a ci its tune's (shape, rhymes in one 词林正韵 部), 0 otherwise.")
    source = check.add_mutually_exclusive_group(required=True)
    source.add_argument("poem", nargs="?", metavar="POEM",
                        help="the poem, e.g. 白日依山尽，黄河入海流。...; -: the poems on standard input")
    source.add_argument("--file", metavar="FILE", help="check every poem of FILE (-: standard input)")
    _add_read_format(check)
    _add_tune(check, "check every poem as a ci of this tune (default: a poem of no shi form whose shape is a "
                     "tune's is checked as that ci: 平仄 against the tune, its rhymes by 词林正韵 部)")
    check.add_argument("--json", action="store_true", help="print one JSON object per poem, one per line")
    check.set_defaults(func=_check)


def _add_tune(parser, text: str) -> None:
    parser.add_argument("--form", metavar="TUNE", help=f"{text}; the tunes: poetry_gen/data/tunes.json; 五绝 七绝 "
                                                       "五律 七律: every poem as shi")


def _add_read_format(parser) -> None:
    from .poemtext import READ_FORMATS

    parser.add_argument("--format", dest="read_format", choices=READ_FORMATS, default="auto",
                        help="how the poems are written: what `generate --format` writes (couplets: a blank line "
                             "between poems; lines: one poem per line; json: JSON Lines with a \"poem\" field); "
                             "auto (default): JSON Lines if the text starts with {, else blank lines separate "
                             "poems and lines of one couplet each join into one")


def _read_poems(path: str, fmt: str) -> list:
    """The poems of file `path`, or of standard input for "-"."""
    from .poemtext import parse_poems

    return parse_poems(_read_input(path), fmt, _source_name(path))


def _check(args) -> int:
    import json

    from .checker import check, report

    source = args.file or (args.poem if args.poem == "-" else None)
    poems = _read_poems(source, args.read_format) if source else [args.poem]
    checks = [check(poem, args.form) for poem in poems]
    if args.json:
        print("\n".join(json.dumps(c.to_dict(), ensure_ascii=False) for c in checks))
    else:
        print("\n\n".join(report(c) for c in checks))
    return 1 if any(c.follows_rules is False for c in checks) else 0


def _add_score(sub) -> None:
    score = sub.add_parser(
        "score", help="scorecard of many poems: form, rhyme, tones, faults, 对仗, repeats",
        description="Format, rhyme and tone-template rates, the share of lines with each classical fault, the "
                    "mean 对仗 of 律诗 middle couplets, repetition, and (with --data) how many lines and character "
                    "3-grams occur in the training split. Ci apart: format, rhyme (词林正韵 部, and 平水韵 for "
                    "comparison) and tone rates against their tunes.")
    score.add_argument("file", metavar="FILE", help="the poems, as generate writes them (-: standard input)")
    _add_read_format(score)
    score.add_argument("--data", metavar="DIR", help="a built corpus (poetry-gen corpus build): compare with its "
                                                     "train split")
    _add_tune(score, "score every poem as a ci of this tune (default: poems of no shi form whose shape is a "
                     "tune's are scored as ci, apart: format, rhyme by 词林正韵 部, tones)")
    score.add_argument("--json", action="store_true", help="print counts and rates as JSON")
    score.set_defaults(func=_score)


def _score(args) -> int:
    import json

    from .cicheck import is_ci, named_tune
    from .scorecard import format_ci_scorecard, format_scorecard, score, score_ci

    poems = _read_poems(args.file, args.read_format)
    tune = named_tune(args.form)
    as_ci = [tune is not None or (args.form is None and is_ci(poem)) for poem in poems]
    ci = [poem for poem, flag in zip(poems, as_ci) if flag]
    shi = [poem for poem, flag in zip(poems, as_ci) if not flag]
    result, shown = {}, []
    if shi or not ci:
        train = None
        if args.data:
            from .corpus import load_poems

            train = load_poems(args.data, "train")
        card = score(shi, train)
        result.update(card.to_dict())
        shown.append(format_scorecard(card))
    if ci:
        ci_card = score_ci(ci, tune)
        result["ci"] = ci_card.to_dict()
        shown.append(format_ci_scorecard(ci_card))
    print(json.dumps(result, ensure_ascii=False, indent=1) if args.json else "\n".join(shown))
    return 0


# --- bench ------------------------------------------------------------------------------------

def _add_bench(sub) -> None:
    bench = sub.add_parser(
        "bench", help="measure how fast this machine trains and writes poems",
        description="Training throughput in real characters per second (poem characters with punctuation; not "
                    "BOS, EOS, keyword prefixes or padding: what training counts) of the classic model "
                    "(embed 128, hidden 256, 2 layers, no attention) and of the default model, both with the "
                    "project's length-bucketed batches, and with --classic-recipe of the classic model trained "
                    "the classic way; the rows train on the same poems and take turns step by step. Then the "
                    f"latency of one {BENCH_FORM} acrostic {BENCH_HEADS} and of {BENCH_CANDIDATES} candidates. Medians over repeats.")
    _add_fields(bench, BenchOptions)
    bench.add_argument("--json", action="store_true", help="print the results as JSON")
    bench.set_defaults(func=_bench)


def _bench(args) -> int:
    import json

    from .bench import format_table, run_bench

    result = run_bench(BenchOptions(**_given(args, BenchOptions), progress=sys.stderr.isatty()))
    print(json.dumps(result.to_dict(), ensure_ascii=False, indent=1) if args.json else format_table(result))
    return 0


# --- serve ------------------------------------------------------------------------------------

def _add_serve(sub) -> None:
    serve = sub.add_parser(
        "serve", help="a local web page for writing poems, and its JSON API",
        description="Load the model once and serve a page (write, check, revise a line, see the attention) and "
                    "a JSON API (POST /api/generate, /api/couplet, /api/revise, /api/check, /api/attention; GET /api/info) "
                    "until Ctrl-C. "
                    "Prints the URL; opens nothing.")
    serve.add_argument("--port", type=int, default=8000, help="(default: 8000; 0: any free port)")
    serve.add_argument("--host", default="127.0.0.1",
                       help="address to listen on (default: 127.0.0.1, this machine only; any other address "
                            "lets the network in, and a warning says so)")
    serve.add_argument("--checkpoint", metavar="CKPT", help="the model (default: the one shipped with poetry_gen)")
    serve.add_argument("--device", default="auto", choices=DEVICES)
    serve.add_argument("--threads", type=int, default=0, metavar="N",
                       help="CPU threads for torch (default: 0, torch's choice: one per core, since the server "
                            "writes one poem at a time; on a busy machine 1 is faster)")
    serve.add_argument("--precision", default="auto", choices=PRECISIONS, help=PRECISION_HELP)
    serve.set_defaults(func=_serve)


def _serve(args) -> int:
    from .checks import check_whole
    from .generator import load_generator
    from .server import serve

    check_whole(args.port, "--port", 0, 65535)  # before the model loads, and in one line (bind raises OverflowError)

    serve(lambda: load_generator(args.checkpoint, device=args.device, threads=args.threads,
                                 cache_dir=user_cache_dir(), precision=args.precision), args.host, args.port)
    return 0


def build_parser() -> argparse.ArgumentParser:
    from . import __version__

    parser = argparse.ArgumentParser(
        prog="poetry-gen", description="Learn and write classical Chinese poetry.",
        epilog="`poetry-gen COMMAND --help` tells more of a command.",
        # One line per command in 80 columns: the help column starts just after the longest name.
        formatter_class=lambda prog: argparse.HelpFormatter(prog, max_help_position=14))
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", title="commands", required=True)
    for add in _SUBCOMMANDS:
        add(sub)
    return parser


def _commands(parser: argparse.ArgumentParser) -> list:
    """The sub-commands' names: the choices of the parser's sub-parsers action."""
    return [name for action in parser._actions if action.dest == "command" for name in action.choices]


def _unknown_command(argv: list, parser: argparse.ArgumentParser):
    """A one-line message for a first argument that is no command (with the likeliest one meant), or None."""
    import difflib

    if not argv or argv[0].startswith("-") or argv[0] in _commands(parser):
        return None
    close = difflib.get_close_matches(argv[0], _commands(parser), n=1, cutoff=0.5)
    meant = f"; did you mean {close[0]}?" if close else ""
    return f"unknown command {argv[0]!r}{meant} (commands: {', '.join(_commands(parser))})"


# Each adds one sub-command whose parser sets `func` (args -> exit code).
_SUBCOMMANDS = [_add_corpus, _add_train, _add_eval, _add_export, _add_generate, _add_forms, _add_couplet, _add_check, _add_score,
                _add_bench, _add_serve]


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser()
    if not argv:  # a bare `poetry-gen`: what it can do
        parser.print_help()
        return 0
    unknown = _unknown_command(argv, parser)
    if unknown:
        parser.print_usage(sys.stderr)
        print(f"poetry-gen: error: {unknown}", file=sys.stderr)
        return 2
    args = parser.parse_args(argv)
    return exit_status(args.func, args)


def exit_status(func, *args) -> int:
    """`func(*args)`'s exit status (None: 0), its errors one line on stderr: what `poetry-gen` and the
    benchmarks' `python -m benchmarks.NAME` share."""
    try:
        return func(*args) or 0
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
    except OSError as err:  # disk full, read-only, permission denied, a directory, a missing parent, ...
        print(f"poetry-gen: error: {_os_error(err)}", file=sys.stderr)
        return 2


def _os_error(err: OSError) -> str:
    """'PATH: No space left on device' (both paths of a rename), or the error as Python words it."""
    from .checks import shown

    paths = [shown(os.fsdecode(p), 200) for p in (err.filename, err.filename2) if p is not None]
    return f"{' → '.join(paths)}: {err.strerror}" if paths and err.strerror else shown(str(err), 300)
