"""The plans app's writes. Read modules (`plans.queries`, `plans.access`, panels,
views' reads) never import these."""
