"""Integration guides: each integration's guide with its state, search, and the rendered guide."""

import pandas as pd
import streamlit as st

from pages.ui import current_staff, flash, unit_of_work
from services.build.tracker import BUILDERS
from services.core.errors import HubError
from services.core.text import top10_text
from services.guides import publishing
from services.guides.render import demote, render
from services.guides.state import STATES, guide_states

me = current_staff()
can_publish = me.role in BUILDERS
st.title("Integration guides")
st.caption("How to connect, actions and triggers, example workflows, common use cases and troubleshooting. "
           "The written parts live in `docs/integrations/<slug>.md`; connection fields, actions, triggers and "
           "error categories are generated from the catalog each time a guide is shown.")
flash.show()

with unit_of_work() as session:
    states = guide_states(session)
available = [s for s in states if s.status == "available"]
count = {state: sum(1 for s in states if s.state == state) for state in STATES}
cols = st.columns(4)
cols[0].metric("Available with a published guide", f"{sum(s.published for s in available)} / {len(available)}",
               help="Integrations customers can use today whose guide is published (success criterion 5).")
cols[1].metric("Published guides", count["published"])
cols[2].metric("Ready to publish", count["ready to publish"])
cols[3].metric("Incomplete or not written", count["incomplete"] + count["not written"])

search, pick = st.columns([3, 2])
text = search.text_input("Search", placeholder="name, slug or category", key="guide_search").strip().lower()
wanted = pick.multiselect("Guide state", STATES, key="guide_state_filter")
shown = [s for s in states if (not wanted or s.state in wanted)
         and (not text or text in s.name.lower() or text in s.slug or text in s.category.lower())]
st.dataframe(pd.DataFrame([{"top10": top10_text(s.top10_rank), "name": s.name, "category": s.category,
                            "status": s.status, "guide": s.state, "published_by": s.published_by or "",
                            "published_at": f"{s.published_at:%Y-%m-%d}" if s.published_at else "",
                            "missing": "; ".join(s.problems)} for s in shown],
                          columns=["top10", "name", "category", "status", "guide", "published_by", "published_at",
                                   "missing"]),
             hide_index=True, width="stretch", key="guide_table", height=280,
             column_config={"top10": "Top 10", "name": "Integration",
                            "category": "Category", "status": "Integration status", "guide": "Guide",
                            "published_by": "Published by",
                            "published_at": "Published",
                            "missing": "What is missing"})
if not shown:
    st.info("No guide matches the search.")
    st.stop()

# The browser holds a selectbox's choice as its label: a label naming the guide's state went stale when publishing
# changed it, and the next click fell back to the first guide (and published HubSpot). Choose by slug, label by name.
by_slug = {s.slug: s for s in shown}
if st.session_state.get("guide_slug") not in by_slug:
    st.session_state["guide_slug"] = next(iter(by_slug))
slug = st.selectbox("Read a guide", list(by_slug), key="guide_slug", format_func=lambda s: by_slug[s].name)
state = by_slug[slug]
if state.published:
    st.caption(f":material/verified: Published by {state.published_by} on {state.published_at:%d %b %Y}"
               + (" · the written text changed since" if state.edited_since_published else ""))
else:
    st.warning(f"Not published ({state.state})" + (": " + "; ".join(state.problems) if state.problems else "."),
               icon=":material/edit_note:")

markdown = render(slug)
actions = st.columns([1, 1, 2])
actions[0].download_button("Markdown", markdown, file_name=f"{slug}.md", mime="text/markdown",
                           key="guide_download", icon=":material/download:", width="stretch")
if can_publish:
    label = "Unpublish" if state.published else "Publish"
    if actions[1].button(label, key="guide_publish", type="secondary" if state.published else "primary",
                         disabled=not state.published and state.state != "ready to publish", width="stretch"):
        try:
            with unit_of_work() as session:
                if state.published:
                    publishing.unpublish(session, actor=me.email, slug=slug)
                else:
                    publishing.publish(session, actor=me.email, slug=slug)
        except HubError as exc:
            st.error(str(exc))
        else:
            flash.set("success", f"{state.name}'s guide {'unpublished' if state.published else 'published'}.")
            st.rerun()
    actions[2].caption("Publishing ticks the guide items of Step 7 in the build tracker; unpublishing reopens them.")
else:
    actions[2].caption("Engineers and admins publish guides once their written sections are complete.")

with st.container(border=True):
    st.markdown(demote(markdown))
