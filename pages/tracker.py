import streamlit as st

from pages.ui import current_staff, flash, tracker_board, tracker_detail, tracker_outbox, tracker_progress
from services.build.tracker import BUILDERS

me = current_staff()
can_edit = me.role in BUILDERS
st.title("Build tracker")
st.caption("Each integration from Planned to Available: the seed's seven build steps, the testing checklist, "
           "the status pipeline and the announcement to upvoters.")
if not can_edit:
    st.caption(":material/visibility: Read-only for your role: engineers and admins tick items and move "
               "integrations.")

VIEWS = {"Board": ":material/view_kanban:", "Integration": ":material/checklist:",
         "Progress": ":material/trending_up:", "Announcements": ":material/campaign:"}
view = st.segmented_control("View", list(VIEWS), key="tracker_view", default="Board", required=True,
                            format_func=lambda v: f"{VIEWS[v]} {v}", label_visibility="collapsed")
flash.show()

if view == "Board":
    tracker_board.show()
elif view == "Integration":
    tracker_detail.show(me, can_edit)
elif view == "Progress":
    tracker_progress.show()
else:
    tracker_outbox.show(me, can_edit)
