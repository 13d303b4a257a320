"""Where the demo puts WordPress (services/demo/plan.py): a sandbox connection with timeouts in its history."""

from services.demo.plan import CallProfile, DemoConnection, DemoPlan

DEMO = DemoPlan(
    connection=DemoConnection(1, 1, "app_password", secrets={"app_password": "sbx_{a} demo wp01 pass"}),
    calls=CallProfile(600, 15, 0.05, "network"),
)
