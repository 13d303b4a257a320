"""Where the demo puts Stripe (services/demo/plan.py): an existing integration under review."""

from services.demo.plan import DemoPlan, Review

DEMO = DemoPlan(order=8, review=Review(done=("review.api_client", "review.document_gaps")))
