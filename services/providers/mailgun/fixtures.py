"""The sandbox connection the demo, benchmarks and contract suite use (services/sandbox/fixtures.py)."""

from services.sandbox.fixtures import SandboxFixture

# HTTP Basic: the username is always "api", the password (the API key) names the sandbox account; US region
FIXTURE = SandboxFixture(auth_type="basic", secrets={"password": "sbx_{a}.mailgun-key"},
                         config={"username": "api", "api_host": "api.mailgun.net"})
