"""The web UI in headless Chromium against a real server: what people see."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.e2e.conftest import HOSTILE_NAME, Server

pytestmark = pytest.mark.e2e


def sign_in(page: Any, server: Server, who: str) -> None:
    page.goto(f"{server.url}/")
    page.fill("#api-key", server.keys[who])
    page.click("#sign-in-form button[type=submit]")
    page.wait_for_selector("#home:not([hidden])")


def test_employee_asks_who_can_teach_them(page: Any, server: Server) -> None:
    sign_in(page, server, "junior-2")
    page.click("nav >> text=Who can teach me?")
    page.fill("#q", "who can teach me Pinterest or WhatsApp marketing?")
    page.click("form.search button[type=submit]")
    first = page.locator("#results li.teacher").first
    first.wait_for()
    assert first.locator("h3.name").inner_text() == "Aiko Tanaka"
    assert "level 5" in first.inner_text()
    topics = page.locator("#results p.summary .topic").all_inner_texts()
    assert topics == ["pinterest", "whatsapp marketing"]


def test_employee_sees_recommendations_with_both_agendas(page: Any, server: Server) -> None:
    sign_in(page, server, "junior-1")
    page.goto(f"{server.url}/recommendations")
    first = page.locator("li.recommendation").first
    first.wait_for()  # loaded on arrival for an employee key
    assert first.locator("h3.name").inner_text() == "Henrik Dahl"
    agendas = first.locator("section.agenda")
    assert agendas.nth(0).locator("h4").inner_text() == "You learn from Henrik Dahl"
    assert agendas.nth(0).locator(".goal").all_inner_texts() == ["negotiate business deals"]
    assert agendas.nth(1).locator("h4").inner_text() == "Henrik Dahl learns from you"
    assert set(agendas.nth(1).locator(".goal").all_inner_texts()) == {"Pinterest", "WhatsApp"}
    assert "two-way pair" in first.locator(".explanation").inner_text()
    # An employee sees no HR pages in the navigation.
    assert not page.locator("nav >> text=Skill gaps").is_visible()


def test_hostile_profile_text_is_shown_as_text(page: Any, server: Server) -> None:
    sign_in(page, server, "hr")
    page.goto(f"{server.url}/teach")
    page.fill("#q", "TikTok")
    page.click("form.search button[type=submit]")
    page.locator("#results li.teacher").first.wait_for()
    names = page.locator("#results li.teacher h3.name").all_inner_texts()
    assert HOSTILE_NAME in names
    assert page.locator("#results img, #results script, #results b").count() == 0
    assert page.evaluate("window.__owned") is None


def test_the_key_stays_in_this_tab_only(page: Any, server: Server) -> None:
    sign_in(page, server, "junior-1")
    assert page.evaluate("sessionStorage.getItem('mentorgraph.role')") == "employee"
    assert page.evaluate("localStorage.length") == 0
    assert page.context.cookies() == []
    assert page.locator("#who").inner_text() == "employee · junior-1"
    page.click("#sign-out")
    page.wait_for_selector("#sign-in:not([hidden])")
    assert page.evaluate("sessionStorage.length") == 0


def test_a_wrong_key_is_refused_with_a_message(page: Any, server: Server) -> None:
    page.goto(f"{server.url}/")
    page.fill("#api-key", "mg_wrong")
    page.click("#sign-in-form button[type=submit]")
    message = page.locator("#message")
    message.wait_for()
    assert re.search(r"Sign-in failed: the API key is not valid", message.inner_text())
    assert page.evaluate("sessionStorage.length") == 0


def test_hr_reviews_and_publishes_a_cohort(page: Any, server: Server) -> None:
    sign_in(page, server, "hr")
    page.click("nav >> text=Cohorts")
    page.fill("#programme", "Spring <pilot>")
    page.fill("#seniors", "cfo")
    page.fill("#juniors", "junior-2, junior-3")
    page.click("form.cohort-form button[type=submit]")
    title = page.locator("#cohort h2.cohort-title")
    title.wait_for()
    assert title.inner_text().startswith("Spring <pilot>")
    rows = page.locator("#cohort tr.pair")
    assert rows.count() == 2  # the CFO's capacity is 2
    assert rows.locator("td.senior").all_inner_texts() == ["Henrik Dahl", "Henrik Dahl"]
    assert set(rows.locator("td.junior").all_inner_texts()) == {"Tomás Rivera", "Grace Mensah"}
    rows.first.locator("button", has_text="Lock").click()
    page.locator("#cohort tr.pair.locked").wait_for()
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("#cohort button", has_text="Publish").click()
    page.locator("#cohort p.note", has_text="Published").wait_for()
    assert "2 pairings are active" in page.locator("#cohort p.note").inner_text()
    page.click("#cohort-list button[type=submit]")
    page.locator("#cohort-list-results td", has_text="published").wait_for()


def test_hr_sees_the_gap_heatmap(page: Any, server: Server) -> None:
    sign_in(page, server, "hr")
    page.click("nav >> text=Skill gaps")
    image = page.locator("figure.heatmap img")
    image.wait_for()  # loaded on arrival for an HR key
    page.wait_for_function("document.querySelector('figure.heatmap img').complete")
    assert image.evaluate("img => img.naturalWidth") > 300
    assert image.get_attribute("src").startswith("data:image/svg+xml;base64,")
    assert "employees" in page.locator("#results p.summary").inner_text()
    assert page.locator("table.gaps tbody tr").count() > 0
    page.select_option("#group-by", "seniority")
    page.click("form.search button[type=submit]")
    page.locator("figure.heatmap img[alt*='seniority']").wait_for()
