"""The sandbox connection the demo, benchmarks and contract suite use (services/sandbox/fixtures.py)."""

from services.sandbox.fixtures import SandboxFixture

FIXTURE = SandboxFixture(auth_type="api_key", secrets={"api_key": "sbx_{a}.posthog-key"},
                         config={"host": "https://us.posthog.com", "project_id": "1",
                                 "project_key": "phc_sandboxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"})
