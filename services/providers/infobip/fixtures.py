"""The sandbox connection the demo, benchmarks and contract suite use (services/sandbox/fixtures.py)."""

from services.sandbox.fixtures import SandboxFixture

# the personal base URL of every sandbox account: a host under *.api.infobip.com (the sandbox's origin)
FIXTURE = SandboxFixture(auth_type="api_key", secrets={"api_key": "sbx_{a}.infobip-key"},
                         config={"base_url_host": "sandbox.api.infobip.com"})
