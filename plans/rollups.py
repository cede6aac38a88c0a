"""The plans app's figures for the monthly rollup (`fravaer.rollups`): evaluation
outcomes. One grouped query and one for the totals, for any number of schools."""

from __future__ import annotations

from django.db.models import Count
from django.utils.translation import gettext_lazy as _

from fravaer.rollups import Contributor, Figure, Metric, counted
from plans.models import Evaluation


def _evaluations(school_ids, first, last, *, today) -> list[Figure]:
    held = Evaluation.objects.filter(
        case__school_id__in=school_ids, held_on__gte=first, held_on__lte=last
    )
    rows = (
        held.values_list("case__school_id", "outcome")
        .annotate(n=Count("pk"), pupils=Count("case__pupil_id", distinct=True))
        .order_by()
    )
    totals = dict(
        held.values_list("case__school_id")
        .annotate(p=Count("case__pupil_id", distinct=True))
        .order_by()
    )
    return counted(rows, "evaluations", totals=totals)


evaluations = Contributor(
    (
        Metric(
            "evaluations",
            _("Evalueringer etter utfall"),
            tuple((str(o.value), o.label) for o in Evaluation.Outcome),
        ),
    ),
    _evaluations,
)
