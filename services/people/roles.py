"""Staff roles and which pages each may open: one table, used by navigation and tests."""

from __future__ import annotations

from dataclasses import dataclass

from db.models import ROLES


@dataclass(frozen=True)
class PageAccess:
    key: str
    title: str
    section: str
    roles: frozenset[str]
    icon: str


ALL = frozenset(ROLES)

PAGES: tuple[PageAccess, ...] = (
    PageAccess("overview", "Overview", "Hub", ALL, ":material/home:"),
    PageAccess("catalog", "Integration catalog", "Hub", ALL, ":material/apps:"),
    PageAccess("success", "Success criteria", "Hub", ALL, ":material/flag:"),
    PageAccess("guides", "Integration guides", "Hub", ALL, ":material/menu_book:"),
    PageAccess("priorities", "Priorities", "Plan", frozenset({"pm", "leadership", "admin"}),
               ":material/leaderboard:"),
    PageAccess("tracker", "Build tracker", "Build", frozenset({"pm", "engineer", "leadership", "admin"}),
               ":material/checklist:"),
    PageAccess("bridge", "Webhooks & bridge", "Build", frozenset({"engineer", "support", "admin"}),
               ":material/webhook:"),
    PageAccess("credential_test", "Credential test", "Support", frozenset({"support", "engineer", "admin"}),
               ":material/key:"),
    PageAccess("connections", "Connections", "Support", frozenset({"support", "engineer", "admin"}),
               ":material/cable:"),
    PageAccess("api_health", "API health", "Support",
               frozenset({"support", "engineer", "leadership", "admin"}), ":material/monitor_heart:"),
    PageAccess("staff", "Staff & roles", "Admin", frozenset({"admin"}), ":material/manage_accounts:"),
    PageAccess("audit", "Audit log", "Admin", frozenset({"admin"}), ":material/history:"),
)

# The page a role lands on after sign-in.
HOME: dict[str, str] = {
    "pm": "priorities",
    "engineer": "tracker",
    "support": "credential_test",
    "leadership": "success",
    "admin": "overview",
}


def pages_for(role: str) -> list[PageAccess]:
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}; expected one of {', '.join(ROLES)}")
    return [p for p in PAGES if role in p.roles]


def can_open(role: str, page_key: str) -> bool:
    return any(p.key == page_key for p in pages_for(role))


# Roles that see a page but may not act on it (no buttons that change or run anything).
READ_ONLY: dict[str, frozenset[str]] = {"api_health": frozenset({"leadership"})}


def read_only(role: str, page_key: str) -> bool:
    return role in READ_ONLY.get(page_key, frozenset())
