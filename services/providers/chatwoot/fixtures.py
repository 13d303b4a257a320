"""The sandbox connection the demo, benchmarks and contract suite use (services/sandbox/fixtures.py)."""

from services.sandbox.fixtures import SandboxFixture

# instance_url comes from the sandbox's defaults (the stand-in's root); account 1 is seeded
FIXTURE = SandboxFixture(auth_type="api_key", secrets={"api_key": "sbx_{a}.chatwoot-token"},
                         config={"account_id": "1"})
