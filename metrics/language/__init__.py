"""The plain-language scorer's parts; use them through ``metrics.plain_language``."""
