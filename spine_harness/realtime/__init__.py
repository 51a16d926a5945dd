"""Realtime authorization: the written topic rules and the join-time check Realtime runs."""
