"""Where the demo puts Webflow (services/demo/plan.py)."""

from services.demo.plan import ADMIN, CallProfile, DemoConnection, DemoPlan, Pipeline

DEMO = DemoPlan(
    order=5,
    pipeline=Pipeline("planned", steps_done=0, extra=2, owner=ADMIN, target_days=60),
    connection=DemoConnection(2, 0, "api_key", secrets={"api_key": "sbx_{a}.demo-site-token"}),
    calls=CallProfile(200, 10, 0.04, "validation"),
)
