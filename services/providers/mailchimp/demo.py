"""Where the demo puts Mailchimp (services/demo/plan.py): being built, past its target date."""

from services.demo.plan import ENGINEER, CallProfile, DemoConnection, DemoPlan, Pipeline

DEMO = DemoPlan(
    order=4,
    pipeline=Pipeline("building", steps_done=1, extra=3, owner=ENGINEER, target_days=-2),
    connection=DemoConnection(1, 2, "basic", secrets={"password": "sbx_{a}.demo-mc-key-us21"}),
    calls=CallProfile(150, 25, 0.01, "rate_limit"),
)
