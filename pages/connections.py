import streamlit as st

from pages.ui import current_staff, flash, unit_of_work
from services.catalog import load_catalog
from services.connect import connections as conns
from services.connect.fields import AUTH_LABELS, form_fields
from services.connect.oauth import flow_status, start_authorization
from services.connect.status import status_label
from services.connect.webhook_secrets import receives_webhooks, rotate_webhook_secret
from services.core.config import load_settings
from services.core.errors import HubError

me = current_staff()
settings = load_settings()
st.title("Connections")
st.caption("Customers' credentials per organization. Secrets are encrypted at rest and never shown (at most "
           "their last 4 characters). Every action is written to the audit log.")


def done(kind: flash.Kind, message: str, secret: str | None = None) -> None:
    """Show the outcome after a rerun (so the table is fresh); a new secret is shown once, then dropped."""
    flash.set(kind, message, icon=None)
    if secret:
        flash.set("warning", "Webhook signing secret — copy it now, it is shown only once. A rotated-out secret "
                  "stays valid for 24 hours.", icon=":material/visibility:", code=secret)
    st.rerun()


flash.show()

with unit_of_work() as session:
    orgs = conns.organization_choices(session)
if not orgs:
    st.info("No organizations yet. Run `layers-hub seed --demo` for demo data.")
    st.stop()
org_id, org_name = st.selectbox("Organization", orgs, format_func=lambda o: o[1], key="conn_org")
with unit_of_work() as session:
    rows = conns.list_connections(session, organization_id=org_id)


table = conns.connections_frame(rows)
if rows:
    st.dataframe(table, hide_index=True, width="stretch", key="connections_table")
else:
    st.info(f"{org_name} has no connections yet; add one below.")

if rows:
    st.subheader("Manage a connection")
    by_id = {r.id: r for r in rows}   # the chooser holds ids and a label without the status (it changes on a test)
    pick = by_id[st.selectbox("Connection", list(by_id), key="conn_pick", format_func=lambda i: (
        f"#{i} {by_id[i].integration}{' (sandbox)' if by_id[i].sandbox else ''} — "
        f"{AUTH_LABELS.get(by_id[i].auth_type)}"))]
    st.caption(f"Status: **{status_label(pick.status)}**")
    if pick.status == "needs_reauth":
        st.warning(f"{pick.integration} refused the stored refresh token: reconnect to restore it.",
                   icon=":material/sync_problem:")
    c1, c2, c3, c4 = st.columns(4)
    if c1.button("Test connection", key="conn_test", icon=":material/network_check:"):
        outcome = conns.test_connection(pick.id, actor=me.email)
        done("success" if outcome.ok else "error", outcome.message)
    if pick.auth_type == "oauth2" and c2.button("Reconnect", key="conn_reconnect", icon=":material/sync:"):
        try:
            with unit_of_work() as session:
                st.session_state.conn_link = (pick.integration, start_authorization(
                    session, staff_id=me.id, organization_id=org_id, slug=pick.integration_slug,
                    sandbox_connection=pick.sandbox, connection_id=pick.id))
        except HubError as exc:
            st.error(str(exc))
    with unit_of_work() as session:
        signed_deliveries = receives_webhooks(session, pick.id)
    if (signed_deliveries or pick.webhook_secrets) and c3.button(
            "Rotate webhook secret" if pick.webhook_secrets else "Create webhook secret", key="conn_rotate",
            icon=":material/key:", help="The secret the provider signs deliveries with (or sends in the URL or a "
                                        "header), for this connection's inbound webhook URL."):
        with unit_of_work() as session:
            secret = rotate_webhook_secret(session, actor=me.email, connection_id=pick.id)
        done("success", f"{'New' if pick.webhook_secrets else 'First'} webhook secret for #{pick.id}.", secret)
    with c4.popover("Revoke / delete", icon=":material/delete:"):
        st.write(f"Revoke #{pick.id} ({pick.integration}) at the provider where it has an endpoint, then forget "
                 "the stored secrets.")
        sure = st.checkbox("I understand the customer's integration stops working", key="conn_confirm")
        if st.button("Revoke", key="conn_revoke", disabled=not sure):
            done("info", f"Revoked #{pick.id}. {conns.revoke_connection(pick.id, actor=me.email).message}")
        if st.button("Revoke and delete", key="conn_delete", type="primary", disabled=not sure):
            result = conns.revoke_connection(pick.id, actor=me.email, delete=True)
            done("info", f"Deleted #{pick.id}. {result.message}")

st.subheader("Connect")
choices = conns.connectable_integrations()
item = st.selectbox("Integration", choices, key="conn_integration",
                    format_func=lambda c: c.name + (" ★" if c.top10 else ""))
auth_type = st.radio("Authentication", item.auth_types, key=f"conn_auth_{item.slug}", horizontal=True,
                     format_func=lambda a: AUTH_LABELS.get(a, a))
use_sandbox = False
if settings.sandbox_enabled and item.sandbox:
    use_sandbox = st.toggle(":material/science: Sandbox (offline stand-in: any key or password beginning sbx_ "
                            "is accepted)",
                            value=True, key="conn_sandbox")

if auth_type == "oauth2":
    if st.button(f"Connect {item.name} with OAuth", key="conn_oauth", type="primary", icon=":material/login:"):
        try:
            with unit_of_work() as session:
                st.session_state.conn_link = (item.name, start_authorization(
                    session, staff_id=me.id, organization_id=org_id, slug=item.slug, sandbox_connection=use_sandbox))
        except HubError as exc:
            st.error(str(exc))
else:
    spec = load_catalog().get(item.slug)
    with st.form("conn_form", clear_on_submit=True):
        values = {}
        for f in form_fields(spec, auth_type):
            if use_sandbox and f.type == "url":
                continue   # the sandbox fills its own URLs
            values[f.name] = st.text_input(f.title + (" *" if f.required else ""), key=f"conn_field_{f.name}",
                                           type="password" if f.secret else "default", help=f.description,
                                           placeholder="sbx_… (sandbox)" if use_sandbox and f.secret
                                           else str(f.example or ""))
        submitted = st.form_submit_button("Check and save", type="primary")
    if submitted:
        try:
            with unit_of_work() as session:
                saved = conns.add_connection(session, actor=me.email, organization_id=org_id, slug=item.slug,
                                             auth_type=auth_type, values=values, sandbox_connection=use_sandbox)
        except HubError as exc:
            st.error(f"Not saved: {exc}")
        else:
            done("success", f"Saved connection #{saved.connection.id}: {item.name} accepted the credentials."
                 if saved.connection.last_checked_at else f"Saved connection #{saved.connection.id}.",
                 saved.webhook_secret)

link = st.session_state.get("conn_link")
if link:
    with unit_of_work() as session:
        status = flow_status(session, link[1])
    if status != "pending":   # the tab finished (or the 10 minutes passed): the link is spent
        del st.session_state["conn_link"]
        done("success" if status == "completed" else "info", f"{link[0]}: authorization {status}; the table "
             "shows the result." if status == "completed" else f"{link[0]}: the authorization link expired.")
if link:
    st.link_button(f"Continue to {link[0]} ↗ (opens a new tab)", link[1], type="primary", icon=":material/open_in_new:")
    st.caption("Approve there; the Hub stores the tokens and shows the result in that tab. Then refresh this page. "
               "The link works once and expires in 10 minutes.")
