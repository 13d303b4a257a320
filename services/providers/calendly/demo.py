"""Where the demo puts Calendly (services/demo/plan.py): in testing, and a sandbox connection that needs
reconnecting, failing for the last 12 hours (its alert open)."""

from datetime import timedelta

from services.demo.plan import ENGINEER, CallProfile, DemoConnection, DemoPlan, Episode, Pipeline

DEMO = DemoPlan(
    order=1,
    pipeline=Pipeline("testing", steps_done=5, extra=4, owner=ENGINEER, target_days=7),
    connection=DemoConnection(0, 2, "oauth2", "needs_reauth", timedelta(hours=-3),   # shows the Reconnect path
                              {"access_token": "sbx_{a}.demo-calendly-at",
                               "refresh_token": "sbx_{a}.demo-calendly-rt"}),
    calls=CallProfile(220, 20, 0.01, "provider"),
    episodes=(Episode("auth", since=timedelta(0), until=timedelta(hours=12)),),
)
