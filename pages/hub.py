"""UI entry: page frame, sign-in (OIDC via st.login; with the sandbox on, against the sandbox identity provider)
and navigation rebuilt per role so a page a role may not open is never registered for it."""

from collections.abc import Callable

import streamlit as st

from pages.ui import unit_of_work
from services.connect import vault
from services.core.config import load_settings
from services.people import access as access_service
from services.people import roles

st.set_page_config(page_title="Layers Integration Hub", page_icon=":material/hub:", layout="wide")
settings = load_settings()
try:
    vault.check_production_keys(settings)   # production never runs on the development key
except vault.VaultError as exc:
    st.error(f"The Hub cannot start: {exc}")
    st.stop()


def oidc_configured() -> bool:
    try:
        return "auth" in st.secrets
    except Exception:  # no secrets.toml at all
        return False


def sandbox_sign_in() -> bool:
    """app.py points st.login at the sandbox identity provider (/sandbox/oidc/) when the sandbox is on."""
    return settings.sandbox_enabled and not settings.is_production


def identity() -> tuple[str | None, bool | None] | None:
    """The signed-in identity's (email, email_verified claim), or None when nobody is signed in."""
    if not oidc_configured() or not st.user.is_logged_in:
        return None
    email, verified = st.user.get("email"), st.user.get("email_verified")
    return (email if isinstance(email, str) else None, verified if isinstance(verified, bool) else None)


def sign_in_screen() -> None:
    st.title("Layers Integration Hub")
    if not oidc_configured():
        hint = "" if settings.is_production else (" For development, run with HUB_SANDBOX=1 (`make run` does) to "
                                                  "sign in through the local sandbox identity provider.")
        st.error("No sign-in is configured: add an [auth] section to .streamlit/secrets.toml (see "
                 f"docs/sign-in.md).{hint}")
        return
    if sandbox_sign_in():
        st.info("SANDBOX SIGN-IN: the identity provider is the Hub's local stand-in (/sandbox/oidc/), where you "
                "choose who to sign in as. Development only.", icon=":material/science:")
    st.write("Sign in with your Layers staff account.")
    st.button("Sign in", type="primary", on_click=st.login, key="oidc_login", icon=":material/login:")


def sign_out() -> None:
    """Clear this session, then st.logout clears the identity cookie and starts a fresh session."""
    for key in list(st.session_state.keys()):
        del st.session_state[key]
    st.logout()


def no_access_screen() -> None:
    st.title("Ask an admin for access")
    st.error(access.message, icon=":material/lock:")
    st.caption("Admins grant roles on the Staff & roles page. Signing out lets you use another account.")
    st.button("Sign out", on_click=sign_out, key="no_role_logout", icon=":material/logout:")


who = identity()
if who is None:
    # Signed out: the sign-in screen answers at every page's address, so a deep link keeps its URL until the
    # person signs in (services/server/sign_in.py then lands them on it).
    st.navigation([st.Page(sign_in_screen, title="Sign in", icon=":material/login:", default=True),
                   *(st.Page(sign_in_screen, title="Sign in", url_path=p.key) for p in roles.PAGES)],
                  position="hidden").run()
    st.stop()

with unit_of_work() as session:   # every run: a deactivated member's next action is refused
    access = access_service.check(session, who[0], email_verified=who[1], staff_domains=settings.staff_domains)
    if not access.allowed and st.session_state.get("refusal_audited") != (access.email, access.reason):
        access_service.record_refusal(session, access)   # once per browser session
        st.session_state.refusal_audited = (access.email, access.reason)

if access.staff is None:
    st.session_state.pop("staff", None)
    st.navigation([st.Page(no_access_screen, title="No access", icon=":material/lock:", default=True),
                   *(st.Page(no_access_screen, title="No access", url_path=p.key) for p in roles.PAGES)],
                  position="hidden").run()
    st.stop()


def not_for_your_role(page: roles.PageAccess, role: str) -> Callable[[], None]:
    """What a bookmark or shared link to a page this role may not open shows (instead of "Page not found")."""
    def screen() -> None:
        st.title(page.title)
        allowed = ", ".join(r for r in sorted(page.roles))
        st.warning(f"**{page.title}** is not open to your role (`{role}`); it is for {allowed}. Ask an admin to "
                   "change your role on Staff & roles if you need it.", icon=":material/lock:")
        st.page_link(f"{roles.HOME[role]}.py", label="Go to your home page", icon=":material/home:")
    screen.__name__ = f"not_for_role_{page.key}"
    return screen


me = access.staff
st.session_state.staff = me
home = roles.HOME[me.role]
sections: dict[str, list[st.Page]] = {}
registered: dict[str, st.Page] = {}
for page in roles.pages_for(me.role):
    registered[page.key] = st.Page(f"{page.key}.py", title=page.title, icon=page.icon, url_path=page.key)
    sections.setdefault(page.section, []).append(registered[page.key])


def landing() -> None:
    st.switch_page(registered[home])


# Streamlit serves its default page at "/" only, so a bookmark of the home page's own address would say "Page
# not found": the default is a hidden landing page that opens the role's home, which keeps its address.
# The pages this role may not open answer at their address with why, hidden from the menu.
sections.setdefault("", []).extend([
    st.Page(landing, title="Home", url_path="home", default=True, visibility="hidden"),
    *(st.Page(not_for_your_role(page, me.role), title=page.title, url_path=page.key, visibility="hidden")
      for page in roles.PAGES if not roles.can_open(me.role, page.key))])

with st.sidebar:
    st.caption(f"Signed in as **{me.name}** · `{me.role}`  \n{me.email}")
    if sandbox_sign_in():
        st.caption(":orange[Sandbox sign-in (development)]")
    if vault.using_development_key(settings):
        st.markdown(":orange-background[:material/warning: **Development encryption key**] Credentials are "
                    "encrypted with `data/dev-encryption.key`; set `HUB_ENCRYPTION_KEYS` before storing real ones.")
    st.button("Sign out", on_click=sign_out, key="logout", icon=":material/logout:")

st.navigation(sections).run()
