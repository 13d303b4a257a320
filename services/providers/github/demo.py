"""Where the demo puts GitHub (services/demo/plan.py): an existing integration under review, one finding open."""

from services.demo.plan import DemoPlan, Review

DEMO = DemoPlan(order=9, review=Review(done=("review.oauth_flow",), findings=(
    ("high", "OAuth app tokens lack the workflow scope: triggering Actions from a Layers node fails with 404."),
)))
