import numpy as np
import pytest

from conftest import TINY_WORDS, write_word2vec
from zeroshot_tags.errors import AssetMissingError, VectorsError
from zeroshot_tags.semantic.vectors import VectorsSource, load_keyed_vectors, phrase_vector


def test_word2vec_binary_loads_with_limit(tiny_vectors_file):
    vectors = load_keyed_vectors(VectorsSource(str(tiny_vectors_file)))
    assert vectors.vector_size == 4 and len(vectors) == len(TINY_WORDS)
    limited = load_keyed_vectors(VectorsSource(str(tiny_vectors_file), limit=3))
    assert len(limited) == 3


@pytest.mark.parametrize("header", [True, False])
def test_text_vectors_with_or_without_header(tmp_path, header):
    path = write_word2vec(tmp_path / "vectors.txt", TINY_WORDS, binary=False)
    if not header:  # GloVe's own text format has no header line
        path.write_text("".join(path.read_text().splitlines(keepends=True)[1:]))
    vectors = load_keyed_vectors(VectorsSource(str(path)))
    np.testing.assert_allclose(vectors["cat"], TINY_WORDS["cat"], rtol=1e-5)


def test_rows_of_the_wrong_dimension_are_an_error(tmp_path):
    path = tmp_path / "bad.txt"
    path.write_text("2 4\ncat 1 0 0 0\ndog 1 0\n")
    with pytest.raises(VectorsError, match="bad.txt"):
        load_keyed_vectors(VectorsSource(str(path)))


def test_missing_file_is_an_asset_error(tmp_path):
    with pytest.raises(AssetMissingError, match="does not exist"):
        load_keyed_vectors(VectorsSource(str(tmp_path / "GoogleNews-vectors-negative300.bin.gz")))


def test_phrase_vector_averages_words_and_segments_unknown_ones(tiny_vectors_file):
    vectors = load_keyed_vectors(VectorsSource(str(tiny_vectors_file)))
    expected = np.array([0.0, 0.0, 1.0, 1.0]) / np.sqrt(2)
    np.testing.assert_allclose(phrase_vector(vectors, "food photography"), expected, rtol=1e-6)
    np.testing.assert_allclose(phrase_vector(vectors, "#foodphotography"), expected, rtol=1e-6)
    assert phrase_vector(vectors, "zzqx") is None


def test_default_glove_package_loads():
    vectors = load_keyed_vectors(VectorsSource("glove-6b-50d", limit=1000))
    assert vectors.vector_size == 50 and len(vectors) == 1000
    assert vectors.most_similar("king", topn=10)


def test_glove_in_the_project_cache_comes_before_the_package(tmp_path, monkeypatch):
    import pyarrow as pa
    import pyarrow.parquet as pq

    monkeypatch.setenv("ZEROSHOT_TAGS_CACHE", str(tmp_path))
    folder = tmp_path / "assets" / "glove-6b-50d"
    folder.mkdir(parents=True)
    pq.write_table(pa.table({"word": list(TINY_WORDS)}), folder / "glove_6B_index.parquet")
    np.save(folder / "glove_6B_50d_emb.npy", np.asarray(list(TINY_WORDS.values()), dtype=np.float32))

    source = VectorsSource("glove-6b-50d")
    assert source.path == folder / "glove_6B_50d_emb.npy"
    vectors = load_keyed_vectors(source)
    assert vectors.vector_size == 4 and len(vectors) == len(TINY_WORDS)


def test_googlenews_style_gzipped_binary_with_limit(tmp_path):
    import gzip

    plain = write_word2vec(tmp_path / "vectors.bin", TINY_WORDS, binary=True)
    packed = tmp_path / "GoogleNews-vectors-negative300.bin.gz"
    packed.write_bytes(gzip.compress(plain.read_bytes()))
    vectors = load_keyed_vectors(VectorsSource(str(packed), limit=5))
    assert len(vectors) == 5
    np.testing.assert_allclose(vectors["cat"], TINY_WORDS["cat"], rtol=1e-6)
