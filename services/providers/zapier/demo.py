"""Where the demo puts Zapier (services/demo/plan.py): planned, nobody on it yet."""

from services.demo.plan import DemoPlan, Pipeline

DEMO = DemoPlan(order=6, pipeline=Pipeline("planned", steps_done=0, extra=0))
