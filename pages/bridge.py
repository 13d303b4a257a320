import streamlit as st

from pages.ui import current_staff, unit_of_work
from services.config import load_settings
from services.errors import HubError
from services.webhooks import inbound, inbox, subscribe, zapier

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
    triggers = subscribe.subscribable(conn["service"])
    if triggers and staff.role in ("engineer", "admin"):
        trigger = st.selectbox("Trigger to subscribe", triggers, key="wh_sub_trigger")
        if st.button("Subscribe at the provider", key="wh_subscribe"):
            try:
                with unit_of_work() as s:
                    resource = subscribe.subscribe(s, actor=staff.email, connection_id=chosen,
                                                   service=conn["service"], trigger=trigger)
                st.success(f"Subscribed {trigger}: {resource.get('uri') or 'created'}")
            except HubError as exc:
                st.error(str(exc))

received_tab, failed_tab, outbound_tab = st.tabs(["Received events", "Failed verifications", "Outbound deliveries"])

with received_tab:
    with unit_of_work() as s:
        events = inbox.events(s, chosen)
    if events.empty:
        st.info("No events received yet.")
    else:
        st.dataframe(events, hide_index=True, key="wh_events")
        event_id = st.selectbox("Event", events["id"].tolist(), key="wh_event",
                                format_func=lambda i: f"#{i} · {events.set_index('id').loc[i, 'event type']}")
        with unit_of_work() as s:
            detail = inbox.event_detail(s, int(event_id))
        if detail:
            st.markdown(f"**Status:** {detail['status']} · **Trigger:** {detail['trigger'] or '—'}")
            if detail["error"]:
                st.error(detail["error"])
            left, right = st.columns(2)
            left.caption("Payload (secrets redacted)")
            left.json(detail["payload"])
            right.caption("Trigger output")
            right.json(detail["output"] or {})
            if st.button("Replay through its handler", key="wh_replay"):
                try:
                    with unit_of_work() as s:
                        event, queued = inbound.replay(s, actor=staff.email, event_id=int(event_id))
                        result = f"Replayed event #{event.id}: {event.status}"
                    sent = zapier.send(queued)   # after the commit: no transaction held during HTTP
                    st.success(result + (f"; deliveries: {', '.join(sent)}" if sent else ""))
                except HubError as exc:
                    st.error(str(exc))

with failed_tab:
    with unit_of_work() as s:
        failed = inbox.rejections(s, chosen)
    if failed.empty:
        st.info("No failed verifications.")
    else:
        st.dataframe(failed, hide_index=True, key="wh_rejections")

with outbound_tab:
    with unit_of_work() as s:
        hooks, deliveries = inbox.hooks(s, chosen), inbox.deliveries(s, chosen)
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
