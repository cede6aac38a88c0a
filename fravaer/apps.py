from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FravaerConfig(AppConfig):
    name = "fravaer"
    verbose_name = _("Fravær")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from fravaer import checks  # noqa: F401  (registers deploy checks)
