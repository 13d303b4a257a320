"""The typed models, one module per context. Importing this package registers every table, in order:
core (organizations, users, integrations, staff, audit) first, then the contexts that refer to it."""

from db.models.build import SEVERITIES, ChecklistEvent, ReviewFinding, StatusChange
from db.models.core import (
    CHECKLIST_STATES,
    INTEGRATION_STATUSES,
    ROLES,
    Alert,
    ApiCall,
    AuditEntry,
    ChecklistItem,
    Connection,
    Integration,
    Notification,
    OAuthState,
    Organization,
    StaffUser,
    TestRun,
    Tier,
    Upvote,
    User,
)
from db.models.credentials import WebhookSecret
from db.models.docs import GuidePublication
from db.models.health import AlertDelivery, AlertThreshold, HealthSweep, SweepResult
from db.models.pacing import PacingWindow
from db.models.ranking import (
    IntegrationOrgStat,
    IntegrationStat,
    IntegrationTierStat,
    IntegrationWeekStat,
    PlanningDecision,
    RankingSettings,
)
from db.models.webhooks import (
    DELIVERY_STATUSES,
    EVENT_STATUSES,
    ProviderApp,
    WebhookDelivery,
    WebhookEvent,
    WebhookRejection,
    ZapierHook,
)

__all__ = [
    "Tier",
    "Organization",
    "User",
    "Integration",
    "Upvote",
    "ChecklistItem",
    "Connection",
    "OAuthState",
    "ApiCall",
    "TestRun",
    "Alert",
    "Notification",
    "PacingWindow",
    "StaffUser",
    "AuditEntry",
    "ROLES",
    "INTEGRATION_STATUSES",
    "CHECKLIST_STATES",
    "RankingSettings",
    "IntegrationStat",
    "IntegrationTierStat",
    "IntegrationOrgStat",
    "IntegrationWeekStat",
    "PlanningDecision",
    "ChecklistEvent",
    "StatusChange",
    "ReviewFinding",
    "SEVERITIES",
    "WebhookSecret",
    "GuidePublication",
    "AlertThreshold",
    "HealthSweep",
    "SweepResult",
    "AlertDelivery",
    "WebhookEvent",
    "WebhookRejection",
    "ZapierHook",
    "WebhookDelivery",
    "ProviderApp",
    "EVENT_STATUSES",
    "DELIVERY_STATUSES",
]
