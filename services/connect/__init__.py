"""Customer credentials: connections, the OAuth flow, token refresh, API-key checks, webhook secrets.

Values are sealed by services/vault.py; every outbound call goes through services/http.py; URLs are
checked by services/netguard.py. Functions that call a provider manage their own short database
transactions (``db_url``) so no transaction or lock is held during a network call, except the
token refresh, which holds the connection's row lock on purpose (see refresh.py).
"""
