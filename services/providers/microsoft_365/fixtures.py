"""The sandbox connection the demo, benchmarks and contract suite use (services/sandbox/fixtures.py)."""

from services.sandbox.fixtures import SandboxFixture

FIXTURE = SandboxFixture(
    auth_type="oauth2",
    secrets={"access_token": "sbx_{a}.ms-at", "refresh_token": "sbx_{a}.ms-rt"},
)
