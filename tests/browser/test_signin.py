"""Sign-in through a real OpenID Connect provider (``oidc-provider-mock``) in Chromium.

Signed out, every page shows only the sign-in button; an annotator's name is their
identity whatever the URL says, and the admin pages tell them why they are closed; an admin
(listed under ``[roles] admins``) gets in; a half-configured ``[auth]`` says what is missing.
"""

from __future__ import annotations

import pytest

from al_core.projects.project import Project

from .harness import TITLE, Server, free_port, sample_id, wait_ready

oidc = pytest.importorskip("oidc_provider_mock")

SECRETS = """
[auth]
redirect_uri = "http://127.0.0.1:{app}/oauth2callback"
cookie_secret = "a-long-random-cookie-secret-only-for-these-tests"
client_id = "al-test"
{client_secret}
server_metadata_url = "http://localhost:{idp}/.well-known/openid-configuration"

[roles]
admins = ["ana@example.org"]
"""

USERS = [
    oidc.User(sub="ana", claims={"email": "ana@example.org", "name": "Ana"}),
    oidc.User(sub="bo", claims={"email": "bo@example.org", "name": "Bo"}),
]


@pytest.fixture(scope="module")
def provider():
    with oidc.run_server_in_thread(user_claims=USERS) as server:
        yield server.server_port


def _server(tmp_path, idp: int, complete: bool = True) -> Server:
    port = free_port()
    secrets = tmp_path / "secrets.toml"
    secret = 'client_secret = "al-test-secret"' if complete else ""
    secrets.write_text(SECRETS.format(app=port, idp=idp, client_secret=secret))
    return Server(tmp_path / "projects", port=port, args=["--secrets.files", str(secrets)])


def _sign_in(page, sub: str) -> None:
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("button", name=sub, exact=True).click()  # the provider's form
    page.wait_for_url("http://127.0.0.1:*/**")
    wait_ready(page)


def test_signed_out_sees_only_the_sign_in_button(tmp_path, provider, new_page):
    server = _server(tmp_path, provider).start()
    try:
        for path in ("", "/setup", "/data", "/review", "/?annotator=Mallory"):
            page = new_page(f"{server.url}{path}")
            page.get_by_role("button", name="Sign in").wait_for()
            wait_ready(page)
            assert page.get_by_role("link", name="Setup").count() == 0
            assert page.locator(TITLE).count() == 0
    finally:
        server.stop()


def test_an_annotator_labels_as_themself_and_admin_pages_say_why_not(tmp_path, provider, new_page):
    server = _server(tmp_path, provider).start()
    try:
        page = new_page(f"{server.url}/?annotator=Mallory")
        _sign_in(page, "bo")
        row = sample_id(page)
        heading = page.get_by_role("heading", name="Labeling").inner_text()
        assert "bo@example.org" in heading.replace("\u200b", "")  # (autolinks are broken)
        page.goto(f"{server.url}/?annotator=Mallory")  # the URL names someone else
        assert sample_id(page) == row
        wait_ready(page)
        page.keyboard.press("1")
        page.wait_for_timeout(500)
        wait_ready(page)
        project = Project.open("tutorial", folder=server.projects)
        assert {e.annotator for e in project.events} == {"bo@example.org"}
        project.close()
        for path, what in (
            ("/setup", "create projects"),
            ("/data", "see and download"),
            ("/review", "review labels"),
        ):
            page.goto(f"{server.url}{path}")
            page.get_by_text(f"Only admins can {what}").wait_for()
        assert (
            page.get_by_text("Signed in as", exact=False).first.inner_text().endswith("(annotator)")
        )
    finally:
        server.stop()


def test_an_admin_gets_into_review_and_setup(tmp_path, provider, new_page):
    server = _server(tmp_path, provider).start()
    try:
        page = new_page(server.url)
        _sign_in(page, "ana")
        sample_id(page)
        page.goto(f"{server.url}/review")
        page.get_by_text("Reviewing").first.wait_for()
        page.goto(f"{server.url}/setup")
        page.get_by_role("tab", name="Built-in dataset").wait_for()
        assert page.get_by_text("Only admins").count() == 0
    finally:
        server.stop()


def test_a_half_configured_auth_section_says_what_is_missing(tmp_path, provider, new_page):
    server = _server(tmp_path, provider, complete=False).start()
    try:
        page = new_page(server.url)
        page.get_by_text("Sign-in is configured but incomplete").wait_for()
        assert "client_secret" in page.get_by_text("the [auth] section lacks").inner_text()
        assert page.get_by_role("button", name="Sign in").count() == 0
    finally:
        server.stop()
