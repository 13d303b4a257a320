"""The sandbox connection the demo, benchmarks and contract suite use (services/sandbox/fixtures.py)."""

from services.sandbox.fixtures import SandboxFixture

# An OAuth connection: the sandbox accepts sbx_ tokens it did not issue (the rule) and refreshes with the
# refresh token like Google does (the refresh answer carries no new refresh token).
FIXTURE = SandboxFixture(
    auth_type="oauth2",
    secrets={"access_token": "sbx_{a}.gw-at", "refresh_token": "sbx_{a}.gw-rt"},
)
