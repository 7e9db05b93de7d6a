"""The web page in a real headless browser (Debian's chromium driven by Playwright) against a
real server on 127.0.0.1."""

import shutil
import socket
import threading
import time

import pytest
import uvicorn

from conftest import EXAMPLE_PHOTO
from zeroshot_tags import Tagger, TrainedTagger
from zeroshot_tags.web.app import ServedModel, create_app

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="no chromium: apt-get install chromium")


@pytest.fixture(scope="module")
def server(default_tagger, trained_model, tmp_path_factory):
    """The app served by uvicorn in a thread; yields its base URL."""
    custom = tmp_path_factory.mktemp("custom") / "hashtags.txt"
    app = create_app([ServedModel("zero-shot", "zero-shot (ConSE)",
                                  Tagger(default_tagger.backbone, custom_hashtags=custom)),
                      ServedModel("scenes", "trained: scenes.pt", TrainedTagger(trained_model))])
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    running = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not running.started and time.monotonic() < deadline:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    running.should_exit = True
    thread.join(10)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield launched
        launched.close()


@pytest.fixture
def page(browser, server):
    context = browser.new_context(viewport={"width": 1100, "height": 760})
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server)
    opened = context.new_page()
    opened.goto(server)
    opened.wait_for_function("document.querySelectorAll('#model option').length == 2")
    yield opened
    context.close()


def suggested(page):
    return page.locator("#suggestions .tag").evaluate_all("tags => tags.map(t => t.firstChild.textContent)")


def wait_for_suggestions(page, condition="true"):
    page.wait_for_function(
        f"(() => {{ const tags = [...document.querySelectorAll('#suggestions .tag')]"
        f".map(t => t.firstChild.textContent); return tags.length > 0 && ({condition}); }})()")
    return suggested(page)


def test_a_chosen_photo_gets_hashtags_and_clicks_refine_them(page, tmp_path):
    page.set_input_files("#file", str(EXAMPLE_PHOTO))
    first = wait_for_suggestions(page)
    assert "#espresso" in first and len(first) == 10
    assert "zero-shot (ConSE)" in page.inner_text("#model-in-use")
    page.locator("#suggestions .tag").first.click()
    refined = wait_for_suggestions(page, f"!tags.includes('{first[0]}')")
    assert page.locator("#chosen .tag").all_inner_texts() == [first[0]]
    assert first[0] not in refined
    page.locator("#chosen .tag").first.click()  # un-choose it
    assert wait_for_suggestions(page, f"tags.includes('{first[0]}')")[0] == first[0]
    page.screenshot(path=tmp_path / "page.png")
    assert (tmp_path / "page.png").read_bytes()[:4] == b"\x89PNG"


def test_a_caption_and_its_weight_steer_the_suggestions(page):
    page.set_input_files("#file", str(EXAMPLE_PHOTO))
    wait_for_suggestions(page)
    page.eval_on_selector("#caption-weight", "e => { e.value = '2'; e.dispatchEvent(new Event('change')); }")
    page.fill("#caption", "a lazy morning at the beach")
    assert "#beach" in wait_for_suggestions(page, "tags.includes('#beach')")


def test_the_model_choice_shows_which_model_is_in_use(page):
    page.set_input_files("#file", str(EXAMPLE_PHOTO))
    wait_for_suggestions(page, "tags.includes('#espresso')")
    page.select_option("#model", "scenes")
    assert set(wait_for_suggestions(page, "tags.includes('#sea')")) == {"#forest", "#sea"}
    assert "trained: scenes.pt" in page.inner_text("#model-in-use")


def test_a_custom_hashtag_is_added_and_copy_all_copies_everything(page):
    page.set_input_files("#file", str(EXAMPLE_PHOTO))
    wait_for_suggestions(page)
    page.fill("#new-hashtag", "espresso shot: #espressoshot")
    page.click("#add-form button")
    tags = wait_for_suggestions(page, "tags.includes('#espressoshot')")
    assert "Added #espressoshot" in page.inner_text("#status")
    page.click("#copy")
    page.wait_for_function("document.getElementById('status').textContent == 'Copied.'")
    assert page.evaluate("navigator.clipboard.readText()") == " ".join(tags)


def test_a_file_that_is_not_a_photo_shows_one_clear_error(page, tmp_path):
    fake = tmp_path / "holiday.jpg"
    fake.write_bytes(b"these bytes are not a jpeg")
    page.set_input_files("#file", str(fake))
    page.wait_for_function("document.getElementById('status').classList.contains('error')")
    assert "not an image" in page.inner_text("#status")


@pytest.mark.parametrize("how", ["drop", "paste"])
def test_a_photo_can_be_dropped_or_pasted(page, how):
    page.evaluate("""([how, bytes]) => {
        const transfer = new DataTransfer();
        transfer.items.add(new File([new Uint8Array(bytes)], "coffee.jpg", { type: "image/jpeg" }));
        const event = how === "drop" ? new DragEvent("drop", { dataTransfer: transfer, bubbles: true })
                                     : new ClipboardEvent("paste", { clipboardData: transfer, bubbles: true });
        (how === "drop" ? document.getElementById("drop") : document).dispatchEvent(event);
    }""", [how, list(EXAMPLE_PHOTO.read_bytes())])
    assert "#espresso" in wait_for_suggestions(page)
