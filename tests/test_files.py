import errno
import os
import stat

import pytest
import torch

from poetry_gen.checkpoint import save_checkpoint
from poetry_gen.errors import PoetryGenError
from poetry_gen.files import replacing_directory, write_atomic
from poetry_gen.model import ModelConfig, PoetryLM
from poetry_gen.vocab import SPECIALS, Vocab


@pytest.fixture(params=[0o022, 0o077])
def umask(request):
    previous = os.umask(request.param)
    yield request.param
    os.umask(previous)


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_text_bytes_and_a_writer_function(tmp_path):
    assert write_atomic(tmp_path / "a" / "t.txt", "春风\n").read_text(encoding="utf-8") == "春风\n"
    assert write_atomic(tmp_path / "b.bin", b"\x00\x01").read_bytes() == b"\x00\x01"
    write_atomic(tmp_path / "c.pt", lambda f: torch.save({"x": 1}, f))
    assert torch.load(tmp_path / "c.pt", weights_only=True) == {"x": 1}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a", "b.bin", "c.pt"]


def test_every_kind_of_file_gets_the_umasks_permissions(tmp_path, umask):
    vocab = Vocab(list(SPECIALS) + list("春风，。"))
    save_checkpoint(tmp_path / "model.pt", model=PoetryLM(ModelConfig(len(vocab), 8, 8)), vocab=vocab, train_state={})
    write_atomic(tmp_path / "poem.txt", "春风")
    with replacing_directory(tmp_path / "corpus") as d:
        (d / "f").write_text("x")
    assert mode(tmp_path / "model.pt") == mode(tmp_path / "poem.txt") == 0o666 & ~umask
    assert mode(tmp_path / "corpus") == 0o777 & ~umask


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path):
    path = write_atomic(tmp_path / "t.txt", "old")

    def fail(f):
        f.write(b"half")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        write_atomic(path, fail)
    assert path.read_text() == "old" and [p.name for p in tmp_path.iterdir()] == ["t.txt"]


def test_a_directory_is_replaced_whole_or_not_at_all(tmp_path):
    out = tmp_path / "corpus"
    with replacing_directory(out) as d:
        (d / "old.txt").write_text("1")
    with pytest.raises(RuntimeError):
        with replacing_directory(out) as d:
            (d / "new.txt").write_text("2")
            raise RuntimeError("interrupted")
    assert [p.name for p in out.iterdir()] == ["old.txt"]
    with replacing_directory(out) as d:
        (d / "new.txt").write_text("2")
    assert [p.name for p in out.iterdir()] == ["new.txt"] and [p.name for p in tmp_path.iterdir()] == ["corpus"]


def test_a_file_is_not_written_over_a_directory(tmp_path, monkeypatch):
    (tmp_path / "d").mkdir()
    monkeypatch.chdir(tmp_path / "d")
    for target in (tmp_path / "d", ".", ".."):
        with pytest.raises(IsADirectoryError) as err:
            write_atomic(target, "春风")
        assert err.value.filename == str(target)  # the path given, never a temporary's name
    assert list(tmp_path.iterdir()) == [tmp_path / "d"] and list((tmp_path / "d").iterdir()) == []


def test_a_path_that_names_a_directory_is_refused_before_anything_is_written(tmp_path, monkeypatch):
    """Path('poems/') is Path('poems'): the file would be written where the user meant a directory."""
    monkeypatch.chdir(tmp_path)
    with pytest.raises(PoetryGenError, match="path to write is empty"):
        write_atomic("", "春风")
    for name in ("poems/", "poems/.", "poems/x/.."):
        with pytest.raises(PoetryGenError, match=f"{name} names a directory"):
            write_atomic(name, "春风")
    assert list(tmp_path.iterdir()) == [] and not list(tmp_path.parent.glob(f".{tmp_path.name}.*"))


def test_a_file_in_the_way_of_the_directory_is_not_a_directory(tmp_path):
    (tmp_path / "model.pt").write_text("x")
    with pytest.raises(NotADirectoryError) as err:
        write_atomic(tmp_path / "model.pt" / "poems.txt", "春风")
    assert err.value.filename == str(tmp_path / "model.pt")
    with pytest.raises(NotADirectoryError):
        with replacing_directory(tmp_path / "model.pt" / "corpus"):
            pytest.fail("entered")


def test_a_temporary_that_cannot_be_made_is_reported_as_the_file_asked_for(tmp_path, monkeypatch):
    target = tmp_path / "poems.txt"
    real_open = open

    def refuse_the_temporary(path, *args, **kwargs):
        if str(path).endswith(".tmp"):
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(path))
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr("builtins.open", refuse_the_temporary)
    with pytest.raises(PermissionError) as err:
        write_atomic(target, "春风")
    assert err.value.filename == str(target) and list(tmp_path.iterdir()) == []


def test_a_directory_whose_temporary_cannot_be_made_is_reported_as_the_one_asked_for(tmp_path, monkeypatch):
    from pathlib import Path

    real_mkdir = Path.mkdir

    def refuse_the_temporary(self, *args, **kwargs):
        if self.name.endswith(".tmp"):
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(self))
        return real_mkdir(self, *args, **kwargs)

    monkeypatch.setattr(Path, "mkdir", refuse_the_temporary)
    with pytest.raises(PermissionError) as err:
        with replacing_directory(tmp_path / "corpus"):
            pytest.fail("entered")
    assert err.value.filename == str(tmp_path / "corpus") and list(tmp_path.iterdir()) == []


def test_the_working_directory_is_not_replaced_but_a_path_through_dotdot_is(tmp_path, monkeypatch):
    (tmp_path / "work" / "inner").mkdir(parents=True)
    monkeypatch.chdir(tmp_path / "work" / "inner")
    for target in (".", "..", tmp_path):
        with pytest.raises(PoetryGenError, match="current directory"):
            with replacing_directory(target):
                pytest.fail("entered")
    with replacing_directory(tmp_path / "other" / "x" / "..") as d:  # names tmp_path/other
        (d / "f").write_text("1")
    assert [p.name for p in (tmp_path / "other").iterdir()] == ["f"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["other", "work"]
