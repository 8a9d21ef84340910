"""Sign-in and roles: Streamlit's own OpenID Connect login, when ``[auth]`` is configured.

Without an ``[auth]`` section in ``.streamlit/secrets.toml`` the app is for one person on
their own machine: names are typed, everyone may do everything. With it, nobody sees
anything before signing in; the annotator's name is their identity (never typed, never
taken from the URL), and ``[roles] admins = ["ana@example.org"]`` says who may create
projects and change settings, review and decide, and see or download every label.
Everyone else annotates: labels, skips and undoes their own.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from al_ui.messages import md

PROVIDER_KEYS = ("client_id", "client_secret", "server_metadata_url")
REQUIRED = ("redirect_uri", "cookie_secret")


def _secrets_section(name: str) -> dict[str, Any] | None:
    try:
        if not st.secrets.load_if_toml_exists():
            return None
        section = st.secrets.get(name)
    except Exception:  # an unreadable secrets file: reported by ``config_problem``
        return None
    return None if section is None else dict(section)


def auth_section() -> dict[str, Any] | None:
    """The ``[auth]`` section, or None when sign-in is off."""
    return _secrets_section("auth")


def config_problem(section: dict[str, Any]) -> str | None:
    """What is missing from a half-configured ``[auth]`` section (None: it is complete)."""
    missing = [k for k in REQUIRED if not section.get(k)]
    providers = [v for v in section.values() if isinstance(v, dict)]
    flat_ok = all(section.get(k) for k in PROVIDER_KEYS)
    named_ok = any(all(p.get(k) for k in PROVIDER_KEYS) for p in providers)
    if not (flat_ok or named_ok):
        missing += [k for k in PROVIDER_KEYS if not section.get(k)]
    redirect = str(section.get("redirect_uri", ""))
    if redirect and not redirect.endswith("/oauth2callback"):
        return f"redirect_uri must end with /oauth2callback (it is {redirect!r})"
    if missing:
        return "the [auth] section lacks " + ", ".join(missing)
    return None


def sign_in_on() -> bool:
    return auth_section() is not None


def identity() -> str | None:
    """The signed-in person's name for the log: their e-mail, else name, else subject."""
    if not sign_in_on() or not st.user.is_logged_in:
        return None
    for claim in ("email", "name", "sub"):
        value = st.user.get(claim)
        if value:
            return str(value)
    return None


def admins() -> set[str]:
    roles = _secrets_section("roles") or {}
    return {str(a).strip().lower() for a in roles.get("admins", [])}


def is_admin() -> bool:
    """Everyone is an admin without sign-in (one person, their own machine)."""
    if not sign_in_on():
        return True
    who = identity()
    return who is not None and who.lower() in admins()


def gate() -> bool:
    """Show the sign-in page (or what is wrong with the configuration) unless signed in.

    Returns True when the app may be shown.
    """
    section = auth_section()
    if section is None:
        return True
    problem = config_problem(section)
    if problem:
        st.error(
            f"**Sign-in is configured but incomplete:** {problem}. Complete the `[auth]` "
            "section of `.streamlit/secrets.toml` (see the README, *Sign-in*), or remove it "
            "to run without sign-in on your own machine.",
            icon=":material/lock:",
        )
        return False
    if not st.user.is_logged_in:
        st.title("Active labeling")
        st.write("This labeling server is for its team. Sign in to continue.")
        if st.button("Sign in", type="primary", key="sign_in", icon=":material/login:"):
            st.login()
        return False
    return True


def account_panel() -> None:
    """Who is signed in, their role, and sign-out (in the sidebar)."""
    if not sign_in_on():
        return
    who = identity() or "?"
    role = "admin" if is_admin() else "annotator"
    with st.sidebar:
        st.caption(f"Signed in as **{md(who)}** ({role})")  # a name is text, not Markdown
        if st.button("Sign out", key="sign_out", icon=":material/logout:"):
            st.logout()


def admins_only(what: str) -> bool:
    """True for an admin; otherwise says why the page is closed to them and returns False."""
    if is_admin():
        return True
    st.warning(
        f"**Only admins can {what}.** You are signed in as {md(identity())} (annotator). An "
        "admin is someone listed under `[roles] admins` in the server's secrets.",
        icon=":material/lock:",
    )
    return False
