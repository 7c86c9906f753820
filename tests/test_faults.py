"""Faults of the layer around the core (issue 24): crafted checkpoints and sources, bad options and API
values, failing file systems. Each ends in one PoetryGenError line (exit 2 in the CLI), loses nothing,
and costs a bounded amount of time and memory."""
import gzip
import io
import os
import shutil
import subprocess
import tarfile

import pytest
import torch

from poetry_gen import corpus, load_generator
from poetry_gen.checkpoint import export_checkpoint, read_checkpoint
from poetry_gen.cli import main
from poetry_gen.config import MAX_REQUEST_CHARS
from poetry_gen.errors import PoetryGenError
from poetry_gen.model import PoetryLM
from poetry_gen.poemtext import MAX_POEMS_FILE_BYTES, read_poems
from poetry_gen.text import MAX_POEM_CHARS


def one_line_error(capsys, argv, *fragments) -> str:
    """Run the CLI: exit 2, nothing on stdout, one `poetry-gen: error:` line naming every fragment."""
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err.startswith("poetry-gen: error: ") and captured.err.count("\n") == 1
    for fragment in fragments:
        assert fragment in captured.err
    return captured.err


@pytest.fixture
def crafted(checkpoint, tmp_path):
    """crafted(name, change) -> path: the fixture checkpoint with `change(data)` applied to its dict."""
    def make(name, change):
        data = torch.load(checkpoint, weights_only=True)
        change(data)
        torch.save(data, tmp_path / name)
        return tmp_path / name
    return make


def resumable(path, checkpoint):
    """A copy of `checkpoint` that holds optimizer state, as OUT.last.pt does."""
    data = torch.load(checkpoint, weights_only=True)
    data["train_state"]["optimizer"] = {"state": {}, "param_groups": []}
    torch.save(data, path)
    return path


# --- data kept ------------------------------------------------------------------------------------

def test_export_onto_its_source_or_a_resumable_checkpoint_is_refused(checkpoint, tmp_path, capsys):
    last = resumable(tmp_path / "run.last.pt", checkpoint)
    kept = last.read_bytes()
    one_line_error(capsys, ["export", str(last), str(last)], "being exported")
    one_line_error(capsys, ["export", str(checkpoint), str(last)], "resumable")
    (tmp_path / "notes.txt").write_text("mine", encoding="utf-8")
    one_line_error(capsys, ["export", str(checkpoint), str(tmp_path / "notes.txt")], "not a poetry-gen checkpoint")
    assert last.read_bytes() == kept and (tmp_path / "notes.txt").read_text(encoding="utf-8") == "mine"
    export_checkpoint(checkpoint, tmp_path / "a.pt")
    export_checkpoint(checkpoint, tmp_path / "a.pt")  # an earlier export is replaced
    best = tmp_path / "run" / "model.pt"  # a training run's best model, beside its resumable checkpoint
    best.parent.mkdir()
    export_checkpoint(checkpoint, best)
    resumable(tmp_path / "run" / "model.last.pt", checkpoint)
    one_line_error(capsys, ["export", str(checkpoint), str(best)], "best model of the training run")
    one_line_error(capsys, ["export", str(checkpoint), str(tmp_path / "a.pt") + "/"], "names a directory")
    base = (tmp_path / "a.pt").read_bytes()
    one_line_error(capsys, ["export", str(checkpoint), str(tmp_path / "a.pt"), "--base", str(tmp_path / "a.pt"),
                            "--alpha", "0.5"], "is its --base")
    assert (tmp_path / "a.pt").read_bytes() == base


# --- checkpoint contents --------------------------------------------------------------------------

def _fill(name, value):
    return lambda data: data["state_dict"][name].fill_(value)


