"""The sentence encoder all-MiniLM-L6-v2, loaded offline from its PyPI package."""

import numpy as np
import pytest

from zeroshot_tags.semantic.encoder import DEFAULT_ENCODER, EncoderSource, encode, is_encoder_spec, load_encoder
from zeroshot_tags.errors import AssetMissingError, VectorsError
from zeroshot_tags.vocabulary.labels import imagenet_1k
from zeroshot_tags.semantic.space import SpaceSettings, open_space
from zeroshot_tags.vocabulary.vocab import load_vocabulary


@pytest.fixture(scope="module")
def encoder():
    return load_encoder(EncoderSource(DEFAULT_ENCODER))


def test_embeddings_are_unit_rows_that_know_meaning(encoder):
    cat, kitten, invoice = encode(encoder, ["cat", "kitten", "invoice"])
    np.testing.assert_allclose(np.linalg.norm([cat, kitten, invoice], axis=1), 1.0, rtol=1e-5)
    assert cat @ kitten > cat @ invoice + 0.2


def test_a_sentence_transformers_folder_is_an_encoder_spec(tmp_path):
    model_folder = EncoderSource(DEFAULT_ENCODER).path
    assert is_encoder_spec(DEFAULT_ENCODER) and is_encoder_spec(str(model_folder))
    assert not is_encoder_spec(str(tmp_path)) and not is_encoder_spec("glove-6b-50d")


def test_the_encoder_in_the_project_cache_comes_before_the_package(tmp_path, monkeypatch):
    packaged = EncoderSource(DEFAULT_ENCODER).path
    monkeypatch.setenv("ZEROSHOT_TAGS_CACHE", str(tmp_path))
    (tmp_path / "assets").mkdir()
    (tmp_path / "assets" / DEFAULT_ENCODER).symlink_to(packaged, target_is_directory=True)
    assert EncoderSource(DEFAULT_ENCODER).path == tmp_path / "assets" / DEFAULT_ENCODER


def test_a_missing_encoder_folder_says_so(tmp_path):
    with pytest.raises(AssetMissingError, match="sentence encoder folder .* does not exist"):
        load_encoder(EncoderSource(str(tmp_path / "no-such-encoder")))


def test_a_broken_encoder_folder_is_a_clear_error(tmp_path):
    (tmp_path / "modules.json").write_text('[{"idx": 0, "name": "0", "path": "", "type": "no.such.Module"}]')
    with pytest.raises((VectorsError, AssetMissingError)):
        load_encoder(EncoderSource(str(tmp_path)))


def test_an_encoder_space_expresses_every_word_and_class(tmp_path, encoder):
    words = ["beach", "mountain", "qqqzzz", "#latteart"]
    settings = SpaceSettings.create(DEFAULT_ENCODER, hubness="none")
    space = open_space(settings, imagenet_1k(), load_vocabulary(words), tmp_path)
    assert len(space.vocabulary) == 4  # no word is out of vocabulary for an encoder
    assert np.all(np.linalg.norm(space.label_vectors, axis=1) > 0.99)
    names = imagenet_1k().names
    np.testing.assert_allclose(space.label_vectors[names.index("goldfish")],
                               encode(encoder, ["goldfish"])[0], atol=1e-5)
    ids, _ = space.index.nearest(space.label_vectors[names.index("volcano")], 1)
    assert space.vocabulary.entries[ids[0]].word == "mountain"
