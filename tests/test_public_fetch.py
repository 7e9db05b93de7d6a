"""The server's downloads reach public addresses only."""

import pytest

from zeroshot_tags.errors import ImageError
from zeroshot_tags.images import fetch_url
from zeroshot_tags.web.public_fetch import check_public_url, public_session


@pytest.mark.parametrize("url, words", [
    ("http://127.0.0.1:8000/x.jpg", "loopback"),
    ("http://localhost/x.jpg", "loopback"),
    ("http://[::1]/x.jpg", "loopback"),
    ("http://10.0.0.7/x.jpg", "private"),
    ("http://192.168.1.1/x.jpg", "private"),
    ("http://169.254.169.254/latest/meta-data", "link-local"),
    ("http://0.0.0.0/x.jpg", "unspecified"),
    ("ftp://example.org/x.jpg", r"only http\(s\)"),
    ("http://no-such-host.invalid/x.jpg", "unknown host"),
])
def test_non_public_or_odd_urls_are_refused_with_the_reason(url, words):
    with pytest.raises(ImageError, match=words):
        check_public_url(url)


def test_the_connection_itself_refuses_a_loopback_address(image_server):
    assert fetch_url(f"{image_server}/photo.jpg")[:2] == b"\xff\xd8"  # reachable without the guard
    with pytest.raises(ImageError, match="loopback"):
        fetch_url(f"{image_server}/photo.jpg", session=public_session())
