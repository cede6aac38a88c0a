"""The fravaer app's forms, one module per page or concern. The form bases and the
request-value checks other apps build on are re-exported here, so `cases` and `plans`
import them from `fravaer.forms` alone."""

from fravaer.forms.base import HintedForm, StyledForm, is_choice_group, is_plain_number

__all__ = ["HintedForm", "StyledForm", "is_choice_group", "is_plain_number"]
