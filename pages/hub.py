"""UI entry: page frame, sign-in (OIDC via st.login, or a labelled development sign-in) and
navigation rebuilt per role so a page a role may not open is never registered for it."""

import streamlit as st

from pages.ui import unit_of_work
from services.connect import vault
from services.core.config import load_settings
from services.people import roles
from services.people import staff as staff_service

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


def signed_in_email() -> str | None:
    if oidc_configured():
        email = st.user.get("email") if st.user.is_logged_in else None
        return email if isinstance(email, str) else None
    return st.session_state.get("dev_email")


def sign_in_screen() -> None:
    st.title("Layers Integration Hub")
    if oidc_configured():
        st.write("Sign in with your Layers staff account.")
        st.button("Sign in", type="primary", on_click=st.login, key="oidc_login")
        return
    if settings.is_production:
        st.error("No sign-in is configured: add an [auth] section to .streamlit/secrets.toml "
                 "(development sign-in is disabled when HUB_ENV=production).")
        return
    st.warning("DEVELOPMENT SIGN-IN: no [auth] section in .streamlit/secrets.toml, so you pick a "
               "staff user below. Never use this mode in production.", icon=":material/warning:")
    with unit_of_work() as session:
        people = staff_service.list_staff(session, active_only=True)
    if not people:
        st.error("There are no staff users yet. Run `layers-hub seed --demo` or `make run`.")
        return
    choice = st.selectbox("Staff user", people, key="dev_pick",
                          format_func=lambda s: f"{s.name} — {s.role} ({s.email})")
    if st.button("Sign in (development)", type="primary", key="dev_login"):
        st.session_state.dev_email = choice.email
        st.rerun()


def sign_out() -> None:
    st.session_state.pop("dev_email", None)
    st.session_state.pop("staff", None)
    if oidc_configured():
        st.logout()


email = signed_in_email()
with unit_of_work() as session:
    me = staff_service.find_active(session, email)

if me is None:
    if email:
        st.error(f"{email} has no active Hub role. Ask an admin to add you on the Staff & roles page.")
        st.button("Sign out", on_click=sign_out, key="no_role_logout")
        st.stop()
    st.navigation([st.Page(sign_in_screen, title="Sign in", icon=":material/login:")], position="hidden").run()
    st.stop()

st.session_state.staff = me
home = roles.HOME[me.role]
sections: dict[str, list[st.Page]] = {}
for page in roles.pages_for(me.role):
    sections.setdefault(page.section, []).append(
        st.Page(f"{page.key}.py", title=page.title, icon=page.icon, url_path=page.key, default=page.key == home))

with st.sidebar:
    st.caption(f"Signed in as **{me.name}** · `{me.role}`  \n{me.email}")
    if not oidc_configured():
        st.caption(":orange[Development sign-in]")
    if vault.using_development_key(settings):
        st.markdown(":orange-background[:material/warning: **Development encryption key**] Credentials are "
                    "encrypted with `data/dev-encryption.key`; set `HUB_ENCRYPTION_KEYS` before storing real ones.")
    st.button("Sign out", on_click=sign_out, key="logout", icon=":material/logout:")

st.navigation(sections).run()
