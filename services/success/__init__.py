"""Phase 4 success criteria computed from live data (the leadership page), with the rows behind
each number, the burn-up of Available integrations and a forecast from the observed build pace."""
