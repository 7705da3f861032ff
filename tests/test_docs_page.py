"""The API's docs page as a developer meets it: Swagger UI, rendered by Debian's headless
Chromium (`make chromium` installs it), shows every operation with its request
body, enumerations and examples, and "Try it out" makes a real call.

The page's screenshot is committed as docs/api-docs.png (the README shows it); the test
takes a fresh one into a temporary directory and holds the committed one to the same
size, so it is not rewritten on every run. HAVEN_UPDATE_SCREENSHOT=1 rewrites it.
"""

from __future__ import annotations

import os
import shutil
import struct
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait

from shared.auth import issue_token
from tests.gateway_fixtures import serve_platform

pytestmark = pytest.mark.slow

SCREENSHOT = Path(__file__).resolve().parents[1] / "docs" / "api-docs.png"
WINDOW = (1280, 1600)
CHROMIUM, CHROMEDRIVER = shutil.which("chromium"), shutil.which("chromedriver")

api = pytest.fixture(scope="module")(serve_platform)


@pytest.fixture(scope="module")
def browser() -> Iterator[webdriver.Chrome]:
    if not (CHROMIUM and CHROMEDRIVER):
        pytest.fail("Debian's chromium and chromium-driver are missing:"
                    " run `make chromium`")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
                     "--disable-gpu", f"--window-size={WINDOW[0]},{WINDOW[1]}"):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def _wait(driver: Any, condition: Any, timeout: float = 60) -> Any:
    return WebDriverWait(driver, timeout).until(condition)


def _operation(driver: Any, tag: str, operation_id: str) -> Any:
    """An operation's block, opened (its deep link opens it)."""
    # Swagger UI escapes the id's dot with a backslash, which XPath takes literally.
    found = (By.XPATH, f"//*[@id='operations-{tag}-{operation_id.replace('.', chr(92) + '.')}']")
    block = _wait(driver, ec.presence_of_element_located(found))
    if "is-open" not in (block.get_attribute("class") or ""):
        summary = block.find_element(By.CSS_SELECTOR, ".opblock-summary-control")
        driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", summary)
        summary.click()
    _wait(driver, lambda d: "is-open" in (d.find_element(*found).get_attribute("class") or ""))
    return driver.find_element(*found)


def _png_size(path: Path) -> tuple[int, int]:
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    width, height = struct.unpack(">II", head[16:24])
    return width, height


def test_the_docs_page_shows_bodies_enums_examples_and_tries_a_call(api, browser, tmp_path):
    browser.get(api.base + "/api/v1/docs")
    # Rendered: the operations are on the page (not merely the HTML shell).
    _wait(browser, lambda d: len(d.find_elements(By.CSS_SELECTOR, ".opblock")) >= 10)
    assert browser.find_element(By.CSS_SELECTOR, ".info .title").text.startswith("Haven API")

    # A named request body, with its example: logging a contact.
    log_contact = _operation(browser, "helpline", "intake.log_contact")
    body = _wait(browser, lambda d: log_contact.find_element(
        By.CSS_SELECTOR, ".opblock-section-request-body"))
    assert "application/json" in body.text
    example = _wait(browser, lambda d: log_contact.find_element(
        By.CSS_SELECTOR, ".opblock-section-request-body .highlight-code"))
    assert "Works on a farm, passport kept by the employer" in example.text
    assert "Roles: helpline_operator" in log_contact.text  # who may call it

    # Screening's indicators are an enumeration, listed in the body's schema.
    screening = _operation(browser, "helpline", "intake.screen_contact")
    schema_tab = screening.find_element(
        By.XPATH, ".//*[contains(@class,'opblock-section-request-body')]"
                  "//*[contains(@class,'tablinks') and normalize-space()='Schema']")
    schema_tab.click()
    model = _wait(browser, lambda d: screening.find_element(
        By.CSS_SELECTOR, ".opblock-section-request-body .model-box"))

    def enumeration_open(driver: Any) -> bool:
        """Swagger UI folds a long enumeration ("Array [ 10 ]"): unfold until listed."""
        for folded in model.find_elements(By.CSS_SELECTOR, "button[aria-expanded=false]"):
            folded.click()
        return "retained_documents" in model.text

    _wait(browser, enumeration_open)
    assert "withheld_wages" in model.text and "presumed_victim" in model.text

    # Authorize with a bearer token, then "Try it out" logs the example contact.
    browser.find_element(By.CSS_SELECTOR, ".auth-wrapper .authorize").click()
    field = _wait(browser, ec.visibility_of_element_located(
        (By.CSS_SELECTOR, ".auth-container input[type=text], .auth-container input")))
    field.send_keys(issue_token("docs-reader", ["helpline_operator"]))
    browser.find_element(By.CSS_SELECTOR, ".auth-btn-wrapper .authorize").click()
    browser.find_element(By.CSS_SELECTOR, ".auth-btn-wrapper .btn-done").click()
    try_it = log_contact.find_element(By.CSS_SELECTOR, ".try-out__btn")
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'});", try_it)
    try_it.click()
    execute = _wait(browser, lambda d: log_contact.find_element(By.CSS_SELECTOR,
                                                                ".execute-wrapper .execute"))
    execute.click()
    status = _wait(browser, lambda d: log_contact.find_element(
        By.CSS_SELECTOR, ".live-responses-table .response .response-col_status"))
    _wait(browser, lambda d: status.text.strip() != "")
    assert status.text.strip().startswith("201"), status.text
    answer = log_contact.find_element(By.CSS_SELECTOR, ".live-responses-table")
    assert '"contact_id"' in (answer.get_attribute("textContent") or "")

    # The screenshot: the page as it opens.
    browser.get(api.base + "/api/v1/docs")
    _wait(browser, lambda d: len(d.find_elements(By.CSS_SELECTOR, ".opblock")) >= 10)
    fresh = tmp_path / "api-docs.png"
    assert browser.save_screenshot(str(fresh))
    if os.environ.get("HAVEN_UPDATE_SCREENSHOT") == "1" or not SCREENSHOT.exists():
        SCREENSHOT.parent.mkdir(exist_ok=True)
        shutil.copyfile(fresh, SCREENSHOT)
    assert _png_size(SCREENSHOT) == _png_size(fresh)
