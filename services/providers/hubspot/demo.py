"""Where the demo puts HubSpot (services/demo/plan.py): being built, an expired sandbox token (the first
use refreshes it) and rate limits in its call history."""

from datetime import timedelta

from services.demo.plan import ENGINEER, CallProfile, DemoConnection, DemoPlan, Pipeline

DEMO = DemoPlan(
    order=2,
    pipeline=Pipeline("building", steps_done=3, extra=3, owner=ENGINEER, target_days=30),
    connection=DemoConnection(0, 1, "oauth2", "active", timedelta(minutes=-5),   # expired: the first use refreshes it
                              {"access_token": "sbx_{a}.demo-hubspot-at", "refresh_token": "sbx_{a}.demo-hubspot-rt"}),
    calls=CallProfile(250, 60, 0.03, "rate_limit"),
)
