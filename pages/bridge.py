import streamlit as st

from pages.ui import current_staff, flash, unit_of_work
from pages.ui.bridge_retention import retention_panel
from pages.ui.bridge_subscribe import subscribe_panel
from services.core.config import load_settings
from services.core.errors import HubError
from services.webhooks import inbound, inbox
from services.webhooks.hooks import send as send_deliveries

staff = current_staff()
st.title("Webhooks & bridge")
st.caption("Inbound provider webhooks (triggers) per connection, failed verifications, and the Hub's signed "
           "outbound deliveries to Zapier REST hooks. Payloads are shown with secret values redacted.")

with unit_of_work() as s:
    conns = inbox.connections(s)
options = [None] + [c["id"] for c in conns]
labels = {c["id"]: c["label"] for c in conns}
chosen = st.selectbox("Connection", options, key="wh_conn",
                      format_func=lambda cid: "All connections" if cid is None else labels[cid])
if chosen is not None:
    conn = next(c for c in conns if c["id"] == chosen)
    st.markdown(f"Inbound URL (scheme **{conn['scheme'] or 'none'}**):")
    st.code(inbox.url_for(load_settings().base_url, conn["service"], chosen), language=None)
    subscribe_panel(staff, chosen, conn["service"], labels[chosen])

with unit_of_work() as s:
    events, failed = inbox.events(s, chosen), inbox.rejections(s, chosen)
    hooks, deliveries = inbox.hooks(s, chosen), inbox.deliveries(s, chosen)
for frame in (events, failed, hooks, deliveries):   # "#3 Calendly · Acme" rather than a bare id; app names as they are
    frame["connection"] = frame["connection"].map(lambda c: labels.get(c, c if isinstance(c, str) else f"#{c}"))

shown = {"Received events": events, "Failed verifications": failed, "Outbound deliveries": deliveries}
for column, (name, frame) in zip(st.columns(len(shown)), shown.items(), strict=True):
    column.metric(name, f"{len(frame)}+" if len(frame) >= inbox.LIMIT else len(frame))
can_prune = staff.role in ("engineer", "admin")
tabs = st.tabs([*shown, *(["Retention"] if can_prune else [])])
received_tab, failed_tab, outbound_tab = tabs[:3]

with received_tab:
    flash.show("received")
    if events.empty:
        st.info("No events received yet.")
    else:
        st.dataframe(events, hide_index=True, key="wh_events")
        by_id = events.set_index("id")
        event_id = st.selectbox("Event", events["id"].tolist(), key="wh_event",
                                format_func=lambda i: f"#{i} · {by_id.loc[i, 'event type'] or 'no event type'} · "
                                                      f"{by_id.loc[i, 'status']}")
        with unit_of_work() as s:
            detail = inbox.event_detail(s, int(event_id))
        if detail:
            st.markdown(f"**Status:** {detail['status']} · **Trigger:** {detail['trigger'] or '—'}")
            if detail["error"]:
                st.error(detail["error"])
            left, right = st.columns(2)
            left.caption("Payload as received (secret values redacted)")
            left.json(detail["payload"], expanded=2)
            right.caption("Trigger output (what subscribed Zaps receive)")
            right.json(detail["output"] or {})
            if st.button("Replay through its handler", key="wh_replay",
                         help="Maps the stored event to its trigger again and sends it to the subscribed Zaps"):
                try:
                    with unit_of_work() as s:
                        event, queued = inbound.replay(s, actor=staff.email, event_id=int(event_id))
                        result = f"Replayed event #{event.id}: {event.status}"
                    sent = send_deliveries(queued)   # after the commit: no transaction held during HTTP
                    flash.set("success", result + (f"; deliveries: {', '.join(sent)}" if sent else ""),
                              where="received")
                    st.rerun()   # the table above shows the event's new status and attempts
                except HubError as exc:
                    st.error(str(exc))

with failed_tab:
    st.caption("Deliveries to a known connection that were refused: the sender got the HTTP status shown, and the "
               "body was not kept. A burst usually means a wrong or rotated webhook secret at the provider.")
    if failed.empty:
        st.info("No failed verifications.")
    else:
        st.dataframe(failed, hide_index=True, key="wh_rejections")

with outbound_tab:
    st.subheader("Zapier REST hooks")
    if hooks.empty:
        st.info("No Zap has subscribed yet.")
    else:
        st.dataframe(hooks, hide_index=True, key="wh_hooks")
    st.subheader("Delivery attempts")
    if deliveries.empty:
        st.info("No outbound deliveries yet.")
    else:
        st.dataframe(deliveries, hide_index=True, key="wh_deliveries")

if can_prune:
    with tabs[3]:
        retention_panel(staff)
