"""The question texts of the mapping conversation and the cause mapping.

Seed 000 p. 15–16 (appendix "Innhold kartleggingssamtale") gives the open questions
for the pupil and for the guardians; p. 5–6 gives the seven themes pupils themselves
name (Lund, Fisker & Hansen 2024). Answers are stored under the stable keys below
(`Conversation.answers`, `Mapping.themes`), so a text can be reworded or translated
without losing what was answered. Never reuse a key for a different question.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Question:
    key: str
    text: str | Promise
    hint: str | Promise = ""


PUPIL_QUESTIONS: tuple[Question, ...] = (
    Question("pupil_thriving", _("Trives du på skolen og på fritiden?")),
    Question(
        "pupil_friends",
        _("Har du venner på skolen? Hva liker du å gjøre på fritiden?"),
        _("For eksempel idrett, dataspill, mobilbruk."),
    ),
    Question(
        "pupil_difficult",
        _("Er det noe du opplever som vanskelig eller ubehagelig på skolen?"),
        _("Spesielle fag du liker eller ikke liker? Prøver? Lekser?"),
    ),
    Question(
        "pupil_adults",
        _(
            "Er det lærere eller andre voksne på skolen som du har et godt eller ikke godt "
            "forhold til?"
        ),
    ),
    Question(
        "pupil_bullied",
        _("Blir du plaget eller mobbet på skolen, i friminuttene, på skoleveien eller i fritiden?"),
    ),
    Question("pupil_when_away", _("Hva gjør du når du ikke er på skolen?")),
    Question("pupil_wished_day", _("Hvordan kunne du ønske at skoledagen din var?")),
    Question(
        "pupil_teacher_can_do",
        _("Er det noe jeg kan gjøre annerledes for at du skal ha det bra på skolen?"),
    ),
)

GUARDIAN_QUESTIONS: tuple[Question, ...] = (
    Question(
        "guardian_thriving",
        _("Hvordan opplever du/dere at barnet trives på skolen og på fritiden?"),
    ),
    Question(
        "guardian_reasons",
        _("Opplever du/dere at det er spesielle årsaker til at barnet ikke er på skolen?"),
    ),
    Question(
        "guardian_school_or_outside",
        _(
            "Kan forhold på skolen gjøre at barnet har fravær? Kan forhold utenfor skolen "
            "bidra til fravær?"
        ),
    ),
    Question(
        "guardian_health",
        _("Er det helsemessige årsaker til at barnet er borte fra skolen?"),
    ),
    Question(
        "guardian_early",
        _(
            "Hvordan var barnets tidlige utvikling, og barnets tidligere erfaring med "
            "barnehage og skole?"
        ),
    ),
    Question("guardian_at_home", _("Hva gjør eleven når han/hun er hjemme fra skolen?")),
    Question(
        "guardian_routines",
        _("Hvordan er elevens morgenrutiner og kveldsrutiner?"),
        _("Søvn, skjermtid, mobilbruk."),
    ),
    Question(
        "guardian_support",
        _("Er det noe du/dere som foresatte har behov for hjelp til? Hvem kan hjelpe?"),
    ),
    Question(
        "guardian_school_can_do",
        _("Hva tenker du/dere at skolen kan gjøre for at barnet skal komme på skolen?"),
    ),
)

# The conversation's frame (seed 000 p. 15–16), shown as a reminder beside the form.
OPENING_POINTS = (
    _("Del skolens bekymring for elevens fravær."),
    _("Gi en konkret tilbakemelding på omfanget av fraværet."),
    _(
        "Fortell at skolen har rutiner for oppfølging av fravær, og at skolens ledelse "
        "får informasjon."
    ),
    _(
        "Skolen har ansvar for en god og trygg skolehverdag; foresatte har ansvar for at "
        "eleven kommer til skolen."
    ),
)
CLOSING_POINTS = (
    _("Gi en kort oppsummering av samtalen."),
    _("Hva kan være utløsende og opprettholdende faktorer for fraværet?"),
    _("Avtal veien videre og et møte for å evaluere om tre uker."),
    _("Avklar når og hvordan dere skal holde kontakt."),
    _("Drøft behov for mer kartlegging, henvisning eller bekymringsmelding."),
    _("Etter samtalen: skriv et kort referat og send kopi til alle deltakere."),
)

# The seven themes pupils name themselves (seed 000 p. 5–6): optional prompts of the
# cause mapping.
THEMES: tuple[Question, ...] = (
    Question(
        "mental_absence",
        _("Mentalt fravær"),
        _("Eleven er fysisk til stede, men mentalt fraværende; sporadisk fravær som øker."),
    ),
    Question(
        "insecurity",
        _("Utrygghet"),
        _("Knyttet til prestasjoner og oppmerksomhet, lærere og andre voksne, andre elever."),
    ),
    Question("relations", _("Relasjoner og sosial utestenging")),
    Question(
        "boredom",
        _("Faglighet og kjedsomhet"),
        _("For lite utfordringer, eller vansker med å henge med."),
    ),
    Question(
        "meaning_elsewhere",
        _("Finner mening andre steder"),
        _("Meningsfullhet og fellesskap finnes utenfor skolen."),
    ),
    Question(
        "injustice",
        _("Urettferdighet og kjeft"),
        _("Kan henge sammen med underliggende vansker."),
    ),
    Question(
        "choosing_school",
        _("Når skolen velges"),
        _("Hva oppleves som positivt ved skolen? Hva skaper nærvær?"),
    ),
)

# Prompts for the four areas of the cause mapping (seed 000 p. 5, DOMAIN.md).
AREA_HINTS = {
    "school": _("Fag, lærere, medelever, friminutt, skolevei."),
    "home": _("Familie, rutiner, søvn, endringer hjemme."),
    "leisure": _("Venner, aktiviteter, skjerm og spill."),
    "pupil_area": _("Helse, trivsel, mestring, egne ønsker."),
}

CONVERSATION_QUESTIONS: dict[str, Question] = {
    q.key: q for q in (*PUPIL_QUESTIONS, *GUARDIAN_QUESTIONS)
}
THEME_QUESTIONS: dict[str, Question] = {q.key: q for q in THEMES}


def answered(
    questions: Iterable[Question], answers: dict, *, all_known: Iterable[str] | None = None
) -> list[tuple[Question, str]]:
    """The answered `questions` in the order they are asked, for display. With
    `all_known`, answers under a key not in it (a retired question) follow, shown with
    the key itself: never dropped."""
    shown = [(q, answers[q.key]) for q in questions if answers.get(q.key)]
    if all_known is not None:
        known = set(all_known)
        shown += [(Question(k, k), v) for k, v in answers.items() if k not in known and v]
    return shown