@pytest.mark.parametrize("change,message", [
    (_fill("head.weight", float("nan")), "non-finite weights"),
    (_fill("lstm.weight_hh_l0", float("inf")), "non-finite weights"),
    (lambda data: data["vocab"].extend(["甲乙", "丙丁"]), "vocabulary has"),
    (lambda data: data.update(vocab=data["vocab"][:-2]), "vocabulary has"),
    (lambda data: data["vocab"].append(data["vocab"][-1]), "repeats"),
    (lambda data: data.update(vocab="春风"), "vocabulary"),
    (lambda data: data["config"].update(hidden_dim=12000), "shape"),
    (lambda data: data["config"].update(num_layers=3), "do not match"),
    (lambda data: data["config"].update(num_layers=10 ** 9), "num_layers"),
    (lambda data: data["config"].update(hidden_dim="32"), "use"),
    (lambda data: data["config"].update(flux=1), "use"),
    (lambda data: data["state_dict"].pop("head.bias"), "head.bias"),
    (lambda data: data.update(state_dict={"embed.weight": "x"}), "state_dict"),
    (lambda data: data.update(train_state="oops"), "train_state"),
    (lambda data: data.update(train_state={1: 2}), "train_state"),
    (lambda data: data.update(theme_words=5), "theme_words"),
])
def test_crafted_checkpoints_are_refused_in_one_line(crafted, capsys, change, message):
    path = crafted("bad.pt", change)
    with pytest.raises(PoetryGenError, match=message):
        read_checkpoint(path)
    one_line_error(capsys, ["generate", "--checkpoint", str(path), "--acrostic", "春风"], message)
    one_line_error(capsys, ["export", str(path), str(path.with_name("out.pt"))], message)
    assert not path.with_name("out.pt").exists()


@pytest.mark.parametrize("train_config", [5, "oops", []])
def test_a_malformed_version_1_train_state_is_refused(crafted, train_config):
    def as_version_1(data):
        data.update(format_version=1, train_state={"train_config": train_config})
    with pytest.raises(PoetryGenError, match="malformed"):
        read_checkpoint(crafted("v1.pt", as_version_1))


def test_shapes_are_checked_before_the_model_is_allocated(crafted, monkeypatch):
    """A small file claiming hidden_dim=12000 would take gigabytes: only a meta-device model is built."""
    path = crafted("big.pt", lambda data: data["config"].update(hidden_dim=12000, attention_heads=4))
    devices = []
    original = PoetryLM.__init__

    def recording_init(self, config):
        devices.append(torch.empty(0).device.type)  # the default device models are built on
        original(self, config)
    monkeypatch.setattr(PoetryLM, "__init__", recording_init)
    with pytest.raises(PoetryGenError, match="shape"):
        load_generator(path)
    assert devices == ["meta"]


def test_export_refuses_weights_beyond_float16(crafted, tmp_path):
    path = crafted("large.pt", _fill("head.bias", 1e6))
    with pytest.raises(PoetryGenError, match="float16"):
        export_checkpoint(path, tmp_path / "half.pt")
    with pytest.raises(PoetryGenError, match="float16"):
        export_checkpoint(path, tmp_path / "int8.pt", weights="int8")  # int8 stores biases in float16
    export_checkpoint(path, tmp_path / "full.pt", weights="float32")


# --- bounded cost ---------------------------------------------------------------------------------

@pytest.mark.parametrize("field", ["theme", "prefix", "start", "heads", "rhyme", "form"])
def test_request_texts_are_bounded(gen, field):
    huge = "春" * (MAX_REQUEST_CHARS + 1)
    call = {"heads": lambda: gen.acrostic(huge), "start": lambda: gen.generate(start=huge),
            "form": lambda: gen.generate(form=huge)}.get(field, lambda: gen.acrostic("春风", **{field: huge}))
    with pytest.raises(PoetryGenError, match=f"the most it may have is {MAX_REQUEST_CHARS}"):
        call()


def test_a_poem_longer_than_the_limit_is_dropped_from_a_corpus(tmp_path):
    source = tmp_path / "poems.txt"
    source.write_text("床前明月光，疑是地上霜。举头望明月，低头思故乡。\n" + "春" * (MAX_POEM_CHARS + 1) + "。\n",
                      encoding="utf-8")
    stats = corpus.build_corpus(source, tmp_path / "c", keywords=False, progress=False)
    assert stats["dropped"]["too_long"] == 1 and stats["read"] == 2


def test_poem_files_are_read_up_to_a_limit(tmp_path, capsys):
    one_line_error(capsys, ["score", "/dev/zero"], f"{MAX_POEMS_FILE_BYTES // 2 ** 20} MiB")
    long_poem = tmp_path / "long.txt"
    long_poem.write_text("春" * (MAX_POEM_CHARS + 1) + "\n", encoding="utf-8")
    with pytest.raises(PoetryGenError, match=f"{MAX_POEM_CHARS:,}"):
        read_poems(long_poem)
    one_line_error(capsys, ["check", "春" * (MAX_POEM_CHARS + 1)], f"{MAX_POEM_CHARS:,}")


