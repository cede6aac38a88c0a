"""The demo municipality's fixed tables: its name, schools and classes, the names
pupils, guardians and staff are drawn from, the subjects, and the notes and phone
conversations that absence records and contact logs are written with."""

from __future__ import annotations

from dataclasses import dataclass

MUNICIPALITY_NAME = "Fjordvik kommune"

BARNESKOLE = "Fjordvik barneskole"
UNGDOMSSKOLE = "Fjordvik ungdomsskole"
SCHOOLS = (BARNESKOLE, UNGDOMSSKOLE)

MATH = "Matematikk"
PE = "Kroppsøving"
OTHER_SUBJECTS = ("Norsk", "Engelsk", "Naturfag", "Samfunnsfag", "KRLE", "Musikk")


@dataclass(frozen=True)
class DemoGroup:
    school: str
    name: str
    grade: int
    size: int
    contact: str  # the contact teacher's username


GROUPS = (
    DemoGroup(BARNESKOLE, "1A", 1, 22, "kontaktlaerer.1a@demo.no"),
    DemoGroup(BARNESKOLE, "2A", 2, 24, "kontaktlaerer.2a@demo.no"),
    DemoGroup(BARNESKOLE, "3A", 3, 23, "kontaktlaerer.3a@demo.no"),
    DemoGroup(BARNESKOLE, "4A", 4, 25, "kontaktlaerer.4a@demo.no"),
    DemoGroup(BARNESKOLE, "5A", 5, 26, "kontaktlaerer@demo.no"),
    DemoGroup(BARNESKOLE, "6A", 6, 24, "kontaktlaerer@demo.no"),
    DemoGroup(BARNESKOLE, "7A", 7, 25, "kontaktlaerer.7a@demo.no"),
    DemoGroup(UNGDOMSSKOLE, "8A", 8, 27, "kontaktlaerer.8a@demo.no"),
    DemoGroup(UNGDOMSSKOLE, "9A", 9, 28, "kontaktlaerer.9a@demo.no"),
    DemoGroup(UNGDOMSSKOLE, "10A", 10, 26, "kontaktlaerer.10a@demo.no"),
)
# The subject teacher teaches mathematics in every class of the lower secondary school.
SUBJECT_TEACHER = "faglaerer@demo.no"
SUBJECT_TEACHER_GROUPS = ("8A", "9A", "10A")


# --- names -----------------------------------------------------------------------
# Given names common among Norwegian children born 2011–2020, including those of
# families that came from elsewhere, and surnames common in Norway.


def _names(text: str) -> tuple[str, ...]:
    return tuple(text.split())


