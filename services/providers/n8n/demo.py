"""Where the demo puts n8n (services/demo/plan.py)."""

from services.demo.plan import ADMIN, CallProfile, DemoConnection, DemoPlan, Pipeline

DEMO = DemoPlan(
    order=3,
    pipeline=Pipeline("building", steps_done=2, extra=2, owner=ADMIN, target_days=21),
    connection=DemoConnection(0, 3, "webhook", secrets={"api_key": "sbx_{a}.demo-n8n-key"}),
    calls=CallProfile(90, 30, 0.0, "provider"),
)
