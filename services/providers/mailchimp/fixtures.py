"""The sandbox connection the demo, benchmarks and contract suite use (services/sandbox/fixtures.py)."""

from services.sandbox.fixtures import SandboxFixture

# config: the data centre the key names
FIXTURE = SandboxFixture(
    auth_type="basic",
    secrets={"password": "sbx_{a}.mc-key-us21"},
    config={"dc": "us21", "username": "demo"},
)
