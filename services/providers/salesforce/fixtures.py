"""The sandbox connection the demo, benchmarks and contract suite use (services/sandbox/fixtures.py)."""

from services.sandbox.fixtures import SandboxFixture

# config: the instance the sandbox token belongs to
FIXTURE = SandboxFixture(
    auth_type="oauth2",
    secrets={"access_token": "sbx_{a}.sf-at", "refresh_token": "sbx_{a}.sf-rt"},
    config={"instance_url": "{sandbox}/instance"},
)
