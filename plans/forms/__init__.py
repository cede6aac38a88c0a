"""The plans app\x27s forms (`plan`: the agreement, its draft and agreeing)."""
