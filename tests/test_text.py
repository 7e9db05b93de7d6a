from zeroshot_tags.text import hashtag_form, segment, split_words


def test_hashtag_form_joins_words_and_drops_punctuation():
    assert hashtag_form("apple pie") == "#applepie"
    assert hashtag_form("baby_back_ribs") == "#babybackribs"
    assert hashtag_form("#FoodPorn") == "#foodporn"
    assert hashtag_form("rock 'n' roll!") == "#rocknroll"


def test_split_words_on_separators():
    assert split_words("#great_white-shark / coast, sea") == ["great", "white", "shark", "coast", "sea"]


def test_segment_splits_run_together_hashtags():
    assert segment("foodphotography") == ["food", "photography"]
    assert segment("naturelovers") == ["nature", "lovers"]
