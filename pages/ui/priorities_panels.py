"""Parts of the Priorities page: the table's shape, who asked, planning, settings (with a preview) and import."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from pages.ui import cached_read, flash, unit_of_work
from services.core.errors import HubError, InvalidInput
from services.core.text import blank_missing, plural
from services.demand import ranking
from services.demand import requesters as demand
from services.demand.upvote_import import ImportRejected, import_upvotes
from services.people.staff import Staff

COLUMNS = ["rank", "integration", "category", "status", "bucket", "why", "score", "upvotes", "users",
           "organizations", "high_tier_users"]
# What the table shows, in order: on a phone (390 px) the pinned name, Score and Upvotes fit; the rest scrolls.
TABLE_ORDER = ["integration", "score", "upvotes", "bucket", "why", "rank", "status", "category", "users",
               "organizations", "high_tier_users"]
COLUMN_CONFIG = {
    "rank": st.column_config.NumberColumn("Rank", width="small"),
    "integration": st.column_config.TextColumn("Integration", pinned=True),
    "category": st.column_config.TextColumn("Category"),
    "status": st.column_config.TextColumn("Status"),
    "bucket": st.column_config.TextColumn("Bucket", width="small"),
    "why": st.column_config.TextColumn("Why", width="large",
                                       help="Upvotes against the bucket thresholds, and which high-tier users asked"),
    "score": st.column_config.NumberColumn("Score", format="%.1f", help="Σ upvotes × tier weight"),
    "upvotes": st.column_config.NumberColumn("Upvotes"),
    "users": st.column_config.NumberColumn("Users"),
    "organizations": st.column_config.NumberColumn("Organizations"),
    "high_tier_users": st.column_config.NumberColumn("High-tier users"),
}


PREVIEW_CONFIG = {
    "integration": st.column_config.TextColumn("Integration"),
    "rank": st.column_config.TextColumn("Rank: now → edit"),
    "move": st.column_config.TextColumn("Move", width="small"),
    "bucket": st.column_config.TextColumn("Bucket: now → edit"),
    "score": st.column_config.TextColumn("Score: now → edit"),
}


def ranking_frame(ranked: list[ranking.RankedIntegration], why: dict[str, str]) -> pd.DataFrame:
    rows = [{**r.as_dict(), "integration": r.name, "why": why.get(r.slug, "")} for r in ranked]
    return pd.DataFrame(rows, columns=["slug", *COLUMNS])


def filter_frame(frame: pd.DataFrame, categories: list[str], buckets: list[str], statuses: list[str],
                 text: str) -> pd.DataFrame:
    shown = frame
    if categories:
        shown = shown[shown["category"].isin(categories)]
    if buckets:
        shown = shown[shown["bucket"].isin(buckets)]
    if statuses:
        shown = shown[shown["status"].isin(statuses)]
    if text:
        shown = shown[shown["integration"].str.lower().str.contains(text, regex=False)
                      | shown["slug"].str.contains(text, regex=False)]
    return shown.reset_index(drop=True)


def who_asked(slug: str, frame: pd.DataFrame, version: object) -> None:
    name = frame.loc[frame["slug"] == slug, "integration"].iloc[0]
    users, total = cached_read(version, demand.requesting_users, slug, limit=500)
    orgs = cached_read(version, demand.requesting_organizations, slug)
    st.subheader(f"Who asked for {name}")
    left, right = st.columns([3, 2])
    with left:
        st.caption(f"{total:,} requesting users" + (" (newest 500 shown)" if total > 500 else ""))
        st.dataframe(blank_missing(users), hide_index=True, width="stretch", key="who_users",
                     column_config={"date": st.column_config.DatetimeColumn("Date", format="YYYY-MM-DD")})
    with right:
        st.caption(f"{len(orgs):,} organizations: upvotes and score contributed")
        st.dataframe(orgs, hide_index=True, width="stretch", key="who_orgs",
                     column_config={"score": st.column_config.NumberColumn("Score", format="%.1f")})


def plan_panel(me: Staff, selected: list[str], frame: pd.DataFrame) -> None:
    rows = frame[frame["slug"].isin(selected)]
    plannable = rows[rows["status"] == "requested"]
    with st.container(border=True):
        names = ", ".join(plannable["integration"]) or "none of the selected integrations (not requested)"
        st.markdown(f"**Plan these:** {names}")
        if plannable.empty:
            return
        st.caption("Moves them to Planned; the build tracker picks them up. Their bucket and score now are "
                   "recorded with the decision.")
        if st.checkbox(f"Yes, plan {len(plannable)} integration(s)", key="plan_confirm") and st.button(
                "Plan these", type="primary", key="plan_button"):
            try:
                with unit_of_work() as session:
                    demand.plan_integrations(session, actor=me.email, actor_role=me.role,
                                             slugs=plannable["slug"].tolist())
            except HubError as exc:
                st.error(str(exc))
            else:
                st.session_state.pop("plan_confirm", None)
                st.toast(f"Planned {len(plannable)} integration(s)")
                st.rerun()


def settings_panel(me: Staff, settings: ranking.Settings, tiers: dict[str, str],
                   can_edit: bool) -> ranking.Settings | None:
    """The weights and thresholds form. Returns the edited settings while the form holds edits not yet saved
    (the page previews them), else None."""
    st.subheader("Weights and thresholds")
    st.caption(f"Version {settings.version}, set by {settings.created_by}. Every change makes a new version "
               "and an audit entry. Preview shows what an edit would change in the ranking before you save it."
               + ("" if can_edit else " Only product managers and admins can change them."))
    with st.form("ranking_settings"):
        cols = st.columns(len(settings.weights))
        weights = {tier: cols[i].number_input(tier, min_value=0.0, max_value=1000.0, step=0.5,
                                              value=float(weight), key=f"w_{tier}", disabled=not can_edit)
                   for i, (tier, weight) in enumerate(settings.weights.items())}
        c1, c2, c3 = st.columns(3)
        top = c1.number_input("Top from upvotes", min_value=0, value=settings.top_upvotes, key="t_top",
                              disabled=not can_edit)
        medium = c2.number_input("Medium from upvotes", min_value=0, value=settings.medium_upvotes, key="t_medium",
                                 disabled=not can_edit)
        high_min = c3.number_input("Top from high-tier users", min_value=1, value=settings.high_tier_min,
                                   key="t_high_min", disabled=not can_edit)
        high = st.multiselect("High tiers", list(settings.weights), default=list(settings.high_tiers),
                              key="t_high", disabled=not can_edit)
        b1, b2 = st.columns(2)
        previewed = b1.form_submit_button("Preview changes", key="settings_preview", disabled=not can_edit,
                                          icon=":material/compare_arrows:", width="stretch")
        saved = b2.form_submit_button("Save as new version", type="primary", disabled=not can_edit,
                                      width="stretch")
    flash.show("settings")
    if saved:
        try:
            with unit_of_work() as session:
                new = ranking.update_settings(session, actor=me.email, actor_role=me.role, weights=weights,
                                              top_upvotes=int(top), medium_upvotes=int(medium),
                                              high_tier_min=int(high_min), high_tiers=high)
        except HubError as exc:
            st.error(str(exc))
        else:
            # the table, the captions and this form were drawn from the old version: draw them again
            if new.version != settings.version:
                flash.set("success", f"Ranking settings version {new.version} saved", where="settings")
            else:
                flash.set("info", "Nothing changed", where="settings")
            st.rerun()
        return None
    if not can_edit:
        return None
    try:
        edited = ranking.edited_settings(settings, tiers, weights=weights, top_upvotes=int(top),
                                         medium_upvotes=int(medium), high_tier_min=int(high_min), high_tiers=high)
    except InvalidInput as exc:
        if previewed:
            st.error(str(exc))
        return None
    if edited == settings:
        if previewed:
            st.info("These are the settings in force: nothing would change.")
        return None
    return edited


def settings_preview(preview: ranking.Preview, settings: ranking.Settings) -> None:
    """The ranking with the edited settings beside the one in force: every integration that would move."""
    st.subheader(f"Preview: your edit against version {settings.version}")
    before, after = preview.buckets_before, preview.buckets_after
    buckets = ", ".join(f"{b} {before[b]} → {after[b]}" if before[b] != after[b] else f"{b} {before[b]}"
                        for b in ranking.BUCKETS)
    moved = sum(1 for c in preview.changes if c.moved)
    rebucketed = sum(1 for c in preview.changes if c.old_bucket != c.new_bucket)
    st.caption(f"Not saved yet. {plural(moved, 'integration')} would change rank and "
               f"{plural(rebucketed, 'integration')} bucket · buckets: {buckets}. "
               "Save as new version to apply it.")
    if not preview.changes:
        st.info("The edit changes scores but no rank or bucket.")
        return
    rows = [{"integration": c.name, "rank": f"{c.old_rank} → {c.new_rank}",
             "move": f"▲ {c.moved}" if c.moved > 0 else f"▼ {-c.moved}" if c.moved < 0 else "–",
             "bucket": c.new_bucket if c.old_bucket == c.new_bucket else f"{c.old_bucket} → {c.new_bucket}",
             "score": f"{c.old_score:,.1f} → {c.new_score:,.1f}"} for c in preview.changes]
    st.dataframe(pd.DataFrame(rows), key="settings_preview_table", hide_index=True, width="stretch",
                 column_config=PREVIEW_CONFIG, height=min(420, 38 + 35 * len(rows)))


def import_panel(me: Staff, can_edit: bool) -> None:
    st.subheader("Import upvotes")
    st.caption("CSV columns: integration (slug or name), user_email, user_name (optional), organization, tier, "
               "created_at (ISO 8601, optional). Re-importing a file changes nothing; one bad row rejects the "
               "whole file unless you skip invalid rows.")
    if not can_edit:
        st.info("Only product managers and admins can import upvotes.")
        return
    flash.show("import")
    skipped = st.session_state.pop("import_skipped", None)
    if skipped:
        st.dataframe(pd.DataFrame(skipped), hide_index=True, width="stretch", key="import_skipped")
    upload = st.file_uploader("CSV file", type=["csv"], key="import_file")
    skip = st.checkbox("Skip invalid rows (import the good ones and list the rest)", key="import_skip")
    if upload is None or not st.button("Import", type="primary", key="import_button"):
        return
    bar = st.progress(0.0, text="Reading the file")
    try:
        with unit_of_work() as session:
            report = import_upvotes(session, upload.getvalue(), actor=me.email, skip_invalid=skip,
                                    filename=upload.name, progress=lambda f, msg: bar.progress(f, text=msg))
    except ImportRejected as exc:
        bar.empty()
        st.error(f"{len(exc.errors)} bad row(s); nothing was imported.")
        st.dataframe(pd.DataFrame([{"line": e.line, "problem": e.message} for e in exc.errors]),
                     hide_index=True, width="stretch", key="import_errors")
    except HubError as exc:
        st.error(str(exc))
    else:
        # the ranking above was drawn before the import: draw the page again, with the report here
        flash.set("success", f"{plural(report.imported, 'upvote')} imported, {report.duplicates:,} already "
                  f"present; users {report.users_created:,} created / {report.users_updated:,} updated; "
                  f"{plural(report.organizations_created, 'organization')} created.", where="import")
        if report.skipped:
            flash.set("warning", f"{plural(len(report.skipped), 'row')} skipped", where="import")
            st.session_state["import_skipped"] = [{"line": e.line, "problem": e.message} for e in report.skipped]
        st.rerun()
