"""The sandbox connection the demo, benchmarks and contract suite use (services/sandbox/fixtures.py)."""

from services.sandbox.fixtures import SandboxFixture

# config: the application password's user
FIXTURE = SandboxFixture(
    auth_type="app_password",
    secrets={"app_password": "sbx_{a}.wp01 pass word"},
    config={"username": "{a}"},
)
