"""Where the demo puts Postmark (services/demo/plan.py): taken through the whole checklist and made Available
by the tracker, so its upvoters are in the outbox; its guide is not written, so an admin overrides the gate."""

from services.demo.plan import DemoPlan

DEMO = DemoPlan(
    shipped="Shipped for a launch customer; its guide (docs/integrations/postmark.md) is still being written",
)
