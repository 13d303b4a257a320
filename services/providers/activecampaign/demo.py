"""Where the demo puts ActiveCampaign (services/demo/plan.py): an existing integration under review."""

from services.demo.plan import CallProfile, DemoConnection, DemoPlan, Review

DEMO = DemoPlan(
    order=7,
    review=Review(done=("review.api_client",), findings=(
        ("medium", "Update custom field: date-type fields are sent as text; ActiveCampaign expects YYYY-MM-DD."),
        ("low", "Apply tag does not report an already-applied tag; the node shows success either way."),
    )),
    connection=DemoConnection(0, 0, "api_key", secrets={"api_key": "sbx_{a}.demo-ac-key"}),
    calls=CallProfile(180, 40, 0.01, "provider"),
)
