from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = "Partner Portal"

    def ready(self) -> None:
        from portal import log_redaction

        log_redaction.install()