def _bomb(path, size):
    """A tarball with one poet.tang.0.json member of `size` bytes that compresses to almost nothing."""
    class Spaces(io.RawIOBase):
        left = size

        def readable(self):
            return True

        def readinto(self, b):
            n = min(len(b), self.left)
            b[:n] = b" " * n
            self.left -= n
            return n
    with open(path, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb") as gz, tarfile.open(fileobj=gz, mode="w|") as tar:
        info = tarfile.TarInfo("package/dist/poet.tang.0.json")
        info.size = size
        tar.addfile(info, io.BufferedReader(Spaces()))
    return path


@pytest.mark.parametrize("kind", ["tarball", "directory", "text"])
def test_source_files_are_read_up_to_a_limit(poem_source, tmp_path, monkeypatch, kind):
    monkeypatch.setattr(corpus, "MAX_SOURCE_FILE_BYTES", 2000)  # the real 64 MiB, scaled down to stay fast
    if kind == "tarball":
        source = _bomb(tmp_path / "bomb.tgz", 100_000)
    elif kind == "directory":
        source = poem_source
    else:
        source = tmp_path / "poems.txt"
        source.write_text("床前明月光，疑是地上霜。\n" * 200, encoding="utf-8")
    with pytest.raises(PoetryGenError, match="the most a source file may have"):
        corpus.build_corpus(source, tmp_path / "out", keywords=False, progress=False)


def test_a_device_is_not_a_source(tmp_path, capsys):
    one_line_error(capsys, ["corpus", "build", "/dev/zero", "--out", str(tmp_path / "c")], "not a regular file")


def test_a_source_is_read_up_to_a_total(poem_source, tmp_path, monkeypatch):
    monkeypatch.setattr(corpus, "MAX_SOURCE_BYTES", 2000)
    with pytest.raises(PoetryGenError, match="the most a build reads"):
        corpus.build_corpus(poem_source, tmp_path / "out", keywords=False, progress=False)


# --- file systems ---------------------------------------------------------------------------------

def test_os_errors_are_one_line(checkpoint, poem_source, tmp_path, capsys):
    one_line_error(capsys, ["export", str(checkpoint), "/proc/none/x.pt"], "/proc/none", "No such file")
    one_line_error(capsys, ["export", str(checkpoint), str(tmp_path)], "is a directory")
    one_line_error(capsys, ["corpus", "build", str(poem_source), "--out", "/proc/none/c", "--no-keywords"], "/proc/none")
    one_line_error(capsys, ["score", str(tmp_path)], "Is a directory")
    one_line_error(capsys, ["generate", "--checkpoint", str(checkpoint), "--acrostic", "春风", "--seed", "1",
                            "--attention-map", "/proc/none/a.svg"], "/proc/none")


def _mount(*args) -> bool:
    return shutil.which("mount") is not None and os.geteuid() == 0 and \
        subprocess.run(["mount", *args], capture_output=True).returncode == 0


@pytest.fixture
def full_disk(tmp_path):
    """A 64 KiB tmpfs (root only: a plain user cannot mount one, and root ignores permission bits)."""
    path = tmp_path / "full"
    path.mkdir()
    if not _mount("-t", "tmpfs", "-o", "size=64k", "tmpfs", str(path)):
        pytest.skip("cannot mount a tmpfs here")
    yield path
    subprocess.run(["umount", str(path)], check=True)


@pytest.fixture
def read_only(tmp_path):
    """A read-only bind mount of an empty directory (root ignores chmod, so a mount it is)."""
    source, path = tmp_path / "source", tmp_path / "ro"
    source.mkdir()
    path.mkdir()
    if not _mount("--bind", "-o", "ro", str(source), str(path)):
        pytest.skip("cannot bind-mount read-only here")
    yield path
    subprocess.run(["umount", str(path)], check=True)


def test_a_full_disk_is_one_line_and_leaves_nothing_behind(checkpoint, full_disk, capsys):
    one_line_error(capsys, ["export", str(checkpoint), str(full_disk / "x.pt")], f"{full_disk / 'x.pt'}: No space left")
    assert os.listdir(full_disk) == []


def test_a_read_only_directory_is_one_line(checkpoint, poem_source, read_only, capsys):
    one_line_error(capsys, ["export", str(checkpoint), str(read_only / "x.pt")], "Read-only file system")
    one_line_error(capsys, ["corpus", "build", str(poem_source), "--out", str(read_only / "c"), "--no-keywords"],
                   "Read-only file system")


# --- argv, numbers and the API --------------------------------------------------------------------

@pytest.mark.parametrize("option", ["--acrostic", "--theme", "--prefix", "--start", "--rhyme", "--form", "check"])
def test_invalid_utf8_in_argv_is_one_line(checkpoint, capsys, option):
    bad = "春\udcff夏"  # what Python makes of the argv bytes 春\xff夏
    if option == "check":
        argv = ["check", bad]
    else:
        heads = ["--acrostic", "春风"] if option not in ("--acrostic", "--start") else []
        argv = ["generate", "--checkpoint", str(checkpoint), *heads, option, bad]
    one_line_error(capsys, argv, "not valid UTF-8", "0xFF")


@pytest.mark.parametrize("argv,message", [
    (["--temperature", "inf"], "temperature"),
    (["--temperature", "nan"], "temperature"),
    (["--top-p", "nan"], "top-p"),
    (["--threads", "-1"], "threads"),
])
def test_non_finite_numbers_and_negative_threads_are_refused(checkpoint, capsys, argv, message):
    one_line_error(capsys, ["generate", "--checkpoint", str(checkpoint), "--acrostic", "春风", *argv], message)


@pytest.mark.parametrize("call", [
    lambda g: g.acrostic("春风", num=True),
    lambda g: g.acrostic("春风", chars=5.0),
    lambda g: g.acrostic("春风", top_k=1.5),
    lambda g: g.acrostic("春风", temperature=None),
    lambda g: g.acrostic("春风", top_p="0.9"),
    lambda g: g.acrostic("春风", repeat_penalty=float("inf")),
    lambda g: g.acrostic("春风", tone_penalty=float("nan")),
    lambda g: g.acrostic("春风", seed=True),
    lambda g: g.acrostic("春风", prefix=123),
    lambda g: g.acrostic(1234),
    lambda g: g.generate(start=123),
    lambda g: g.generate(theme=123),
    lambda g: g.generate(chars=5, lines="4"),
    lambda g: g.generate(form=5),
    lambda g: g.perplexity(None),
    lambda g: g.perplexity([1, 2]),
    lambda g: g.attention_map("春", "x.svg"),
])
def test_the_api_raises_poetry_gen_error_for_bad_arguments(gen, call):
    with pytest.raises(PoetryGenError):
        call(gen)


@pytest.mark.parametrize("kwargs", [dict(path=123), dict(threads=-1), dict(threads="2"), dict(device=123)])
def test_load_generator_checks_its_arguments(checkpoint, kwargs):
    with pytest.raises(PoetryGenError):
        load_generator(**{"path": checkpoint, **kwargs})


# --- messages -------------------------------------------------------------------------------------

def test_a_number_given_as_text_is_quoted(gen):
    with pytest.raises(PoetryGenError, match="not '0.9'"):
        gen.acrostic("春风", top_p="0.9")


def test_invisible_characters_are_named_by_code_point(checkpoint, capsys):
    err = one_line_error(capsys, ["generate", "--checkpoint", str(checkpoint), "--acrostic", "春\u200d夏"], "U+200D")
    assert "\u200d" not in err


@pytest.mark.parametrize("option", ["--form", "--rhyme"])
def test_a_huge_input_is_not_echoed_whole(checkpoint, capsys, option):
    err = one_line_error(capsys, ["generate", "--checkpoint", str(checkpoint), "--acrostic", "春风",
                                  option, "x" * 400])
    assert len(err) < 300


def test_a_ze_rhyme_group_is_named_as_one(checkpoint, capsys):
    one_line_error(capsys, ["generate", "--checkpoint", str(checkpoint), "--acrostic", "春风", "--rhyme", "屋"],
                   "屋 is a 仄声")