GIRL_NAMES = _names(
    "Emma Nora Sara Sofie Olivia Ella Ingrid Leah Maja Emilie Frida Ada Astrid Hedda "
    "Thea Selma Vilde Tiril Amalie Aurora Hanna Linnea Mathilde Sofia Julie Ida Iben "
    "Eva Signe Tuva Sigrid Mia Alma Oline Live Marie Lea Jenny Mille Ylva Sunniva "
    "Hermine Agnes Mathea Eline Andrea Helene Martine Amina Zofia Julia Maryam Hiba"
)
BOY_NAMES = _names(
    "Jakob Emil Noah Oliver Filip William Lucas Liam Henrik Oskar Aksel Theodor Elias "
    "Kasper Magnus Johannes Isak Mathias Tobias Ludvig Olav Sander Jonas Markus Adrian "
    "Even Sebastian Mikkel Leon Birk Håkon Sverre Aleksander Ulrik Vetle Sindre Brage "
    "Eirik Iver Torstein Edvard Syver Peder Storm Mohammed Yusuf Ali Kacper Nikola Adam"
)
WOMEN_NAMES = _names(
    "Kari Anne Ingrid Marit Hilde Silje Ida Marte Camilla Kristin Linn Tone Heidi Mona "
    "Ragnhild Trine Line Hege Lene Elisabeth Ingvild Guro Siri Randi Therese Nina Maria "
    "Karoline Stine Anette Tonje Kristine Aisha Fatima Agnieszka"
)
MEN_NAMES = _names(
    "Lars Ole Per Jan Bjørn Kjetil Espen Thomas Anders Martin Morten Geir Trond Stian "
    "Eirik Erik Tor Rune Hans Knut Øyvind Jon Vegard Andreas Jørgen Frode Pål Steinar "
    "Henning Kristian Magne Ahmed Omar Tomasz"
)
LAST_NAMES = _names(
    "Hansen Johansen Olsen Larsen Andersen Pedersen Nilsen Kristiansen Jensen Karlsen "
    "Johnsen Pettersen Eriksen Berg Haugen Hagen Johannessen Andreassen Jacobsen Dahl "
    "Jørgensen Halvorsen Henriksen Lund Sørensen Jakobsen Moen Gundersen Iversen Strand "
    "Solberg Svendsen Eide Knutsen Martinsen Paulsen Bakken Kristoffersen Mathisen Lie "
    "Amundsen Nguyen Rasmussen Lunde Solheim Berge Moe Nygård Bakke Kristensen "
    "Fredriksen Holm Lien Hauge Christensen Andresen Nilssen Knudsen Evensen Sæther Aas "
    "Myhre Haugland Thomassen Sivertsen Simonsen Danielsen Berntsen Sandvik Rønning "
    "Arnesen Næss Vik Haug Ellingsen Thorsen Birkeland Isaksen Ruud Strøm Myklebust "
    "Tangen Ødegård Eliassen Helland Bøe Aune Mikkelsen Tveit Brekke Madsen Fjeld Hoel "
    "Ahmed Ali Hussain Kowalski Nowak Tran Hassan Yilmaz"
)

# --- texts ------------------------------------------------------------------------

ILLNESS_NOTES = ("", "", "", "Syk, meldt av foresatte", "Feber", "Omgangssyke", "Forkjølet")
OTHER_NOTES = ("Tannlege", "Legetime", "Fysioterapi", "Tannregulering", "Time på BUP")
LEAVE_NOTES = ("Familiereise, søknad innvilget", "Begravelse i familien", "Idrettsstevne")

# outcome → (what was said, the reason and note the record gets when clarified). A call
# is logged against one guardian, so the text speaks of that one: {forelder} is "mor" or
# "far", {Forelder} the same at the start of a sentence, {hun} "hun" or "han"
# (`contact_summary` fills them in).
CONTACT_SUMMARIES: dict[str, tuple[tuple[str, str, str], ...]] = {
    "clarified": (
        ("Ringte {forelder}. Eleven var syk; {hun} sender melding i ettermiddag.", "illness", ""),
        ("Snakket med {forelder}. Eleven hadde vondt i magen og ble hjemme.", "illness", ""),
        ("{Forelder} svarte på melding: tannlegetime {hun} glemte å melde.", "other", "Tannlege"),
    ),
    "no_answer": (
        ("Ringte {forelder} uten svar. Sendte SMS og ba om tilbakemelding.", "", ""),
        ("Fikk ikke tak i {forelder}. Prøver igjen i morgen.", "", ""),
    ),
    "follow_up": (
        (
            "{Forelder} bekrefter fraværet, men vet ikke hvorfor eleven ikke ville på skolen. "
            "Avtalt samtale neste uke.",
            "",
            "",
        ),
        (
            "{Forelder} sier eleven gruer seg til skolen om morgenen. Følges opp med samtale.",
            "",
            "",
        ),
    ),
}


def contact_summary(text: str, guardian_name: str) -> str:
    """`text` as said to this guardian: the demo's guardians are mothers or fathers,
    told apart by their given name (WOMEN_NAMES and MEN_NAMES do not overlap)."""
    mother = guardian_name.split()[0] in WOMEN_NAMES
    parent = "mor" if mother else "far"
    return text.format(
        forelder=parent, Forelder=parent.capitalize(), hun="hun" if mother else "han"
    )
