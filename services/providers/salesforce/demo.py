"""Where the demo puts Salesforce (services/demo/plan.py): a sandbox connection whose call history has an
outage three days ago, its alert raised and cleared."""

from datetime import timedelta

from services.demo.plan import CallProfile, DemoConnection, DemoPlan, Episode, PastAlert

DEMO = DemoPlan(
    connection=DemoConnection(1, 0, "oauth2",
                              secrets={"access_token": "sbx_{a}.demo-sf-at", "refresh_token": "sbx_{a}.demo-sf-rt"}),
    calls=CallProfile(320, 30, 0.005, "provider"),
    episodes=(Episode("provider", since=timedelta(days=3), until=timedelta(days=3, hours=2)),),
    past_alert=PastAlert("consecutive_failures",
                         "{name} connection #{connection}: the last 5 calls failed (demo: provider outage)",
                         raised_ago=timedelta(days=3, minutes=-20), cleared_ago=timedelta(days=3, hours=-2)),
)
