"""The plans app\x27s pages (`plan`: the plan page, the draft editor, agreeing, versions)."""
